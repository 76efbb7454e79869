#include "runtime/oci_bundle.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace cairn::runtime {
namespace {

using nlohmann::json;

InstanceConfig Config() {
  InstanceConfig config;
  config.id = "web-3f9a2c1b";
  config.argv = {"/bin/server", "--port", "$PORT"};
  config.workdir = "/app";
  config.env = {{"LOG_LEVEL", "info"}, {"PATH", "/app/bin:/bin"}};
  config.port = 8123;
  config.oci.rootfs = "/data/rootfs/abc";
  return config;
}

json Spec(const InstanceConfig& config, const OciBundleOptions& options = {}) {
  auto spec = BuildOciSpec(config, options);
  EXPECT_TRUE(spec.ok()) << spec.error().ToString();
  return spec.ok() ? *spec : json();
}

const json* FindMount(const json& spec, const std::string& destination) {
  for (const auto& mount : spec["mounts"]) {
    if (mount["destination"] == destination) return &mount;
  }
  return nullptr;
}

bool HasOption(const json& mount, const std::string& option) {
  const auto& options = mount["options"];
  return std::find(options.begin(), options.end(), option) != options.end();
}

TEST(OciBundleTest, RootIsTheSharedRootfsReadOnly) {
  json spec = Spec(Config());
  EXPECT_EQ(spec["ociVersion"], "1.0.2");
  EXPECT_EQ(spec["root"]["path"], "/data/rootfs/abc");
  EXPECT_EQ(spec["root"]["readonly"], true);
  EXPECT_EQ(spec["hostname"], "web-3f9a2c1b");
}

TEST(OciBundleTest, ProcessCarriesArgvEnvWorkdirAndPort) {
  json process = Spec(Config())["process"];
  EXPECT_EQ(process["args"], json({"/bin/server", "--port", "$PORT"}));
  EXPECT_EQ(process["cwd"], "/app");
  EXPECT_EQ(process["terminal"], false);
  EXPECT_EQ(process["env"], json({"CAIRN_INSTANCE=web-3f9a2c1b", "LOG_LEVEL=info",
                                  "PATH=/app/bin:/bin", "PORT=8123"}));
  EXPECT_EQ(process["user"]["uid"], 0);
}

TEST(OciBundleTest, EnvironmentHasADefaultPathAndPortWins) {
  InstanceConfig config = Config();
  config.env = {{"PORT", "1"}};
  config.workdir.clear();
  json process = Spec(config)["process"];
  EXPECT_EQ(
      process["env"],
      json({"CAIRN_INSTANCE=web-3f9a2c1b",
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "PORT=8123"}));
  EXPECT_EQ(process["cwd"], "/");
}

TEST(OciBundleTest, NoCapabilitiesAndNoNewPrivileges) {
  json process = Spec(Config())["process"];
  EXPECT_EQ(process["noNewPrivileges"], true);
  for (const char* set : {"bounding", "effective", "inheritable", "permitted", "ambient"}) {
    EXPECT_EQ(process["capabilities"][set], json::array()) << set;
  }
  EXPECT_EQ(process["rlimits"][0]["type"], "RLIMIT_NOFILE");
  EXPECT_EQ(process["rlimits"][0]["soft"], 65536);
}

TEST(OciBundleTest, NamespacesExcludeTheNetwork) {
  json namespaces = Spec(Config())["linux"]["namespaces"];
  std::vector<std::string> types;
  for (const auto& ns : namespaces) types.push_back(ns["type"]);
  EXPECT_EQ(types, (std::vector<std::string>{"pid", "ipc", "uts", "mount"}));
}

TEST(OciBundleTest, StandardMountsAndASizeLimitedTmp) {
  InstanceConfig config = Config();
  config.oci.tmp_bytes = 32 << 20;
  json spec = Spec(config);
  for (const char* dest :
       {"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/tmp", "/run"}) {
    EXPECT_NE(FindMount(spec, dest), nullptr) << dest;
  }
  EXPECT_TRUE(HasOption(*FindMount(spec, "/sys"), "ro"));
  const json& tmp = *FindMount(spec, "/tmp");
  EXPECT_EQ(tmp["type"], "tmpfs");
  EXPECT_TRUE(HasOption(tmp, "size=32768k"));
  EXPECT_EQ(FindMount(spec, "/run/secrets"), nullptr);
}

TEST(OciBundleTest, SecretsAndHostFilesAreBoundReadOnly) {
  InstanceConfig config = Config();
  config.oci.secrets_dir = "/data/secrets/web";
  OciBundleOptions options;
  options.host_files = {"/etc/resolv.conf"};
  json spec = Spec(config, options);
  const json* secrets = FindMount(spec, "/run/secrets");
  ASSERT_NE(secrets, nullptr);
  EXPECT_EQ((*secrets)["source"], "/data/secrets/web");
  EXPECT_EQ((*secrets)["type"], "bind");
  EXPECT_TRUE(HasOption(*secrets, "ro"));
  // Mounted after /run, whose tmpfs holds the mount point.
  EXPECT_GT(secrets - &spec["mounts"][0], FindMount(spec, "/run") - &spec["mounts"][0]);
  const json* resolv = FindMount(spec, "/etc/resolv.conf");
  ASSERT_NE(resolv, nullptr);
  EXPECT_EQ((*resolv)["source"], "/etc/resolv.conf");
  EXPECT_TRUE(HasOption(*resolv, "ro"));
  EXPECT_EQ(FindMount(spec, "/etc/hosts"), nullptr);
}

TEST(OciBundleTest, HooksMakeTheTmpfsMountsWritableNotTheRootfs) {
  OciBundleOptions options;
  options.chmod = "/usr/bin/chmod";
  json hooks = Spec(Config(), options)["hooks"]["createContainer"];
  ASSERT_EQ(hooks.size(), 2u);
  EXPECT_EQ(hooks[0]["path"], "/usr/bin/chmod");
  EXPECT_EQ(hooks[0]["args"],
            json({"chmod", "1777", "/data/rootfs/abc/tmp", "/data/rootfs/abc/dev/shm"}));
  EXPECT_EQ(hooks[1]["args"], json({"chmod", "755", "/data/rootfs/abc/run"}));
}

TEST(OciBundleTest, ResourceLimits) {
  InstanceConfig config = Config();
  config.oci.memory_bytes = 256ull << 20;
  config.oci.cpu = 0.5;
  config.oci.pids_limit = 64;
  json resources = Spec(config)["linux"]["resources"];
  EXPECT_EQ(resources["memory"]["limit"], 256ull << 20);
  EXPECT_EQ(resources["cpu"]["quota"], 50000);
  EXPECT_EQ(resources["cpu"]["period"], 100000);
  EXPECT_EQ(resources["pids"]["limit"], 64);
}

TEST(OciBundleTest, NoLimitsWhenZeroAndTinyCpuIsClamped) {
  json resources = Spec(Config())["linux"]["resources"];
  EXPECT_FALSE(resources.contains("memory"));
  EXPECT_FALSE(resources.contains("cpu"));
  EXPECT_FALSE(resources.contains("pids"));
  InstanceConfig config = Config();
  config.oci.cpu = 0.001;
  EXPECT_EQ(Spec(config)["linux"]["resources"]["cpu"]["quota"], 1000);
}

TEST(OciBundleTest, MaskedAndReadonlyPathsAsRuncDefaults) {
  json linux = Spec(Config())["linux"];
  EXPECT_EQ(linux["maskedPaths"].size(), 10u);
  EXPECT_EQ(linux["maskedPaths"][2], "/proc/kcore");
  EXPECT_EQ(linux["readonlyPaths"],
            json({"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}));
  EXPECT_FALSE(linux.contains("cgroupsPath"));
  OciBundleOptions options;
  options.cgroups_path = "/cairn/web-3f9a2c1b";
  EXPECT_EQ(Spec(Config(), options)["linux"]["cgroupsPath"], "/cairn/web-3f9a2c1b");
}

TEST(OciBundleTest, RejectsWhatRuncWouldMisread) {
  auto rejects = [](InstanceConfig config, const std::string& words) {
    auto spec = BuildOciSpec(config, {});
    ASSERT_FALSE(spec.ok()) << words;
    EXPECT_EQ(spec.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(spec.error().message.find(words), std::string::npos) << spec.error().message;
  };
  InstanceConfig config = Config();
  config.id = "../escape";
  rejects(config, "not a valid container id");
  config = Config();
  config.argv.clear();
  rejects(config, "no command");
  config = Config();
  config.oci.rootfs = "relative/rootfs";
  rejects(config, "absolute");
  config = Config();
  config.oci.rootfs.clear();
  rejects(config, "absolute");
  config = Config();
  config.workdir = "app";
  rejects(config, "working directory");
  config = Config();
  config.env["A=B"] = "c";
  rejects(config, "environment variable");
  config = Config();
  config.oci.cpu = -1;
  rejects(config, "negative");
}

}  // namespace
}  // namespace cairn::runtime
