#include "runtime/oci_bundle.h"

#include <cmath>
#include <map>

namespace cairn::runtime {
namespace {

using nlohmann::json;

constexpr char kDefaultPath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
// CFS period for the cpu quota: the kernel's default, and what Docker uses for --cpus.
constexpr int64_t kCpuPeriodUs = 100000;
// The smallest quota the kernel accepts.
constexpr int64_t kMinCpuQuotaUs = 1000;
// /run holds pid files and sockets, and the /run/secrets mount point.
constexpr uint64_t kRunTmpfsBytes = 16ull << 20;

bool ValidId(const std::string& id) {
  if (id.empty() || id == "." || id == "..") return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

json Mount(const std::string& destination, const std::string& type, const std::string& source,
           std::vector<std::string> options) {
  return json{{"destination", destination},
              {"type", type},
              {"source", source},
              {"options", std::move(options)}};
}

json Mounts(const InstanceConfig& config, const OciBundleOptions& options) {
  json mounts = json::array();
  mounts.push_back(Mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
  mounts.push_back(
      Mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  mounts.push_back(
      Mount("/dev/pts", "devpts", "devpts",
            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
  mounts.push_back(
      Mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
  mounts.push_back(Mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
  mounts.push_back(Mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
  mounts.push_back(Mount("/tmp", "tmpfs", "tmpfs",
                         {"nosuid", "nodev", "mode=1777",
                          "size=" + std::to_string(config.oci.tmp_bytes / 1024) + "k"}));
  mounts.push_back(Mount(
      "/run", "tmpfs", "tmpfs",
      {"nosuid", "nodev", "mode=755", "size=" + std::to_string(kRunTmpfsBytes / 1024) + "k"}));
  if (!config.oci.secrets_dir.empty()) {
    mounts.push_back(Mount("/run/secrets", "bind", config.oci.secrets_dir,
                           {"rbind", "ro", "nosuid", "nodev", "noexec"}));
  }
  for (const auto& file : options.host_files) {
    mounts.push_back(Mount(file, "bind", file, {"rbind", "ro", "nosuid", "nodev", "noexec"}));
  }
  return mounts;
}

json Resources(const OciConfig& oci) {
  json resources = json::object();
  // Default deny of device nodes, as runc's own spec: /dev is a tmpfs holding only runc's
  // standard set (null, zero, full, random, urandom, tty, ptmx), which runc always allows.
  resources["devices"] = json::array({{{"allow", false}, {"access", "rwm"}}});
  if (oci.memory_bytes > 0) resources["memory"] = {{"limit", oci.memory_bytes}};
  if (oci.cpu > 0) {
    auto quota = static_cast<int64_t>(std::llround(oci.cpu * kCpuPeriodUs));
    if (quota < kMinCpuQuotaUs) quota = kMinCpuQuotaUs;
    resources["cpu"] = {{"quota", quota}, {"period", kCpuPeriodUs}};
  }
  if (oci.pids_limit > 0) resources["pids"] = {{"limit", oci.pids_limit}};
  return resources;
}

json ChmodHook(const OciBundleOptions& options, const std::string& mode,
               const std::vector<std::string>& paths) {
  std::vector<std::string> args = {"chmod", mode};
  args.insert(args.end(), paths.begin(), paths.end());
  return json{{"path", options.chmod}, {"args", args}, {"timeout", 10}};
}

json Hooks(const InstanceConfig& config, const OciBundleOptions& options) {
  std::vector<std::string> shared;
  for (const auto& dir : OciWritableDirs()) shared.push_back(config.oci.rootfs + dir);
  return {
      {"createContainer", json::array({ChmodHook(options, "1777", shared),
                                       ChmodHook(options, "755", {config.oci.rootfs + "/run"})})}};
}

}  // namespace

const std::vector<std::string>& OciRootfsMountPoints() {
  static const std::vector<std::string> points = {"/proc", "/dev", "/sys", "/tmp", "/run"};
  return points;
}

const std::vector<std::string>& OciWritableDirs() {
  static const std::vector<std::string> dirs = {"/tmp", "/dev/shm"};
  return dirs;
}

std::vector<std::string> OciEnvironment(const InstanceConfig& config) {
  std::map<std::string, std::string> env;
  env["PATH"] = kDefaultPath;
  if (!config.id.empty()) env["CAIRN_INSTANCE"] = config.id;
  for (const auto& [key, value] : config.env) env[key] = value;
  if (config.port > 0) env["PORT"] = std::to_string(config.port);
  std::vector<std::string> out;
  for (const auto& [key, value] : env) out.push_back(key + "=" + value);
  return out;
}

Result<json> BuildOciSpec(const InstanceConfig& config, const OciBundleOptions& options) {
  auto invalid = [&](const std::string& message) {
    return MakeError(ErrorCode::kInvalidArgument, message, config.id);
  };
  if (!ValidId(config.id)) {
    return invalid("instance id \"" + config.id +
                   "\" is not a valid container id (letters, digits, _ + - . only)");
  }
  if (config.argv.empty() || config.argv[0].empty()) return invalid("instance has no command");
  if (config.oci.rootfs.empty() || config.oci.rootfs[0] != '/') {
    return invalid("the rootfs must be an absolute path, not \"" + config.oci.rootfs + "\"");
  }
  if (!config.workdir.empty() && config.workdir[0] != '/') {
    return invalid("the working directory must be absolute inside the image, not \"" +
                   config.workdir + "\"");
  }
  if (!config.oci.secrets_dir.empty() && config.oci.secrets_dir[0] != '/') {
    return invalid("the secrets directory must be an absolute path");
  }
  for (const auto& [key, value] : config.env) {
    if (key.empty() || key.find('=') != std::string::npos) {
      return invalid("invalid environment variable name \"" + key + "\"");
    }
  }
  if (config.port < 0 || config.port > 65535) {
    return invalid("port " + std::to_string(config.port) + " is out of range");
  }
  if (!(config.oci.cpu >= 0) || config.oci.pids_limit < 0) {
    return invalid("cpu and pids limits must not be negative");
  }

  json process = {
      {"terminal", false},
      {"user", {{"uid", config.oci.uid}, {"gid", config.oci.gid}}},
      {"args", config.argv},
      {"env", OciEnvironment(config)},
      {"cwd", config.workdir.empty() ? "/" : config.workdir},
      {"capabilities",
       {{"bounding", json::array()},
        {"effective", json::array()},
        {"inheritable", json::array()},
        {"permitted", json::array()},
        {"ambient", json::array()}}},
      {"rlimits",
       json::array(
           {{{"type", "RLIMIT_NOFILE"}, {"hard", options.nofile}, {"soft", options.nofile}}})},
      {"noNewPrivileges", true},
  };
  json linux = {
      {"namespaces",
       json::array({{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}})},
      {"resources", Resources(config.oci)},
      {"maskedPaths",
       {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
        "/proc/scsi"}},
      {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}},
  };
  if (!options.cgroups_path.empty()) linux["cgroupsPath"] = options.cgroups_path;

  return json{
      {"ociVersion", "1.0.2"},
      {"process", std::move(process)},
      {"root", {{"path", config.oci.rootfs}, {"readonly", true}}},
      {"hostname", config.id},
      {"mounts", Mounts(config, options)},
      {"hooks", Hooks(config, options)},
      {"linux", std::move(linux)},
  };
}

}  // namespace cairn::runtime
