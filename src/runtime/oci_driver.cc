#include "runtime/oci_driver.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "runtime/oci_bundle.h"
#include "runtime/oci_runc.h"
#include "runtime/proc.h"
#include "runtime/spawn.h"

namespace cairn::runtime {
namespace {

namespace fs = std::filesystem;

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// A regular file, not a symlink: runc resolves a symlinked mount point inside the rootfs and
// would create its target there.
bool IsPlainFile(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<int> OpenLog(const std::string& path) {
  if (path.empty()) return -1;  // Spawn sends output to /dev/null
  std::error_code ec;
  auto parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
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

Status WriteFileAtomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) return MakeError(ErrorCode::kIo, "cannot write " + tmp);
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot write " + path + ": " + ec.message());
  return OkStatus();
}

// What the supervisor's wait status says about the instance (see oci_driver.h).
InstanceStatus FromSupervisorStatus(int status) {
  InstanceStatus out;
  out.state = InstanceState::kExited;
  if (WIFSIGNALED(status)) {
    out.signal = WTERMSIG(status);
  } else if (WIFEXITED(status)) {
    int code = WEXITSTATUS(status);
    if (code > 128 && code <= 128 + 64) {
      out.signal = code - 128;
    } else {
      out.exit_code = code;
    }
  }
  return out;
}

// `wanted`, lowered to the server's own hard limit: raising a hard limit takes
// CAP_SYS_RESOURCE, which a server in a container may lack, and runc would then fail.
uint64_t NofileLimit(uint64_t wanted) {
  rlimit limit;
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_max != RLIM_INFINITY &&
      limit.rlim_max < wanted) {
    return limit.rlim_max;
  }
  return wanted;
}

// Checks what Start needs from the rootfs and the host before runc sees anything, so the
// error names the path instead of quoting runc.
Status CheckRootfs(const OciConfig& oci) {
  if (!IsDir(oci.rootfs)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the image rootfs \"" + oci.rootfs + "\" is not a directory");
  }
  std::string missing;
  for (const auto& point : OciRootfsMountPoints()) {
    if (!IsDir(oci.rootfs + point)) missing += (missing.empty() ? "" : ", ") + point;
  }
  if (!missing.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the image rootfs lacks the mount point directories " + missing +
                         " (the rootfs is never written, so they must be in the image)",
                     oci.rootfs);
  }
  if (!oci.secrets_dir.empty() && !IsDir(oci.secrets_dir)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the secrets directory \"" + oci.secrets_dir + "\" is not a directory");
  }
  return OkStatus();
}

class OciDriver final : public Driver {
 public:
  explicit OciDriver(OciDriverOptions options)
      : options_(std::move(options)), runc_(options_.runc, options_.state_root) {}

  const char* Name() const override { return "oci"; }

  Result<InstanceHandle> Start(const InstanceConfig& config) override {
    OciBundleOptions bundle_options;
    bundle_options.nofile = NofileLimit(options_.nofile);
    if (auto chmod = ResolveExecutable("chmod", ""); chmod.ok() && (*chmod)[0] == '/') {
      bundle_options.chmod = *chmod;
    }
    if (!options_.cgroup_parent.empty()) {
      bundle_options.cgroups_path = options_.cgroup_parent + "/" + config.id;
    }
    for (const auto& file : options_.host_files) {
      if (IsPlainFile(file) && IsPlainFile(config.oci.rootfs + file)) {
        bundle_options.host_files.push_back(file);
      }
    }
    auto spec = BuildOciSpec(config, bundle_options);
    if (!spec.ok()) return spec.error();
    if (auto rootfs = CheckRootfs(config.oci); !rootfs.ok()) return rootfs.error();
    if (options_.state_root.empty() || options_.bundles_dir.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "the oci driver needs a state root and a bundles directory");
    }
    auto runc = ResolveExecutable(options_.runc, "");
    if (!runc.ok()) {
      return MakeError(ErrorCode::kUnavailable,
                       "runc is not available (install the runc package): " + runc.error().message);
    }

    std::lock_guard lock(mu_);
    std::string bundle = options_.bundles_dir + "/" + config.id;
    if (fs::exists(options_.state_root + "/" + config.id)) {
      // Left by a server that died while starting this id; ids are never reused otherwise.
      if (auto deleted = runc_.Delete(config.id); !deleted.ok()) return deleted.error();
    }
    std::error_code ec;
    fs::remove_all(bundle, ec);
    fs::create_directories(bundle, ec);
    if (!ec) fs::create_directories(options_.state_root, ec);
    if (ec) {
      return MakeError(ErrorCode::kIo, "cannot create the bundle: " + ec.message(), bundle);
    }
    if (auto written = WriteFileAtomically(bundle + "/config.json", spec->dump(2) + "\n");
        !written.ok()) {
      return written.error();
    }

