// Driver: how cairn starts, stops and inspects one instance. The process driver runs plain
// processes; the oci driver (oci_driver.h) runs them under runc with a read-only root; hollow
// (simulation) follows behind the same interface.
//
// Drivers know nothing of services, revisions or rollouts: only "start this", "stop that".
// Every call returns promptly (no call waits for an instance to exit); the controller keeps
// stop deadlines and asks again. Called on the controller strand only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/units.h"

namespace cairn::runtime {

// What an instance under the oci driver needs beyond its command; the process driver ignores
// it. The caller has already merged the image's Entrypoint/Cmd, Env and WorkingDir into
// InstanceConfig's argv, env and workdir, which the oci driver reads inside the container
// (argv[0] is resolved through the container's PATH; an empty workdir means "/").
struct OciConfig {
  // Absolute path of the image's unpacked tree (image::RootfsCache). Shared read-only by every
  // instance of the image and never written, not even to create mount points: it must hold the
  // directories /proc, /dev, /sys, /tmp and /run. Required by the oci driver.
  std::string rootfs;
  uint64_t memory_bytes = 0;         // memory limit (cgroup); 0: none
  double cpu = 0;                    // cores, e.g. 0.5 (cgroup CPU quota); 0: no limit
  int64_t pids_limit = 0;            // most tasks (processes and threads) at once; 0: none
  uint64_t tmp_bytes = 64ull << 20;  // size of the writable tmpfs at /tmp
  // A host directory bound read-only at /run/secrets; empty: none.
  std::string secrets_dir;
  // The user the command runs as (the image's User, resolved to numbers by the caller).
  uint32_t uid = 0;
  uint32_t gid = 0;
};

struct InstanceConfig {
  std::string id;                          // unique instance id, e.g. "web-3f9a2c1b"
  std::vector<std::string> argv;           // argv[0] is resolved through PATH when it has no '/'
  std::string workdir;                     // empty: inherit the server's
  std::map<std::string, std::string> env;  // added to a minimal base (PATH, HOME, LANG)
  int port = 0;                            // exported as $PORT when > 0
  std::string log_path;                    // stdout and stderr, appended
  OciConfig oci;                           // read by the oci driver only
};

// Identifies a running process beyond its pid: the pid plus its start time in clock ticks
// since boot (field 22 of /proc/PID/stat), so a pid the kernel reused is never mistaken for
// the instance.
struct InstanceHandle {
  int pid = 0;
  unsigned long long start_ticks = 0;
  friend bool operator==(const InstanceHandle&, const InstanceHandle&) = default;
};

enum class InstanceState {
  kStarting,  // the runtime is still setting it up (the oci driver, until runc reports it runs)
  kRunning,
  kExited,       // ended; exit_code / signal say how
  kGone,         // no such process any more, or the pid now belongs to another process
  kStartFailed,  // it never ran: start_error says why (reported after Start returned)
};

struct InstanceStatus {
  InstanceState state = InstanceState::kGone;
  int exit_code = -1;       // when it exited normally
  int signal = 0;           // when a signal ended it
  std::string start_error;  // kStartFailed only
};

class Driver {
 public:
  virtual ~Driver() = default;
  virtual const char* Name() const = 0;
  // Starts the instance in its own process group. Fails with a clear error when it can tell at
  // once that the command does not exist or cannot be executed (the process driver always
  // can); a runtime that sets the instance up in the background returns at once instead, and
  // Inspect says kStarting, then kRunning or kStartFailed (never a crash).
  virtual Result<InstanceHandle> Start(const InstanceConfig& config) = 0;
  // Asks the instance to stop: SIGTERM to its process group. Does not wait for it to exit (the
  // oci driver waits for `runc kill`, milliseconds).
  virtual Status Terminate(const InstanceHandle& handle) = 0;
  // Ends it now: SIGKILL to its process group. Does not wait for it to exit (the oci driver
  // waits for `runc kill`).
  virtual Status Kill(const InstanceHandle& handle) = 0;
  // Current state; reaps the process if it is a child of this server (the oci driver also
  // runs `runc delete` once the container is gone).
  virtual InstanceStatus Inspect(const InstanceHandle& handle) = 0;
};

std::unique_ptr<Driver> NewProcessDriver();

// The file the process driver would execute for `command`: as given when it contains '/'
// (relative to `workdir`), else searched in the server's PATH. An error names the command
// when it is missing, not a regular file, or not executable.
Result<std::string> ResolveExecutable(const std::string& command, const std::string& workdir);

}  // namespace cairn::runtime
