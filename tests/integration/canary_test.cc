// Canary rollouts with the real server, real cairn-hello instances and the built-in router:
// a good canary is promoted through its steps on its own; a canary failing 5% of its requests
// is rolled back by its judged step, with every user back on the old version; a canary three
// times slower than the stable version, well inside its thresholds, is rolled back by the
// baseline comparison.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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

// The version that answers GET / with `X-User-Id: user` (empty when no answer).
std::string VersionFor(int port, const std::string& user) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    std::string request =
        "GET / HTTP/1.1\r\nHost: x\r\nX-User-Id: " + user + "\r\nConnection: close\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      char buf[4096];
      for (int i = 0; i < 100; ++i) {
        ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) break;
        reply.append(buf, static_cast<size_t>(n));
      }
    }
  }
  ::close(fd);
  size_t body = reply.find("\r\n\r\n");
  if (reply.rfind("HTTP/1.1 200", 0) != 0 || body == std::string::npos) return "";
  json j = json::parse(reply.substr(body + 4), nullptr, false);
  return j.is_object() ? j.value("version", "") : "";
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

TEST(CanaryIntegrationTest, ACanaryThreeTimesSlowerIsRolledBackByTheBaselineComparison) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  int listen = FreeLoopbackPort();
  HelloSpec v1{.replicas = 2, .version = "v1", .listen_port = listen};
  v1.env["HELLO_LATENCY_MS"] = "5";
  // Thresholds no 15 ms answer comes near: only the comparison with v1 can fail v2.
  v1.strategy =
      "      canary:\n"
      "        steps:\n"
      "          - weight: 50\n"
      "          - analysis: { interval: 1s, success_rate: \">= 90%\", latency_p99: \"<= 1s\", "
      "baseline: compare, min_requests: 20, count: 5 }\n";
  ASSERT_TRUE(server.ApplyAndWait(HelloYaml(v1), "v1"));

  std::atomic<bool> stop{false};
  Tally tally;
  std::thread loader([&] { Load(listen, stop, tally, 20000); });
  HelloSpec v2 = v1;
  v2.version = "v2";
  v2.env["HELLO_LATENCY_MS"] = "15";
  ASSERT_TRUE(server.Apply(HelloYaml(v2), "v2 is three times slower").ok());
  std::optional<json> failed =
      server.WaitFor([](const json& s) { return RolloutState(s, "failed"); }, 30s);
  stop = true;
  loader.join();
  ASSERT_TRUE(failed.has_value()) << server.Diagnostics();
  const json* hello = FindService(*failed, "hello");
  ASSERT_NE(hello, nullptr);
  std::string reason = hello->value("rollout_reason", "");
  EXPECT_NE(reason.find("slower than baseline"), std::string::npos) << reason;
  // No threshold failed: neither "p99 ... > 1 s" nor "success rate ... < 90%".
  EXPECT_EQ(reason.find("> 1 s"), std::string::npos) << reason;
  EXPECT_EQ(reason.find("success rate"), std::string::npos) << reason;
  EXPECT_EQ(tally.failed_by_version.size(), 0u) << server.Diagnostics();
  EXPECT_EQ(tally.unreachable, 0);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(HttpGet(listen, "/").body.value("version", ""), "v1");
  std::printf("slow canary: %s\n", reason.c_str());
}

TEST(CanaryIntegrationTest, CohortUsersStayOnTheCanaryAsItsWeightGrows) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  int listen = FreeLoopbackPort();
  HelloSpec v1{.replicas = 2, .version = "v1", .listen_port = listen};
  v1.strategy =
      "      canary:\n"
      "        cohort: header:X-User-Id\n"
      "        steps: [{weight: 20}, {pause: 5s}, {weight: 60}, {pause: {}}]\n";
  ASSERT_TRUE(server.ApplyAndWait(HelloYaml(v1), "v1"));
  HelloSpec v2 = v1;
  v2.version = "v2";
  ASSERT_TRUE(server.Apply(HelloYaml(v2), "v2").ok());
  // At 20 %: which users are on v2, asked twice each (the same answer both times). The 5 s
  // pause after the first weight step leaves time to ask.
  ASSERT_TRUE(server.WaitForEvent("rollout.weight", 20s)) << server.Diagnostics();
  std::map<std::string, std::string> first;
  int on_v2 = 0;
  for (int u = 0; u < 100; ++u) {
    std::string user = "user-" + std::to_string(u);
    first[user] = VersionFor(listen, user);
    EXPECT_EQ(VersionFor(listen, user), first[user]) << user << " switched at one weight";
    on_v2 += first[user] == "v2";
  }
  EXPECT_GT(on_v2, 5);
  EXPECT_LT(on_v2, 40);
  // At 60 %: every user who was on v2 still is; more users joined.
  ASSERT_TRUE(server.WaitForEvent("rollout.waiting", 20s)) << server.Diagnostics();
  int on_v2_later = 0;
  for (const auto& [user, version] : first) {
    std::string now = VersionFor(listen, user);
    if (version == "v2") {
      EXPECT_EQ(now, "v2") << user << " was moved back to v1";
    }
    on_v2_later += now == "v2";
  }
  EXPECT_GT(on_v2_later, on_v2);
  std::printf("cohort: %d of 100 users on v2 at 20%%, %d at 60%%, none moved back\n", on_v2,
              on_v2_later);
}

}  // namespace
}  // namespace cairn::testing
