// Recovery with real processes: instances that die, crash-loop, and servers that die or stop
// while instances run.
#include <signal.h>

#include <algorithm>
#include <future>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "test_env.h"

namespace cairn::testing {
namespace {

const json& Hello(const json& status) { return ServiceOrEmpty(status, "hello"); }

const json* Instance(const json& status, const std::string& id) {
  const json& svc = Hello(status);
  if (!svc.contains("instances")) return nullptr;
  for (const auto& inst : svc["instances"]) {
    if (inst["id"] == id) return &inst;
  }
  return nullptr;
}

std::map<std::string, int> PidsById(const json& status) { return InstancePids(status, "hello"); }

std::vector<int> SortedPids(const json& status) {
  std::vector<int> pids;
  for (const auto& [id, pid] : PidsById(status)) pids.push_back(pid);
  std::sort(pids.begin(), pids.end());
  return pids;
}

TEST(RecoveryTest, KilledInstanceIsRestarted) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  ASSERT_TRUE(server.ApplyAndWait(HelloYaml({.replicas = 2}), "two"));
  json status = server.Status();
  const json& victim = Hello(status)["instances"][0];
  std::string id = victim["id"];
  int old_pid = victim["pid"];
  ASSERT_EQ(::kill(old_pid, SIGKILL), 0);

  // The restart backoff starts at 1 s, so the crashed state is visible for a while.
  auto crashed = server.WaitFor(
      [&](const json& s) {
        const json* inst = Instance(s, id);
        return inst != nullptr && (*inst)["state"] == "crashed";
      },
      5s);
  ASSERT_TRUE(crashed) << server.Diagnostics();

  auto back = server.WaitFor(
      [&](const json& s) {
        const json* inst = Instance(s, id);
        return inst != nullptr && (*inst)["state"] == "healthy" && (*inst)["pid"] != old_pid &&
               (*inst)["restarts"].get<int>() >= 1;
      },
      10s);
  ASSERT_TRUE(back) << server.Diagnostics();
  const json& inst = *Instance(*back, id);
  EXPECT_EQ(Hello(*back)["instances"].size(), 2u) << "a crash must restart, not replace";
  EXPECT_FALSE(inst["crash_looping"].get<bool>());
  EXPECT_TRUE(ProcessAlive(inst["pid"].get<int>()));
  EXPECT_FALSE(ProcessAlive(old_pid));
  HttpReply reply = HttpGet(inst["port"].get<int>(), "/");
  EXPECT_EQ(reply.body["instance"], id) << reply.text;

  bool crash_event = false;
  for (const auto& e : server.Events()) {
    if (e["type"] == "instance.crashed" && e["instance"] == id) {
      crash_event = true;
      EXPECT_NE(e["message"].get<std::string>().find("signal 9"), std::string::npos)
          << e["message"];
    }
  }
  EXPECT_TRUE(crash_event);
}

TEST(RecoveryTest, CrashLoopingInstanceIsReported) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  auto applied =
      server.Apply(HelloYaml({.replicas = 1, .env = {{"HELLO_CRASH_AFTER_MS", "100"}}}), "crashes");
  ASSERT_TRUE(applied.ok()) << applied.error().ToString();

  // Backoff 1 s, 2 s, 4 s, 8 s: the fifth short run ends about 15.5 s after the first start.
  std::string id;
  int max_restarts = 0;
  auto looping = server.WaitFor(
      [&](const json& s) {
        const json& svc = Hello(s);
        if (svc["instances"].size() != 1u) return false;
        const json& inst = svc["instances"][0];
        if (id.empty()) id = inst["id"];
        EXPECT_EQ(inst["id"], id) << "a crashing instance keeps its id";
        max_restarts = std::max(max_restarts, inst["restarts"].get<int>());
        return inst["crash_looping"].get<bool>();
      },
      30s);
  ASSERT_TRUE(looping) << "restarts reached " << max_restarts << "\n" << server.Diagnostics();
  const json& inst = Hello(*looping)["instances"][0];
  EXPECT_GE(inst["restarts"].get<int>(), 5);
  std::string state = inst["state"];
  EXPECT_TRUE(state == "crashed" || state == "starting") << state;
  EXPECT_NE(Hello(*looping)["rollout"], "complete");

  bool loop_event = false;
  for (const auto& e : server.Events()) {
    if (e["type"] == "instance.crashed" &&
        e["message"].get<std::string>().find("crash loop") != std::string::npos) {
      loop_event = true;
    }
  }
  EXPECT_TRUE(loop_event) << server.Diagnostics();
}

