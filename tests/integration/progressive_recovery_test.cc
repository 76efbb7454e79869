// Progressive rollouts across a server kill and a blue-green switch, with the real server,
// instances and router: a canary held at its manual pause survives `kill -9` of the server at
// the same step and split; a blue-green serves the new version on its preview port, switches on
// its own and leaves the old version behind.
#include <chrono>
#include <set>
#include <thread>

#include "test_env.h"

namespace cairn::testing {
namespace {

// The versions that answer `n` requests on `port`.
std::map<std::string, int> Versions(int port, int n) {
  std::map<std::string, int> seen;
  for (int i = 0; i < n; ++i) {
    HttpReply r = HttpGet(port, "/");
    seen[r.status == 200 ? r.body.value("version", "?") : "status " + std::to_string(r.status)]++;
  }
  return seen;
}

TEST(ProgressiveRecoveryTest, ACanaryResumesAfterKill9AtTheSameStepAndSplit) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  int listen = FreeLoopbackPort();
  HelloSpec v1{.replicas = 2, .version = "v1", .listen_port = listen};
  v1.strategy =
      "      canary:\n"
      "        steps: [{weight: 50}, {pause: {}}]\n";
  ASSERT_TRUE(server.ApplyAndWait(HelloYaml(v1), "v1"));
  HelloSpec v2 = v1;
  v2.version = "v2";
  ASSERT_TRUE(server.Apply(HelloYaml(v2), "v2").ok());
  ASSERT_TRUE(server.WaitForEvent("rollout.waiting", 20s)) << server.Diagnostics();
  std::map<std::string, int> before = Versions(listen, 60);
  EXPECT_GT(before["v1"], 0);
  EXPECT_GT(before["v2"], 0);
  std::set<std::string> instances_before;
  json status = server.Status();
  for (const json& i : ServiceOrEmpty(status, "hello")["instances"]) {
    instances_before.insert(i.value("id", ""));
  }
  EXPECT_EQ(instances_before.size(), 3u);  // two stable, one canary

  server.Kill9();
  ASSERT_TRUE(server.Restart());
  ASSERT_TRUE(server.WaitForEvent("rollout.resumed", 10s)) << server.Diagnostics();
  // Same instances (adopted, none started or stopped), same split, still held for a person.
  std::optional<json> settled = server.WaitFor(
      [&](const json& s) {
        std::set<std::string> ids;
        for (const json& i : ServiceOrEmpty(s, "hello")["instances"]) ids.insert(i.value("id", ""));
        return ids == instances_before;
      },
      10s);
  ASSERT_TRUE(settled.has_value()) << server.Diagnostics();
  std::this_thread::sleep_for(1s);  // past the adoption settle: the machine runs again
  std::map<std::string, int> after = Versions(listen, 60);
  EXPECT_GT(after["v1"], 0) << server.Diagnostics();
  EXPECT_GT(after["v2"], 0) << server.Diagnostics();
  EXPECT_EQ(after.size(), 2u) << "only v1 and v2 answers, no errors";
  int completed = 0;
  for (const json& e : server.Events()) completed += e.value("type", "") == "rollout.completed";
  EXPECT_EQ(completed, 1) << "only v1's first start completed; the canary is still held";
  EXPECT_FALSE(server.HasEvent("rollout.aborted"));
}

TEST(ProgressiveRecoveryTest, ABlueGreenServesItsPreviewThenSwitchesAndScalesTheOldDown) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  int listen = FreeLoopbackPort();
  int preview = FreeLoopbackPort();
  HelloSpec v1{.replicas = 2, .version = "v1", .listen_port = listen};
  v1.strategy = "      blue_green:\n        preview: { http: " + std::to_string(preview) +
                " }\n        auto_promote: 3s\n        scale_down_delay: 2s\n";
  ASSERT_TRUE(server.ApplyAndWait(HelloYaml(v1), "v1"));
  HelloSpec v2 = v1;
  v2.version = "v2";
  ASSERT_TRUE(server.Apply(HelloYaml(v2), "v2").ok());
  ASSERT_TRUE(server.WaitForEvent("rollout.ready", 20s)) << server.Diagnostics();
  // Before the switch: users on v1, the preview port on v2.
  std::map<std::string, int> main_before = Versions(listen, 20);
  std::map<std::string, int> preview_before = Versions(preview, 20);
  ASSERT_TRUE(server.WaitForEvent("rollout.switched", 20s)) << server.Diagnostics();
  std::map<std::string, int> main_after = Versions(listen, 20);
  EXPECT_EQ(main_before["v1"], 20) << server.Diagnostics();
  EXPECT_EQ(preview_before["v2"], 20) << server.Diagnostics();
  EXPECT_EQ(main_after["v2"], 20) << server.Diagnostics();
  std::optional<json> done = server.WaitFor(
      [](const json& s) {
        const json& hello = ServiceOrEmpty(s, "hello");
        return hello.value("rollout", "") == "complete" && hello.value("revision", 0) == 2 &&
               hello["instances"].size() == 2;
      },
      20s);
  ASSERT_TRUE(done.has_value()) << server.Diagnostics();
  EXPECT_EQ(Versions(listen, 10)["v2"], 10);
}

TEST(ProgressiveRecoveryTest, ABlueGreenUndoneInsideItsWindowSwitchesBackAtOnce) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  int listen = FreeLoopbackPort();
  HelloSpec v1{.replicas = 2, .version = "v1", .listen_port = listen};
  v1.strategy = "      blue_green:\n        auto_promote: true\n        scale_down_delay: 60s\n";
  ASSERT_TRUE(server.ApplyAndWait(HelloYaml(v1), "v1"));
  HelloSpec v2 = v1;
  v2.version = "v2";
  ASSERT_TRUE(server.Apply(HelloYaml(v2), "v2").ok());
  ASSERT_TRUE(server.WaitForEvent("rollout.switched", 20s)) << server.Diagnostics();
  EXPECT_EQ(Versions(listen, 10)["v2"], 10);
  CliResult undo = server.RunCli({"rollout", "undo", "hello", "--author", "ops"});
  EXPECT_EQ(undo.exit_code, 0) << undo.out << undo.err;
  // The old version never stopped: the very next requests are its.
  EXPECT_EQ(Versions(listen, 20)["v1"], 20) << server.Diagnostics();
  std::optional<json> failed = server.WaitFor(
      [](const json& s) {
        const json& hello = ServiceOrEmpty(s, "hello");
        return hello.value("rollout", "") == "failed" && hello["instances"].size() == 2;
      },
      20s);
  ASSERT_TRUE(failed.has_value()) << server.Diagnostics();
  EXPECT_NE(ServiceOrEmpty(*failed, "hello").value("rollout_reason", "").find("by ops"),
            std::string::npos);
  CliResult again = server.RunCli({"rollout", "undo", "hello"});
  EXPECT_NE(again.exit_code, 0) << "nothing left to undo";
}

}  // namespace
}  // namespace cairn::testing