    auto log_fd = OpenLog(config.log_path);
    if (!log_fd.ok()) {
      fs::remove_all(bundle, ec);
      return log_fd.error();
    }
    SpawnOptions spawn;
    spawn.argv = runc_.RunArgv(config.id, bundle, bundle + "/init.pid", bundle + "/runc.log");
    spawn.env = BaseEnvironment();
    spawn.output_fd = *log_fd;
    auto pid = Spawn(spawn);
    if (*log_fd >= 0) ::close(*log_fd);
    if (!pid.ok()) {
      fs::remove_all(bundle, ec);
      return pid.error();
    }
    // Unreaped until Inspect, so its /proc entry is there even if it already exited.
    auto ticks = ProcessStartTicks(*pid);
    Supervisor sup{config.id, ticks.ok() ? *ticks : 0, true, false, {}};
    // runc takes tens of milliseconds (seconds on a loaded host) to set the container up:
    // Start returns now, and Inspect says kStarting until runc reports the init running.
    sup.starting = true;
    sup.start_deadline = std::chrono::steady_clock::now() + options_.start_timeout;
    instances_[*pid] = sup;
    return InstanceHandle{*pid, sup.start_ticks};
  }

  Status Terminate(const InstanceHandle& handle) override { return Signal(handle, "TERM"); }
  Status Kill(const InstanceHandle& handle) override { return Signal(handle, "KILL"); }

  InstanceStatus Inspect(const InstanceHandle& handle) override {
    std::lock_guard lock(mu_);
    auto it = instances_.find(handle.pid);
    if (it != instances_.end() && it->second.start_ticks == handle.start_ticks) {
      Supervisor& sup = it->second;
      if (sup.finished) return sup.status;
      if (sup.starting) return CheckStart(handle.pid, sup);
      if (sup.child) {
        int status;
        pid_t r;
        do {
          r = ::waitpid(handle.pid, &status, WNOHANG);
        } while (r < 0 && errno == EINTR);
        if (r == 0) return InstanceStatus{InstanceState::kRunning};
        if (r == handle.pid) {
          Finish(sup, FromSupervisorStatus(status));
          return sup.status;
        }
        sup.child = false;  // ECHILD: reaped elsewhere; judge by /proc as for adopted ones
      }
    }
    auto ticks = ProcessStartTicks(handle.pid);
    bool alive = ticks.ok() && *ticks == handle.start_ticks && ProcessState(handle.pid) != 'Z';
    if (alive) {
      (void)LookupLocked(handle);  // remembers the id for the cleanup once it is gone
      return InstanceStatus{InstanceState::kRunning};
    }
    it = instances_.find(handle.pid);
    if (it != instances_.end() && it->second.start_ticks == handle.start_ticks) {
      Finish(it->second, InstanceStatus{InstanceState::kGone});
      return it->second.status;
    }
    return InstanceStatus{InstanceState::kGone};
  }

 private:
  struct Supervisor {
    std::string id;
    unsigned long long start_ticks = 0;
    bool child = false;     // started by this driver: ours to reap
    bool finished = false;  // reaped (or gone) and cleaned up; status is final
    InstanceStatus status;
    bool starting = false;  // runc has not yet reported the container running
    std::chrono::steady_clock::time_point start_deadline{};
  };

  // Whether runc has written the init's pid (the container runs) or has exited (it failed, or
  // the command already finished), without waiting: kStarting while neither, and past
  // start_timeout the start is given up. REQUIRES: mu_ is held; sup.starting.
  InstanceStatus CheckStart(int pid, Supervisor& sup) {
    std::string bundle = options_.bundles_dir + "/" + sup.id;
    bool started = fs::exists(bundle + "/init.pid");
    int status;
    pid_t r;
    do {
      r = ::waitpid(pid, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == pid) {
      sup.starting = false;
      // runc writes the pid file after the init is running, so its presence says the command
      // ran (and has finished); its absence that runc failed.
      if (started || fs::exists(bundle + "/init.pid")) {
        Finish(sup, FromSupervisorStatus(status));
        return sup.status;
      }
      std::string reason = LastRuncError(ReadWhole(bundle + "/runc.log"));
      if (reason.empty()) reason = "runc exited with status " + std::to_string(status);
      return StartFailed(sup, "runc could not start the instance: " + reason);
    }
    if (started) {
      sup.starting = false;
      return InstanceStatus{InstanceState::kRunning};
    }
    if (std::chrono::steady_clock::now() < sup.start_deadline) {
      return InstanceStatus{InstanceState::kStarting};
    }
    sup.starting = false;
    (void)runc_.Kill(sup.id, "KILL");
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return StartFailed(sup, "runc did not start the instance within " +
                                std::to_string(options_.start_timeout.count()) + " ms");
  }

  InstanceStatus StartFailed(Supervisor& sup, std::string why) {
    InstanceStatus failed{InstanceState::kStartFailed};
    failed.start_error = std::move(why);
    Finish(sup, failed);
    return sup.status;
  }

  // The container id of `handle`; kNotFound when the handle names no supervisor of ours any
  // more. Adopted supervisors are recognised by their command line. REQUIRES: mu_ is held.
  Result<std::string> LookupLocked(const InstanceHandle& handle) {
    auto it = instances_.find(handle.pid);
    if (it != instances_.end() && it->second.start_ticks == handle.start_ticks) {
      if (it->second.finished) return MakeError(ErrorCode::kNotFound, "instance has exited");
      return it->second.id;
    }
    auto ticks = ProcessStartTicks(handle.pid);
    if (!ticks.ok() || *ticks != handle.start_ticks) {
      return MakeError(ErrorCode::kNotFound, "no such instance");
    }
    auto id = ContainerIdFromCmdline(ReadWhole("/proc/" + std::to_string(handle.pid) + "/cmdline"),
                                     options_.state_root);
    if (!id.ok()) return id.error();
    instances_[handle.pid] = Supervisor{*id, handle.start_ticks, false, false, {}};
    return *id;
  }

  Status Signal(const InstanceHandle& handle, const std::string& signal) {
    std::lock_guard lock(mu_);
    auto it = instances_.find(handle.pid);
    if (it != instances_.end() && it->second.start_ticks == handle.start_ticks &&
        it->second.starting) {
      // Not running yet, so nothing to stop gracefully, and the container must never come up:
      // the supervisor goes now, and Inspect cleans up what it had made.
      ::kill(handle.pid, SIGKILL);
      return OkStatus();
    }
    auto id = LookupLocked(handle);
    if (!id.ok()) return OkStatus();  // gone already: nothing to stop
    return runc_.Kill(*id, signal);
  }

  void Finish(Supervisor& sup, InstanceStatus status) {
    sup.status = status;
    sup.finished = true;
    Cleanup(sup.id);
  }

  // Removes what is left of a container whose supervisor is gone: a supervisor killed by a
  // signal leaves a running container behind, one that exited normally nothing but the bundle.
  void Cleanup(const std::string& id) {
    if (fs::exists(options_.state_root + "/" + id)) (void)runc_.Delete(id);
    std::error_code ec;
    fs::remove_all(options_.bundles_dir + "/" + id, ec);
  }

  const OciDriverOptions options_;
  const RuncCli runc_;
  std::mutex mu_;
  // Supervisors by pid: started here, or adopted (seen first through a handle). Finished
  // entries keep their status so Inspect answers the same way every time.
  std::map<int, Supervisor> instances_;
};

