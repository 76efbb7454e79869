// The integration tests' world: a real `cairn server` in a temp data dir on a free loopback
// port, real `cairn-hello` instances, and helpers to drive and observe them.
//
// Contract: a TestServer leaves nothing behind. Its destructor stops the server and kills every
// process tagged CAIRN_DATA_DIR=<its data dir> (the instances), then removes the dir, whether
// the test passed or failed; if the test binary dies on a signal (an assert, a crash, Ctrl-C), a
// handler kills them instead. Every wait here is bounded.
//
// Threading: single-threaded, like the tests that use it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/client.h"
#include "core/result.h"
#include "gtest/gtest.h"

namespace cairn::testing {

using nlohmann::json;
using namespace std::chrono_literals;

// What a finished command did.
struct CliResult {
  int exit_code = -1;  // -1 when it had to be killed at its deadline
  std::string out;
  std::string err;
};

// A raw HTTP answer, for asserting status codes the api::Client folds into error codes.
struct HttpReply {
  int status = 0;  // 0 when the server could not be reached
  json body;       // null when the body is not JSON
  std::string text;
};

// The knobs of a one-service environment running cairn-hello; defaults keep tests quick.
struct HelloSpec {
  std::string environment = "it";
  std::string service = "hello";
  std::string command = "cairn-hello";
  int replicas = 3;
  std::string version = "v1";
  std::map<std::string, std::string> env;  // extra variables (HELLO_UNHEALTHY, ...)
  bool http_health = true;                 // false: no health check at all
  std::string health_interval = "200ms";
  std::string health_timeout = "200ms";  // must be <= health_interval
  int healthy_after = 1;
  int unhealthy_after = 3;
  std::string max_surge = "1";
  std::string max_unavailable = "0";
  std::string progress_deadline = "60s";
  std::string stop_timeout = "5s";
  std::optional<int> listen_port;  // a `ports: {http: {listen: N}}` entry
  // When set, the `strategy:` block's body instead of the rolling one: YAML lines indented six
  // spaces ("      canary:\n        steps: ...").
  std::string strategy;
};

// The environment file text for `spec`.
std::string HelloYaml(const HelloSpec& spec);

// Runs `argv` (argv[0] a path) with its output captured, killing it after `deadline`.
CliResult RunProcess(const std::vector<std::string>& argv,
                     std::chrono::milliseconds deadline = 20s);

// True while `pid` names a process that is not a zombie.
bool ProcessAlive(int pid);

// Pids of the live processes whose environment holds CAIRN_DATA_DIR=`data_dir`.
std::vector<int> ProcessesTaggedWith(const std::string& data_dir);

// A fresh temp dir under /tmp ("/tmp/cairn-it-XXXXXX"); empty on failure.
std::string MakeTempDir();

// A loopback port nothing listens on right now.
int FreeLoopbackPort();

// GET http://127.0.0.1:`port``target`, bounded by `timeout`.
HttpReply HttpGet(int port, const std::string& target, std::chrono::milliseconds timeout = 2s);

// Status json accessors. `Service` returns nullptr when the service is absent.
const json* FindService(const json& status, const std::string& name);
// The service's status, or {"instances": []} when it is absent: safe to index.
const json& ServiceOrEmpty(const json& status, const std::string& name);
// id -> pid of the service's instances.
std::map<std::string, int> InstancePids(const json& status, const std::string& name);
// The service's rollout is `state` for `revision` (the target it rolls towards).
bool RolloutIs(const json& status, const std::string& name, const std::string& state,
               int64_t revision);

struct CrashSlot;

class TestServer {
 public:
  TestServer();  // makes the data dir and picks the port; Start() runs the server
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  // Starts the server and waits (up to 10 s) until GET /v1/version answers.
  ::testing::AssertionResult Start();
  // SIGKILL to the server; its instances keep running.
  void Kill9();
  // SIGTERM and wait (up to 10 s, then SIGKILL); the server leaves instances running.
  void Terminate();
  // Start again on the same data dir and address.
  ::testing::AssertionResult Restart() { return Start(); }
  bool running() const { return pid_ > 0; }
  pid_t server_pid() const { return pid_; }

  const std::string& data_dir() const { return data_dir_; }
  int port() const { return port_; }
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }

  api::Client Client(std::chrono::milliseconds timeout = 5s) const;
  // POST /v1/apply as author "test" (file "test.yaml").
  Result<json> Apply(const std::string& yaml, const std::string& message,
                     std::optional<int64_t> expect_revision = std::nullopt);
  // Applies and waits until every service's rollout of the new revision is complete, with
  // exactly its replicas listed (nothing left stopping). The new revision's number, or a failure
  // with diagnostics.
  ::testing::AssertionResult ApplyAndWait(const std::string& yaml, const std::string& message,
                                          std::chrono::milliseconds timeout = 20s,
                                          int64_t* revision = nullptr);
  // A raw POST /v1/apply, for the HTTP status.
  HttpReply ApplyRaw(const std::string& yaml, const std::string& message,
                     std::optional<int64_t> expect_revision = std::nullopt);
  // GET /v1/status; null when the server does not answer.
  json Status();
  // Polls the status every 50 ms until `done` holds; the matching status, or nullopt after
  // `timeout` (Diagnostics() then shows the last one seen).
  std::optional<json> WaitFor(const std::function<bool(const json&)>& done,
                              std::chrono::milliseconds timeout);
  // GET /v1/revisions as a list (empty when unreachable).
  json Revisions();
  json Events();
  // Whether the server has logged an event of `type`; WaitForEvent polls (bounded) for one.
  bool HasEvent(const std::string& type);
  bool WaitForEvent(const std::string& type, std::chrono::milliseconds timeout);

  // Runs `cairn ARGS... --addr ADDR`.
  CliResult RunCli(std::vector<std::string> args, std::chrono::milliseconds deadline = 20s);

  // The last status seen, the events and the tail of the server's log, for failure messages.
  std::string Diagnostics();
  std::string ServerLog() const;

 private:
  void StopServerHard();
  void SetServerPid(pid_t pid);
  void KillInstances();

  std::string data_dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  json last_status_;
  CrashSlot* crash_slot_ = nullptr;  // what the fatal-signal handler kills for us
};

}  // namespace cairn::testing
