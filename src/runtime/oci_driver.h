// The oci driver: each instance is a runc container whose root is the image's shared,
// read-only tree (InstanceConfig::oci.rootfs), with its own pid/ipc/uts/mount namespaces and
// cgroup limits, on the host's network. The spec it runs is oci_bundle.h's.
//
// Supervision. Start spawns `runc run` in the foreground (not --detach) as a child of the
// server, in a session of its own, with the instance log as its stdout and stderr. That runc
// process — the supervisor — is the parent and reaper of the container's init, forwards
// signals to it, passes the log descriptor straight to it (no copying), removes the container
// when the init exits, and exits with the init's status. So the supervisor is what the
// InstanceHandle names: the server reaps it like a process-driver instance and learns the
// exit code, with no process-wide PR_SET_CHILD_SUBREAPER (which would make every orphan of
// every instance a zombie of the server). The cost is one runc process per instance (about
// 10 MB resident). Like process-driver instances, supervisors outlive a server killed with
// SIGKILL; a later server's driver finds the container id again from the supervisor's command
// line (pid and start time checked first), so Terminate/Kill/Inspect work on adopted handles;
// their exit code is lost (Inspect says kGone), as for adopted processes.
//
// Stopping. Terminate is `runc kill ID TERM` and Kill `runc kill ID KILL`. The command is pid
// 1 of its namespace, so a signal it installs no handler for (SIGTERM included) is ignored:
// a server that does not handle SIGTERM only stops at Kill, which the controller sends after
// its stop deadline.
//
// Exit status. runc reports 128+N when signal N ended the init; Inspect turns an exit code in
// 129..192 into `signal` = N (as a shell does), so a command that itself exits with 130 reads
// as SIGINT. When the supervisor is gone Inspect removes the container's leftovers (`runc
// delete --force`, the bundle dir).
//
// Errors. Start reports what it can tell at once: runc missing, the rootfs missing or lacking a
// mount point, a bad spec. It returns as soon as runc is spawned, without waiting for the
// container: Inspect says kStarting until runc has written the init's pid, then kRunning; a
// command not found in the image, or any other runc failure, is kStartFailed with runc's own
// message in start_error, as is a container not running within start_timeout.
//
// Thread-safety: calls are serialized by an internal mutex; none waits for runc to set a
// container up, and each runs at most one short runc command.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "runtime/driver.h"

namespace cairn::runtime {

struct OciDriverOptions {
  // The runc executable: a path, or a name searched in the server's PATH.
  std::string runc = "runc";
  // runc's state directory (runc --root), e.g. <data-dir>/runc. Made on first use. Required.
  std::string state_root;
  // One directory per running instance, <bundles_dir>/<id>, holding config.json, runc's log
  // (runc.log) and the init's pid file; removed when the instance is gone. E.g.
  // <data-dir>/bundles. Made on first use. Required.
  std::string bundles_dir;
  // Empty: runc makes each instance's cgroup "<id>" under the server's own cgroup, so limits
  // set on the server's cgroup bound every instance too. Else "<cgroup_parent>/<id>".
  std::string cgroup_parent;
  // How long Start waits for runc to report the container running.
  std::chrono::milliseconds start_timeout{10000};
  // RLIMIT_NOFILE of every instance, lowered to the server's own hard limit when that is less.
  uint64_t nofile = 65536;
  // Host files bound read-only at the same path when the rootfs holds a regular file there
  // (a symlink or a missing file is skipped: binding would make runc write to the rootfs).
  std::vector<std::string> host_files = {"/etc/resolv.conf", "/etc/hosts"};
};

// REQUIRES: options.state_root and options.bundles_dir are set (else every Start fails).
std::unique_ptr<Driver> NewOciDriver(OciDriverOptions options);

// Whether runc can run instances here; the reason when not (kUnavailable): no runc binary, runc
// failing to run, not root (rootless runc is not supported), namespaces not permitted, no
// cgroup file system, or the state root not writable. Takes a few ms; the server runs it once
// at start when an environment asks for the oci driver.
Status OciAvailable(const OciDriverOptions& options);

}  // namespace cairn::runtime