// Whether this process may create the namespaces every instance gets; errno when not. Forks,
// because unshare() would change the server itself.
int ProbeNamespaces() {
  pid_t pid = ::fork();
  if (pid < 0) return errno;
  if (pid == 0) {
    int r = ::unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS);
    ::_exit(r == 0 ? 0 : (errno & 0xff));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : EPERM;
}

}  // namespace

std::unique_ptr<Driver> NewOciDriver(OciDriverOptions options) {
  return std::make_unique<OciDriver>(std::move(options));
}

Status OciAvailable(const OciDriverOptions& options) {
  auto unavailable = [](const std::string& reason) {
    return MakeError(ErrorCode::kUnavailable, "the oci driver cannot run here: " + reason);
  };
  auto runc = ResolveExecutable(options.runc, "");
  if (!runc.ok()) {
    return unavailable("runc is not installed (" + runc.error().message + ")");
  }
  auto version = RuncCli(*runc, options.state_root).Version();
  if (!version.ok()) return unavailable(version.error().message);
  if (::geteuid() != 0) {
    return unavailable("the server is not root, and rootless runc is not supported");
  }
  if (int err = ProbeNamespaces(); err != 0) {
    return unavailable(std::string("cannot create pid/mount/ipc/uts namespaces: ") + strerror(err));
  }
  if (!IsDir("/sys/fs/cgroup")) return unavailable("no cgroup file system at /sys/fs/cgroup");
  for (const auto& dir : {options.state_root, options.bundles_dir}) {
    if (dir.empty()) return unavailable("the state root and bundles directory must be set");
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || ::access(dir.c_str(), W_OK) != 0) {
      return unavailable("cannot write to " + dir + (ec ? ": " + ec.message() : ""));
    }
  }
  return OkStatus();
}

}  // namespace cairn::runtime
