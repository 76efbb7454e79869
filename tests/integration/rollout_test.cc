// Rollouts with real processes: first start, rolling replace, scale, a version that never
// becomes healthy.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "test_env.h"

namespace cairn::testing {
namespace {

const json& Hello(const json& status) { return ServiceOrEmpty(status, "hello"); }

std::map<std::string, int> PidsById(const json& status) { return InstancePids(status, "hello"); }

TEST(RolloutTest, ThreeInstancesStartHealthyAndAnswer) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  ASSERT_TRUE(server.ApplyAndWait(HelloYaml({.replicas = 3, .version = "v1"}), "first"));

  json status = server.Status();
  const json& svc = Hello(status);
  EXPECT_EQ(svc["healthy"], 3);
  ASSERT_EQ(svc["instances"].size(), 3u) << status.dump(2);
  std::set<std::string> ids;
  std::set<int> ports;
  for (const auto& inst : svc["instances"]) {
    std::string id = inst["id"];
    ids.insert(id);
    ports.insert(inst["port"].get<int>());
    EXPECT_EQ(inst["state"], "healthy") << id;
    EXPECT_EQ(inst["revision"], 1) << id;
    EXPECT_EQ(inst["restarts"], 0) << id;
    EXPECT_TRUE(ProcessAlive(inst["pid"].get<int>())) << id;
    HttpReply reply = HttpGet(inst["port"].get<int>(), "/");
    ASSERT_EQ(reply.status, 200) << id << ": " << reply.text;
    EXPECT_EQ(reply.body["version"], "v1") << reply.text;
    EXPECT_EQ(reply.body["instance"], id) << reply.text;
  }
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(ports.size(), 3u);
}

TEST(RolloutTest, VersionChangeReplacesAllInstancesWithoutZeroHealthy) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  ASSERT_TRUE(server.ApplyAndWait(HelloYaml({.replicas = 3, .version = "v1"}), "v1"));
  std::map<std::string, int> before = PidsById(server.Status());
  ASSERT_EQ(before.size(), 3u);

  auto applied = server.Apply(HelloYaml({.replicas = 3, .version = "v2"}), "v2");
  ASSERT_TRUE(applied.ok()) << applied.error().ToString();
  ASSERT_EQ((*applied)["revision"]["number"], 2);

  // Watch the whole rollout closely: healthy must never drop below replicas - max_unavailable.
  int min_healthy = 1 << 20;
  size_t max_listed = 0;
  int polls = 0;
  json status;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  for (;;) {
    status = server.Status();
    ASSERT_FALSE(status.is_null()) << "the server stopped answering\n" << server.Diagnostics();
    ++polls;
    const json& svc = Hello(status);
    min_healthy = std::min(min_healthy, svc.value("healthy", 0));
    max_listed = std::max(max_listed, svc["instances"].size());
    bool done = RolloutIs(status, "hello", "complete", 2) && svc["instances"].size() == 3u;
    for (const auto& inst : svc["instances"]) done = done && inst["revision"] == 2;
    if (done) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline)
        << "the rollout did not complete in 30 s\n"
        << server.Diagnostics();
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_GE(min_healthy, 3) << "healthy dropped during the rollout (max_unavailable 0)";
  EXPECT_GT(min_healthy, 0);
  EXPECT_GT(max_listed, 3u) << "never saw a surge instance: was the rollout observed at all?";
  RecordProperty("status_polls", polls);

  std::map<std::string, int> after = PidsById(status);
  ASSERT_EQ(after.size(), 3u);
  for (const auto& [id, pid] : after) {
    EXPECT_FALSE(before.count(id)) << "instance " << id << " survived a version change";
  }
  for (const auto& inst : Hello(status)["instances"]) {
    EXPECT_EQ(inst["state"], "healthy");
    HttpReply reply = HttpGet(inst["port"].get<int>(), "/");
    ASSERT_EQ(reply.status, 200) << reply.text;
    EXPECT_EQ(reply.body["version"], "v2");
    EXPECT_EQ(reply.body["instance"], inst["id"]);
  }
  // Old instances are reaped once they leave the status.
  for (const auto& [id, pid] : before) {
    EXPECT_FALSE(ProcessAlive(pid)) << "old instance " << id << " (pid " << pid << ") still runs";
    EXPECT_NE(::kill(pid, 0), 0) << "old pid " << pid << " still exists (zombie?)";
  }
}

