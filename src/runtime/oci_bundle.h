// oci_bundle: the runc config.json (OCI runtime spec 1.0.2) for one instance. Pure: no file
// system access, so every choice below is tested on the JSON alone; the driver probes the host
// and the rootfs and passes what it found in OciBundleOptions.
//
// The container the spec describes:
// - root: the shared image tree, read-only (root.readonly), never copied.
// - process: argv/env/cwd from the InstanceConfig, $PORT, uid/gid, noNewPrivileges, no
//   terminal (stdio passes straight through to the instance log), RLIMIT_NOFILE.
// - capabilities: none at all. A server on $PORT (always >= 1024) needs none; dropping even
//   runc's default three (AUDIT_WRITE, KILL, NET_BIND_SERVICE) costs nothing an instance should
//   do, and means uid 0 inside is only a file owner, not a privileged user. An image that must
//   setuid or bind a port below 1024 is not supported.
// - namespaces: pid, ipc, uts, mount; never network: an instance shares the host's network
//   and listens on 127.0.0.1:$PORT, where cairn's router reaches it. No cgroup or user
//   namespace (runc as root; rootless is not supported).
// - mounts: /proc, /dev (tmpfs), /dev/pts, /dev/shm, /dev/mqueue, /sys (ro), /tmp (tmpfs,
//   size-limited, the only writable place besides /dev/shm and /run), /run (tmpfs) and inside
//   it /run/secrets (bind, ro) when given, plus each host file in host_files bound ro at the
//   same path (resolv.conf, hosts). Every mount point lies in the rootfs already or inside a
//   tmpfs mounted here, so runc never creates one in the shared tree.
// - hooks: two createContainer hooks, chmod of the tmpfs at /tmp, /dev/shm and /run (see
//   OciWritableDirs).
// - linux: maskedPaths and readonlyPaths as `runc spec` writes them; cgroup limits for memory,
//   cpu (quota per 100 ms period) and pids.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"
#include "runtime/driver.h"

namespace cairn::runtime {

struct OciBundleOptions {
  // Host files to bind read-only at the same path inside (e.g. "/etc/resolv.conf"). The driver
  // lists those that exist on the host and as a regular file in the rootfs.
  std::vector<std::string> host_files;
  // linux.cgroupsPath; empty lets runc nest a cgroup named after the instance id under runc's
  // own (that is, the server's) cgroup.
  std::string cgroups_path;
  // RLIMIT_NOFILE soft and hard. Servers want many sockets; 1024 (runc's default) is too few.
  uint64_t nofile = 65536;
  // The host's chmod, run as a createContainer hook (see OciWritableDirs).
  std::string chmod = "/bin/chmod";
};

// runc gives a tmpfs the mode of the directory it covers, and the image cache removes every
// write bit, so /tmp would be r-x for everyone. A createContainer hook — run by runc inside the
// container's mount namespace, on the new tmpfs, after the mounts and before pivot_root —
// makes these 1777 (sticky, writable by any uid), as in any Linux system, and /run 0755
// (writable by root, as on a host). The rootfs itself is never touched: the hooks change the
// tmpfs mounted over it.
const std::vector<std::string>& OciWritableDirs();

// The directories runc mounts over; each must already exist in the rootfs (see OciConfig).
const std::vector<std::string>& OciRootfsMountPoints();

// The spec for `config`. kInvalidArgument when the instance id is not a valid runc id
// (letters, digits, '_', '+', '-', '.'), argv is empty, rootfs is not absolute, workdir is not
// absolute, an env name is empty or holds '=', the port is out of range, or a limit is negative.
Result<nlohmann::json> BuildOciSpec(const InstanceConfig& config, const OciBundleOptions& options);

// The container's environment, in the process driver's order: a default PATH (the one Docker
// uses; the server's PATH means nothing inside an image), CAIRN_INSTANCE, then config.env, then
// PORT. Sorted "NAME=value" strings.
std::vector<std::string> OciEnvironment(const InstanceConfig& config);

}  // namespace cairn::runtime
