// Canary rollouts with the real server, real cairn-hello instances and the built-in router:
// a good canary is promoted through its steps on its own; a canary failing 5% of its requests
// is rolled back by its judged step, with every user back on the old version.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "test_env.h"

namespace cairn::testing {
namespace {

// Counts answers by version and status through the router until `stop`; bounded by `max`.
struct Tally {
  std::mutex mu;
  std::map<std::string, int> ok_by_version;
  std::map<std::string, int> failed_by_version;
  int unreachable = 0;
  // Steady-clock time of the last answer from each version.
  std::map<std::string, std::chrono::steady_clock::time_point> last_seen;
};

void Load(int port, std::atomic<bool>& stop, Tally& tally, int max) {
  for (int i = 0; i < max && !stop; ++i) {
    HttpReply r = HttpGet(port, "/", 2s);
    std::lock_guard<std::mutex> lock(tally.mu);
    if (r.status == 0) {
      ++tally.unreachable;
      continue;
    }
    // A failed answer from cairn-hello carries no version: counted as "?" (only the canary
    // fails in these tests).
    std::string version = r.body.is_object() ? r.body.value("version", "?") : "?";
    if (r.status == 200) {
      ++tally.ok_by_version[version];
      tally.last_seen[version] = std::chrono::steady_clock::now();
    } else {
      ++tally.failed_by_version[version];
    }
  }
}

bool RolloutState(const json& status, const std::string& state) {
  const json* s = FindService(status, "hello");
  return s != nullptr && s->value("rollout", "") == state;
}

TEST(CanaryIntegrationTest, AGoodCanaryIsPromotedThroughItsStepsOnItsOwn) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  int listen = FreeLoopbackPort();
  HelloSpec v1{.replicas = 2, .version = "v1", .listen_port = listen};
  v1.strategy =
      "      canary:\n"
      "        steps: [{weight: 50}, {pause: 1s}]\n";
  ASSERT_TRUE(server.ApplyAndWait(HelloYaml(v1), "v1"));
  std::atomic<bool> stop{false};
  Tally tally;
  std::thread loader([&] { Load(listen, stop, tally, 20000); });
  HelloSpec v2 = v1;
  v2.version = "v2";
  bool done = static_cast<bool>(server.ApplyAndWait(HelloYaml(v2), "v2", 30s));
  stop = true;
  loader.join();
  ASSERT_TRUE(done) << server.Diagnostics();
  EXPECT_EQ(tally.failed_by_version.size(), 0u) << server.Diagnostics();
  EXPECT_EQ(tally.unreachable, 0);
  EXPECT_GT(tally.ok_by_version["v2"], 0);
  HttpReply after = HttpGet(listen, "/");
  EXPECT_EQ(after.body.value("version", ""), "v2");
  std::printf("good canary: v1 %d, v2 %d answers, 0 failed\n", tally.ok_by_version["v1"],
              tally.ok_by_version["v2"]);
}

TEST(CanaryIntegrationTest, ACanaryFailingFivePercentIsRolledBackAndEveryoneIsOnTheOldVersion) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  int listen = FreeLoopbackPort();
  HelloSpec v1{.replicas = 2, .version = "v1", .listen_port = listen};
  v1.strategy =
      "      canary:\n"
      "        steps:\n"
      "          - weight: 50\n"
      "          - analysis: { interval: 1s, success_rate: \">= 99%\", min_requests: 20, "
      "count: 5 }\n";
  ASSERT_TRUE(server.ApplyAndWait(HelloYaml(v1), "v1"));

  std::atomic<bool> stop{false};
  Tally tally;
  std::thread loader([&] { Load(listen, stop, tally, 40000); });
  HelloSpec v2 = v1;
  v2.version = "v2";
  v2.env["HELLO_FAIL_RATE"] = "0.05";
  auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(server.Apply(HelloYaml(v2), "v2 fails 5%").ok());
  std::optional<json> failed =
      server.WaitFor([](const json& s) { return RolloutState(s, "failed"); }, 30s);
  auto rolled_back = std::chrono::steady_clock::now();
  // Keep the load on a moment longer: nobody may reach v2 any more.
  std::this_thread::sleep_for(1s);
  stop = true;
  loader.join();
  ASSERT_TRUE(failed.has_value()) << server.Diagnostics();
  const json* hello = FindService(*failed, "hello");
  ASSERT_NE(hello, nullptr);
  EXPECT_NE(hello->value("rollout_reason", "").find("success rate"), std::string::npos)
      << hello->dump(2);
  // Users outside the canary never failed; after the rollback nobody is on v2.
  EXPECT_EQ(tally.failed_by_version["v1"], 0) << server.Diagnostics();
  EXPECT_EQ(tally.unreachable, 0);
  EXPECT_GT(tally.ok_by_version["v2"], 0) << "the canary got traffic before it was judged";
  ASSERT_TRUE(tally.last_seen.count("v2"));
  EXPECT_LT(tally.last_seen["v2"], rolled_back) << "a v2 answer after the rollback";
  for (int i = 0; i < 20; ++i) EXPECT_EQ(HttpGet(listen, "/").body.value("version", ""), "v1");
  std::printf(
      "bad canary: rolled back %.1f s after apply; answers v1 %d ok / %d failed, v2 %d ok, %d "
      "failed answers without a version (the canary's 5%%)\n",
      std::chrono::duration<double>(rolled_back - started).count(), tally.ok_by_version["v1"],
      tally.failed_by_version["v1"], tally.ok_by_version["v2"], tally.failed_by_version["?"]);
}

}  // namespace
}  // namespace cairn::testing