TEST(RolloutTest, ScaleChangesOnlyTheCount) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  ASSERT_TRUE(server.ApplyAndWait(HelloYaml({.replicas = 3}), "three"));
  std::map<std::string, int> before = PidsById(server.Status());
  ASSERT_EQ(before.size(), 3u);

  ASSERT_TRUE(server.ApplyAndWait(HelloYaml({.replicas = 5}), "five"));
  json status = server.Status();
  std::map<std::string, int> after = PidsById(status);
  ASSERT_EQ(after.size(), 5u) << status.dump(2);
  EXPECT_EQ(Hello(status)["healthy"], 5);
  int added = 0;
  for (const auto& [id, pid] : after) {
    auto old = before.find(id);
    if (old == before.end()) {
      ++added;
    } else {
      EXPECT_EQ(pid, old->second) << "instance " << id << " was restarted by a scale";
    }
  }
  EXPECT_EQ(added, 2);
  for (const auto& [id, pid] : before) EXPECT_TRUE(after.count(id)) << id << " was replaced";
}

TEST(RolloutTest, NeverHealthyVersionFailsAtDeadlineAndOldVersionStays) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  ASSERT_TRUE(server.ApplyAndWait(HelloYaml({.replicas = 3, .version = "v1"}), "v1"));
  std::map<std::string, int> v1 = PidsById(server.Status());

  auto applied = server.Apply(HelloYaml({.replicas = 3,
                                         .version = "v2",
                                         .env = {{"HELLO_UNHEALTHY", "1"}},
                                         .progress_deadline = "3s"}),
                              "v2 never healthy");
  ASSERT_TRUE(applied.ok()) << applied.error().ToString();
  ASSERT_EQ((*applied)["revision"]["number"], 2);

  int min_healthy = 1 << 20;
  auto failed = server.WaitFor(
      [&](const json& status) {
        min_healthy = std::min(min_healthy, Hello(status).value("healthy", 0));
        return Hello(status).value("rollout", "") == "failed";
      },
      15s);
  ASSERT_TRUE(failed) << server.Diagnostics();
  EXPECT_FALSE(Hello(*failed).value("rollout_reason", "").empty());

  // The v2 instances go; the v1 ones stay, untouched.
  auto settled = server.WaitFor(
      [&](const json& status) {
        min_healthy = std::min(min_healthy, Hello(status).value("healthy", 0));
        const json& svc = Hello(status);
        if (svc["instances"].size() != 3u) return false;
        for (const auto& inst : svc["instances"]) {
          if (inst["revision"] != 1 || inst["state"] != "healthy") return false;
        }
        return true;
      },
      10s);
  ASSERT_TRUE(settled) << server.Diagnostics();
  EXPECT_EQ(PidsById(*settled), v1) << "the v1 instances were replaced";
  EXPECT_GE(min_healthy, 3) << "v1 lost healthy instances while v2 failed";
  EXPECT_EQ(Hello(*settled)["rollout"], "failed");
  EXPECT_EQ((*settled)["head"]["number"], 2) << "the failed revision stays recorded as the head";
  EXPECT_EQ(server.Revisions().size(), 2u);
  for (const auto& inst : Hello(*settled)["instances"]) {
    HttpReply reply = HttpGet(inst["port"].get<int>(), "/");
    EXPECT_EQ(reply.body["version"], "v1") << reply.text;
  }

  bool found = false;
  for (const auto& e : server.Events()) {
    if (e["type"] != "rollout.failed") continue;
    found = true;
    std::string message = e["message"];
    EXPECT_EQ(e["service"], "hello");
    EXPECT_NE(message.find("revision 2"), std::string::npos) << message;
    EXPECT_NE(message.find("progress deadline"), std::string::npos) << message;
    EXPECT_NE(message.find("0 of 3"), std::string::npos) << message;
    EXPECT_NE(message.find("returning to revision 1"), std::string::npos) << message;
  }
  EXPECT_TRUE(found) << "no rollout.failed event\n" << server.Diagnostics();
}

}  // namespace
}  // namespace cairn::testing