TEST(RecoveryTest, ServerRestartAdoptsRunningInstances) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  ASSERT_TRUE(server.ApplyAndWait(HelloYaml({.replicas = 3}), "three"));
  json before = server.Status();
  std::map<std::string, int> pids = PidsById(before);

  server.Terminate();
  EXPECT_EQ(ProcessesTaggedWith(server.data_dir()), SortedPids(before))
      << "SIGTERM must leave the instances running";

  ASSERT_TRUE(server.Restart());
  auto adopted = server.WaitFor(
      [&](const json& s) {
        return RolloutIs(s, "hello", "complete", 1) && Hello(s)["healthy"] == 3 &&
               PidsById(s) == pids;
      },
      10s);
  ASSERT_TRUE(adopted) << "expected the same instances " << before.dump(2) << "\n"
                       << server.Diagnostics();
  for (const auto& inst : Hello(*adopted)["instances"]) {
    EXPECT_EQ(inst["restarts"], 0);
    HttpReply reply = HttpGet(inst["port"].get<int>(), "/");
    EXPECT_EQ(reply.body["instance"], inst["id"]) << reply.text;
  }
  int adoptions = 0;
  for (const auto& e : server.Events()) adoptions += e["type"] == "instance.adopted";
  EXPECT_EQ(adoptions, 3);
  EXPECT_EQ(ProcessesTaggedWith(server.data_dir()), SortedPids(*adopted));
}

TEST(RecoveryTest, ServerKill9MidRolloutRestartConvergesWithoutDuplicates) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  ASSERT_TRUE(server.ApplyAndWait(HelloYaml({.replicas = 3, .version = "v1"}), "v1"));

  // v2 takes about a second per instance to become healthy, so the rollout lasts a few.
  auto applied = server.Apply(HelloYaml({.replicas = 3,
                                         .version = "v2",
                                         .health_interval = "500ms",
                                         .health_timeout = "500ms",
                                         .healthy_after = 2}),
                              "v2, slow to start");
  ASSERT_TRUE(applied.ok()) << applied.error().ToString();
  auto midway = server.WaitFor(
      [&](const json& s) {
        int healthy_new = 0, old = 0;
        for (const auto& inst : Hello(s)["instances"]) {
          if (inst["revision"] == 2 && inst["state"] == "healthy") ++healthy_new;
          if (inst["revision"] == 1 && inst["state"] != "stopping") ++old;
        }
        return healthy_new >= 1 && old >= 1;
      },
      15s);
  ASSERT_TRUE(midway) << server.Diagnostics();
  server.Kill9();
  std::map<std::string, int> healthy_v2;  // these must be adopted, not replaced
  for (const auto& inst : Hello(*midway)["instances"]) {
    if (inst["revision"] == 2 && inst["state"] == "healthy") {
      healthy_v2[inst["id"].get<std::string>()] = inst["pid"].get<int>();
    }
  }

  ASSERT_TRUE(server.Restart());
  auto done = server.WaitFor(
      [&](const json& s) {
        if (!RolloutIs(s, "hello", "complete", 2) || Hello(s)["instances"].size() != 3u) {
          return false;
        }
        for (const auto& inst : Hello(s)["instances"]) {
          if (inst["revision"] != 2) return false;
        }
        return true;
      },
      30s);
  ASSERT_TRUE(done) << server.Diagnostics();

  // Stopped instances may take a moment to exit; then the host holds exactly what status says.
  std::vector<int> expected = SortedPids(*done);
  std::vector<int> on_host;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    on_host = ProcessesTaggedWith(server.data_dir());
    if (on_host == expected) break;
    std::this_thread::sleep_for(50ms);
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(on_host, expected) << "processes of the data dir differ from the status\n"
                               << server.Diagnostics();
  EXPECT_EQ(expected.size(), 3u);
  for (const auto& inst : Hello(*done)["instances"]) {
    EXPECT_TRUE(ProcessAlive(inst["pid"].get<int>())) << inst.dump();
    HttpReply reply = HttpGet(inst["port"].get<int>(), "/");
    EXPECT_EQ(reply.body["version"], "v2") << reply.text;
  }
  std::map<std::string, int> final_pids = PidsById(*done);
  for (const auto& [id, pid] : healthy_v2) {
    auto it = final_pids.find(id);
    EXPECT_TRUE(it != final_pids.end() && it->second == pid)
        << "healthy v2 instance " << id << " (pid " << pid << ") was not adopted";
  }
  json final_status = server.Status();
  EXPECT_EQ(SortedPids(final_status), expected) << "instances changed after convergence";
}

TEST(RecoveryTest, ClientGivesUpOnAServerThatStoppedAnswering) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  ASSERT_EQ(::kill(server.server_pid(), SIGSTOP), 0);
  // The kernel still accepts the connection; nobody ever answers. The client's timeout must end
  // the call. Run it on a thread so a client that hangs fails this test instead of blocking it.
  auto call = std::async(std::launch::async, [&] {
    auto started = std::chrono::steady_clock::now();
    auto reply = server.Client(500ms).Get("/v1/status");
    return std::make_pair(reply.ok() ? std::string("ok") : reply.error().ToString(),
                          std::chrono::steady_clock::now() - started);
  });
  bool finished = call.wait_for(5s) == std::future_status::ready;
  ::kill(server.server_pid(), SIGCONT);
  if (!finished) server.Kill9();  // the dead server's socket closes, which ends the hung call
  ASSERT_TRUE(finished) << "api::Client(500ms).Get did not return within 5 s of a stopped server";
  auto [outcome, took] = call.get();
  EXPECT_NE(outcome, "ok");
  EXPECT_NE(outcome.find("cannot reach the cairn server"), std::string::npos) << outcome;
  EXPECT_LT(took, 3s);
}

}  // namespace
}  // namespace cairn::testing
