// FakeDriver: a runtime::Driver that runs nothing. Its "processes" live in a FakeHost, a table
// in memory that a test inspects and steers (fail this command's starts, make that instance
// exit, ignore SIGTERM). Several drivers may share one host, as a restarted server shares the
// machine with the instances the previous one left running.
// Test-only; header-only so it never enters the library.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "runtime/driver.h"

namespace cairn::control {

struct FakeProcess {
  runtime::InstanceConfig config;
  runtime::InstanceHandle handle;
  bool running = true;
  bool exit_on_next_inspect = false;  // "crashes" the next time the controller looks
  int exit_code = -1;
  int signal = 0;
  int terminates = 0;  // SIGTERMs received
  int kills = 0;       // SIGKILLs received
};

struct FakeHost {
  std::map<int, FakeProcess> processes;  // by pid, every process ever started
  int next_pid = 4000;
  int starts = 0;                          // successful Start calls
  std::set<std::string> failing_commands;  // Start fails for these argv[0]
  std::set<std::string> exit_at_once;      // instances of these argv[0] exit when inspected
  bool ignore_terminate = false;           // SIGTERM does nothing; only SIGKILL ends them
};

class FakeDriver final : public runtime::Driver {
 public:
  explicit FakeDriver(std::shared_ptr<FakeHost> host = std::make_shared<FakeHost>())
      : host_(std::move(host)) {}

  const char* Name() const override { return "fake"; }

  Result<runtime::InstanceHandle> Start(const runtime::InstanceConfig& config) override {
    const std::string command = config.argv.empty() ? "" : config.argv[0];
    if (host_->failing_commands.count(command)) {
      return MakeError(ErrorCode::kInvalidArgument, "cannot execute \"" + command + "\"");
    }
    FakeProcess process;
    process.config = config;
    int pid = host_->next_pid++;
    process.handle = {pid, 100000ull + static_cast<unsigned long long>(pid)};
    process.exit_on_next_inspect = host_->exit_at_once.count(command) > 0;
    host_->processes[pid] = process;
    ++host_->starts;
    return process.handle;
  }

  Status Terminate(const runtime::InstanceHandle& handle) override {
    if (FakeProcess* p = Find(handle)) {
      ++p->terminates;
      if (p->running && !host_->ignore_terminate) End(*p, 15);
    }
    return OkStatus();
  }

  Status Kill(const runtime::InstanceHandle& handle) override {
    if (FakeProcess* p = Find(handle)) {
      ++p->kills;
      if (p->running) End(*p, 9);
    }
    return OkStatus();
  }

  runtime::InstanceStatus Inspect(const runtime::InstanceHandle& handle) override {
    FakeProcess* p = Find(handle);
    if (p == nullptr) return {runtime::InstanceState::kGone, -1, 0};
    if (p->running && p->exit_on_next_inspect) {
      p->running = false;
      if (p->exit_code < 0) p->exit_code = 1;
    }
    if (p->running) return {runtime::InstanceState::kRunning, -1, 0};
    return {runtime::InstanceState::kExited, p->exit_code, p->signal};
  }

  // Test controls.
  FakeHost& host() { return *host_; }
  std::shared_ptr<FakeHost> shared_host() const { return host_; }
  void FailStartsOf(const std::string& command) { host_->failing_commands.insert(command); }
  void ExitAtOnce(const std::string& command) { host_->exit_at_once.insert(command); }
  void IgnoreTerminate(bool ignore) { host_->ignore_terminate = ignore; }
  // The process exits with `exit_code` the next time it is inspected.
  void CrashOnNextInspect(int pid, int exit_code = 1) {
    FakeProcess& p = host_->processes.at(pid);
    p.exit_on_next_inspect = true;
    p.exit_code = exit_code;
  }
  int starts() const { return host_->starts; }
  const FakeProcess& process(int pid) const { return host_->processes.at(pid); }
  std::vector<int> RunningPids() const {
    std::vector<int> pids;
    for (const auto& [pid, p] : host_->processes) {
      if (p.running) pids.push_back(pid);
    }
    return pids;
  }

 private:
  FakeProcess* Find(const runtime::InstanceHandle& handle) {
    auto it = host_->processes.find(handle.pid);
    if (it == host_->processes.end() || it->second.handle != handle) return nullptr;
    return &it->second;
  }
  static void End(FakeProcess& p, int signal) {
    p.running = false;
    p.signal = signal;
  }

  std::shared_ptr<FakeHost> host_;
};

}  // namespace cairn::control
