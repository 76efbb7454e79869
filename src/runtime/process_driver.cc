// The process driver: instances are plain processes, each the leader of its own session, so
// they outlive a server killed with SIGKILL and a Ctrl-C at the server's terminal never
// reaches them. A later server finds them again by pid and start time.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>

#include "runtime/driver.h"
#include "runtime/proc.h"
#include "runtime/spawn.h"

namespace cairn::runtime {
namespace {

Result<int> OpenLog(const std::string& path) {
  if (path.empty()) return -1;  // Spawn sends output to /dev/null
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) {
    return MakeError(ErrorCode::kIo, "cannot create log directory: " + ec.message(),
                     parent.string());
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return MakeError(ErrorCode::kIo, std::string("cannot open log: ") + strerror(errno), path);
  }
  return fd;
}

InstanceStatus FromWaitStatus(int status) {
  InstanceStatus out;
  out.state = InstanceState::kExited;
  if (WIFEXITED(status)) out.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) out.signal = WTERMSIG(status);
  return out;
}

class ProcessDriver final : public Driver {
 public:
  const char* Name() const override { return "process"; }

  Result<InstanceHandle> Start(const InstanceConfig& config) override {
    if (config.argv.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "instance has no command", config.id);
    }
    SpawnOptions options;
    options.argv = config.argv;
    options.workdir = config.workdir;
    options.env = BaseEnvironment();
    if (!config.id.empty()) options.env["CAIRN_INSTANCE"] = config.id;
    for (const auto& [key, value] : config.env) options.env[key] = value;
    if (config.port > 0) options.env["PORT"] = std::to_string(config.port);

    auto log_fd = OpenLog(config.log_path);
    if (!log_fd.ok()) return log_fd.error();
    options.output_fd = *log_fd;
    auto pid = Spawn(options);
    if (*log_fd >= 0) ::close(*log_fd);
    if (!pid.ok()) return pid.error();

    // The child is not reaped until Inspect, so /proc/PID/stat exists even if it already
    // exited.
    auto ticks = ProcessStartTicks(*pid);
    if (!ticks.ok()) {
      ::kill(-*pid, SIGKILL);
      ::waitpid(*pid, nullptr, 0);
      return MakeError(ErrorCode::kInternal,
                       "cannot read the new process's start time: " + ticks.error().message);
    }
    InstanceHandle handle{*pid, *ticks};
    std::lock_guard lock(mu_);
    children_[*pid] = Child{handle.start_ticks, false, {}};
    return handle;
  }

  Status Terminate(const InstanceHandle& handle) override { return Signal(handle, SIGTERM); }
  Status Kill(const InstanceHandle& handle) override { return Signal(handle, SIGKILL); }

  InstanceStatus Inspect(const InstanceHandle& handle) override {
    {
      std::lock_guard lock(mu_);
      auto it = children_.find(handle.pid);
      if (it != children_.end() && it->second.start_ticks == handle.start_ticks) {
        if (it->second.reaped) return it->second.status;
        int status;
        pid_t r;
        do {
          r = ::waitpid(handle.pid, &status, WNOHANG);
        } while (r < 0 && errno == EINTR);
        if (r == 0) return InstanceStatus{InstanceState::kRunning};
        if (r == handle.pid) {
          it->second.reaped = true;
          it->second.status = FromWaitStatus(status);
          return it->second.status;
        }
        // ECHILD: someone else reaped it (SIGCHLD ignored); fall back to /proc.
        children_.erase(it);
      }
    }
    auto ticks = ProcessStartTicks(handle.pid);
    if (!ticks.ok() || *ticks != handle.start_ticks) return InstanceStatus{InstanceState::kGone};
    // A zombie we cannot reap is as good as gone; its exit status is its parent's to read.
    if (ProcessState(handle.pid) == 'Z') return InstanceStatus{InstanceState::kGone};
    return InstanceStatus{InstanceState::kRunning};
  }

 private:
  struct Child {
    unsigned long long start_ticks = 0;
    bool reaped = false;
    InstanceStatus status;  // valid when reaped
  };

  // Signals the instance's process group after checking the pid is still the instance's.
  // A group whose leader has exited may still hold processes it started; the kernel does not
  // reuse an id that names a live group, so when the pid names no process the group (if any)
  // is the instance's remnant and is signalled too.
  Status Signal(const InstanceHandle& handle, int sig) {
    if (handle.pid <= 1) {
      return MakeError(ErrorCode::kInvalidArgument, "invalid pid " + std::to_string(handle.pid));
    }
    auto ticks = ProcessStartTicks(handle.pid);
    if (ticks.ok() && *ticks != handle.start_ticks) {
      return OkStatus();  // the pid belongs to another process now: the instance is gone
    }
    if (::kill(-handle.pid, sig) < 0 && errno != ESRCH) {
      return MakeError(ErrorCode::kIo, std::string("cannot signal instance: ") + strerror(errno),
                       "pid " + std::to_string(handle.pid));
    }
    return OkStatus();
  }

  std::mutex mu_;
  // Processes this driver started, by pid. Reaped entries keep their exit status so Inspect
  // answers the same way every time.
  std::map<int, Child> children_;
};

}  // namespace

std::unique_ptr<Driver> NewProcessDriver() { return std::make_unique<ProcessDriver>(); }

Result<std::string> ResolveExecutable(const std::string& command, const std::string& workdir) {
  const char* path = std::getenv("PATH");
  return ResolveCommand(command, path ? path : "", workdir);
}

}  // namespace cairn::runtime
