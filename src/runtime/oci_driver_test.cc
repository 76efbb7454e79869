// The oci driver against the real runc, on a tiny busybox rootfs built per test. Skipped (with
// the reason) only when OciAvailable says runc cannot run here.
#include "runtime/oci_driver.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "core/require_tool_for_test.h"
#include "runtime/oci_runc.h"

namespace cairn::runtime {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// GET / on 127.0.0.1:port, retried until something answers or 5 s pass; the whole response.
std::string HttpGet(int port) {
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      std::string request = "GET / HTTP/1.0\r\n\r\n";
      (void)!::write(fd, request.data(), request.size());
      std::string response;
      char buffer[4096];
      ssize_t n;
      while ((n = ::read(fd, buffer, sizeof buffer)) > 0) response.append(buffer, n);
      ::close(fd);
      return response;
    }
    ::close(fd);
    std::this_thread::sleep_for(10ms);
  }
  return "";
}

// Every entry of a tree with what a write would change: type, mode, size, mtime.
std::map<std::string, std::string> Snapshot(const std::string& root) {
  std::map<std::string, std::string> out;
  auto describe = [](const fs::path& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return std::string("?");
    return std::to_string(st.st_mode) + " " + std::to_string(st.st_size) + " " +
           std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  };
  out["."] = describe(root);
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    out[fs::relative(entry.path(), root).string()] = describe(entry.path());
  }
  return out;
}

// A busybox tree shaped like an image the cache prepares: mount points present, no write bits.
void BuildRootfs(const std::string& root) {
  for (const char* dir : {"bin", "proc", "dev", "sys", "tmp", "run", "etc", "www"}) {
    fs::create_directories(root + "/" + dir);
  }
  fs::copy_file("/bin/busybox", root + "/bin/busybox");
  for (const char* applet :
       {"sh", "sleep", "httpd", "cat", "echo", "pwd", "hostname", "id", "grep", "touch", "ls"}) {
    fs::create_symlink("busybox", root + "/bin/" + applet);
  }
  std::ofstream(root + "/www/index.html") << "hello from oci\n";
  std::ofstream(root + "/etc/hosts") << "# replaced by the host's\n";
  ASSERT_EQ(std::system(("chmod -R a-w " + root).c_str()), 0);
}

class OciDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cairn-oci-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    options_.state_root = dir_ + "/runc";
    options_.bundles_dir = dir_ + "/bundles";
    if (auto available = OciAvailable(options_); !available.ok()) {
      CAIRN_REQUIRE_TOOL(false, available.error().message);
    }
    rootfs_ = dir_ + "/rootfs";
    BuildRootfs(rootfs_);
    before_ = Snapshot(rootfs_);
    driver_ = NewOciDriver(options_);
  }

  void TearDown() override {
    // Leave nothing running, whatever the test did.
    if (driver_) {
      for (const auto& handle : started_) {
        (void)driver_->Kill(handle);
        WaitForEnd(handle, 10s);
      }
    }
    RuncCli runc("runc", options_.state_root);
    for (const auto& id : ids_) (void)runc.Delete(id);
    if (!rootfs_.empty()) {
      EXPECT_EQ(Snapshot(rootfs_), before_) << "the shared rootfs was written";
    }
    (void)std::system(("chmod -R u+w " + dir_ + " 2>/dev/null").c_str());
    fs::remove_all(dir_);
  }

  InstanceConfig Config(const std::string& script) {
    InstanceConfig config;
    config.id = "oci-test-" + std::to_string(ids_.size());
    ids_.push_back(config.id);
    config.argv = {"sh", "-c", script};
    config.log_path = dir_ + "/logs/" + config.id + ".log";
    config.oci.rootfs = rootfs_;
    return config;
  }

  // Starts `config` and waits (bounded) until runc has set it up: Start itself returns as soon
  // as runc is spawned.
  InstanceHandle MustStart(const InstanceConfig& config) {
    auto handle = driver_->Start(config);
    EXPECT_TRUE(handle.ok()) << handle.error().ToString();
    if (!handle.ok()) return {};
    started_.push_back(*handle);
    InstanceStatus status = WaitWhileStarting(*handle);
    EXPECT_NE(status.state, InstanceState::kStarting) << "runc did not start it within 20 s";
    EXPECT_NE(status.state, InstanceState::kStartFailed) << status.start_error;
    return *handle;
  }

  InstanceStatus WaitWhileStarting(const InstanceHandle& handle) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    InstanceStatus status = driver_->Inspect(handle);
    while (status.state == InstanceState::kStarting &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
      status = driver_->Inspect(handle);
    }
    return status;
  }

  // Polls Inspect until the instance is no longer running or the deadline passes.
  InstanceStatus WaitForEnd(const InstanceHandle& handle, std::chrono::milliseconds timeout,
                            Driver* driver = nullptr) {
    if (driver == nullptr) driver = driver_.get();
    auto deadline = std::chrono::steady_clock::now() + timeout;
    InstanceStatus status = driver->Inspect(handle);
    while ((status.state == InstanceState::kRunning || status.state == InstanceState::kStarting) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
      status = driver->Inspect(handle);
    }
    return status;
  }

  bool WaitForLog(const std::string& path, const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (ReadFile(path).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  // The pid (in the host's namespace) of the container's init.
  int InitPid(const std::string& id) {
    return std::atoi(ReadFile(options_.bundles_dir + "/" + id + "/init.pid").c_str());
  }

  // A cgroup file of `pid` for `controller` (cgroup v1), or `v2_file` under its unified cgroup.
  std::string CgroupFile(int pid, const std::string& controller, const std::string& v1_file,
                         const std::string& v2_file) {
    std::istringstream in(ReadFile("/proc/" + std::to_string(pid) + "/cgroup"));
    std::string line;
    std::string unified;
    while (std::getline(in, line)) {
      auto first = line.find(':');
      auto second = line.find(':', first + 1);
      std::string controllers = line.substr(first + 1, second - first - 1);
      std::string path = line.substr(second + 1);
      std::istringstream names(controllers);
      std::string name;
      while (std::getline(names, name, ',')) {
        if (name == controller) {
          return Trim(ReadFile("/sys/fs/cgroup/" + controller + path + "/" + v1_file));
        }
      }
      if (controllers.empty()) unified = path;
    }
    return Trim(ReadFile("/sys/fs/cgroup" + unified + "/" + v2_file));
  }

  std::string dir_;
  std::string rootfs_;
  std::map<std::string, std::string> before_;
  OciDriverOptions options_;
  std::unique_ptr<Driver> driver_;
  std::vector<std::string> ids_;
  std::vector<InstanceHandle> started_;
};

TEST_F(OciDriverTest, ServesOnTheHostLoopback) {
  auto config = Config("exec httpd -f -p 127.0.0.1:$PORT -h /www");
  config.port = FreePort();
  auto start = std::chrono::steady_clock::now();
  InstanceHandle handle = MustStart(config);
  auto started = std::chrono::steady_clock::now();
  std::string response = HttpGet(config.port);
  auto served = std::chrono::steady_clock::now();
  EXPECT_STREQ(driver_->Name(), "oci");
  EXPECT_NE(response.find("hello from oci"), std::string::npos) << response;
  EXPECT_EQ(driver_->Inspect(handle).state, InstanceState::kRunning);
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  std::cout << "[ measure  ] Start returned after "
            << duration_cast<milliseconds>(started - start).count() << " ms; first response after "
            << duration_cast<milliseconds>(served - start).count() << " ms\n";
  ASSERT_TRUE(driver_->Kill(handle).ok());
  auto status = WaitForEnd(handle, 10s);
  EXPECT_EQ(status.state, InstanceState::kExited);
  EXPECT_EQ(status.signal, SIGKILL);
  EXPECT_FALSE(fs::exists(options_.bundles_dir + "/" + config.id)) << "bundle left behind";
  EXPECT_FALSE(fs::exists(options_.state_root + "/" + config.id)) << "runc state left behind";
}

TEST_F(OciDriverTest, RootIsReadOnlyTmpWritableAndTheProcessSeesItsConfig) {
  fs::create_directories(dir_ + "/secrets");
  std::ofstream(dir_ + "/secrets/db_password") << "s3cret";
  auto config = Config(
      "echo x 2>/dev/null >/f && echo root=writable || echo root=read-only;"
      "echo y > /tmp/t && echo tmp=$(cat /tmp/t); echo z > /run/z && echo run=$(cat /run/z);"
      "echo port=$PORT foo=$FOO instance=$CAIRN_INSTANCE pid=$$ cwd=$(pwd) host=$(hostname);"
      "echo secret=$(cat /run/secrets/db_password);"
      "touch /run/secrets/new 2>/dev/null && echo secrets=writable || echo secrets=read-only;"
      "grep CapEff /proc/self/status; grep NoNewPrivs /proc/self/status;"
      "echo to-stderr >&2");
  config.port = 18555;
  config.env = {{"FOO", "bar baz"}};
  config.workdir = "/www";
  config.oci.secrets_dir = dir_ + "/secrets";
  InstanceHandle handle = MustStart(config);
  auto status = WaitForEnd(handle, 10s);
  EXPECT_EQ(status.state, InstanceState::kExited);
  EXPECT_EQ(status.exit_code, 0);
  std::string log = ReadFile(config.log_path);
  EXPECT_NE(log.find("root=read-only\n"), std::string::npos) << log;
  EXPECT_NE(log.find("tmp=y\n"), std::string::npos) << log;
  EXPECT_NE(log.find("run=z\n"), std::string::npos) << log;
  EXPECT_NE(log.find("port=18555 foo=bar baz instance=" + config.id +
                     " pid=1 cwd=/www host=" + config.id + "\n"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("secret=s3cret\n"), std::string::npos) << log;
  EXPECT_NE(log.find("secrets=read-only\n"), std::string::npos) << log;
  EXPECT_NE(log.find("CapEff:\t0000000000000000\n"), std::string::npos) << log;
  EXPECT_NE(log.find("NoNewPrivs:\t1\n"), std::string::npos) << log;
  EXPECT_NE(log.find("to-stderr\n"), std::string::npos) << log;
}

TEST_F(OciDriverTest, AnUnprivilegedUserCanWriteTmpAndShm) {
  auto config = Config(
      "echo uid=$(id -u); echo a > /tmp/a && echo tmp=ok; echo b > /dev/shm/b && echo shm=ok;"
      "echo c 2>/dev/null >/run/c || echo run=root-only");
  config.oci.uid = 65534;
  config.oci.gid = 65534;
  InstanceHandle handle = MustStart(config);
  EXPECT_EQ(WaitForEnd(handle, 10s).exit_code, 0);
  EXPECT_EQ(ReadFile(config.log_path), "uid=65534\ntmp=ok\nshm=ok\nrun=root-only\n");
}

TEST_F(OciDriverTest, LimitsAppearInTheInstancesCgroup) {
  auto config = Config("echo ready; exec sleep 60");
  config.oci.memory_bytes = 64ull << 20;
  config.oci.pids_limit = 32;
  config.oci.cpu = 0.5;
  InstanceHandle handle = MustStart(config);
  ASSERT_TRUE(WaitForLog(config.log_path, "ready"));
  int init = InitPid(config.id);
  ASSERT_GT(init, 0);
  EXPECT_EQ(CgroupFile(init, "memory", "memory.limit_in_bytes", "memory.max"),
            std::to_string(64 << 20));
  EXPECT_EQ(CgroupFile(init, "pids", "pids.max", "pids.max"), "32");
  std::string cpu = CgroupFile(init, "cpu", "cpu.cfs_quota_us", "cpu.max");
  EXPECT_TRUE(cpu == "50000" || cpu == "50000 100000") << cpu;
  ASSERT_TRUE(driver_->Kill(handle).ok());
  EXPECT_EQ(WaitForEnd(handle, 10s).state, InstanceState::kExited);
}

TEST_F(OciDriverTest, TerminateStopsItAndInspectReportsTheExitCode) {
  auto config = Config("trap 'echo bye; exit 7' TERM; echo ready; while :; do sleep 0.1; done");
  InstanceHandle handle = MustStart(config);
  ASSERT_TRUE(WaitForLog(config.log_path, "ready"));
  ASSERT_TRUE(driver_->Terminate(handle).ok());
  auto status = WaitForEnd(handle, 10s);
  EXPECT_EQ(status.state, InstanceState::kExited);
  EXPECT_EQ(status.exit_code, 7);
  EXPECT_EQ(status.signal, 0);
  EXPECT_NE(ReadFile(config.log_path).find("bye"), std::string::npos);
  // Stable once reaped; stopping again is harmless.
  EXPECT_EQ(driver_->Inspect(handle).exit_code, 7);
  EXPECT_TRUE(driver_->Terminate(handle).ok());
  EXPECT_TRUE(driver_->Kill(handle).ok());
  EXPECT_FALSE(fs::exists(options_.bundles_dir + "/" + config.id));
}

TEST_F(OciDriverTest, APid1WithoutATermHandlerNeedsKill) {
  auto config = Config("echo ready; while :; do sleep 0.1; done");
  InstanceHandle handle = MustStart(config);
  ASSERT_TRUE(WaitForLog(config.log_path, "ready"));
  ASSERT_TRUE(driver_->Terminate(handle).ok());
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(driver_->Inspect(handle).state, InstanceState::kRunning);
  ASSERT_TRUE(driver_->Kill(handle).ok());
  auto status = WaitForEnd(handle, 10s);
  EXPECT_EQ(status.state, InstanceState::kExited);
  EXPECT_EQ(status.signal, SIGKILL);
}

TEST_F(OciDriverTest, ACommandThatEndsAtOnceReportsItsCode) {
  auto config = Config("exit 3");
  InstanceHandle handle = MustStart(config);
  auto status = WaitForEnd(handle, 10s);
  EXPECT_EQ(status.state, InstanceState::kExited);
  EXPECT_EQ(status.exit_code, 3);
}

TEST_F(OciDriverTest, TwoInstancesOfOneRootfsRunAtOnce) {
  auto a = Config("exec httpd -f -p 127.0.0.1:$PORT -h /www");
  auto b = Config("exec httpd -f -p 127.0.0.1:$PORT -h /www");
  a.port = FreePort();
  b.port = FreePort();
  InstanceHandle ha = MustStart(a);
  InstanceHandle hb = MustStart(b);
  EXPECT_NE(HttpGet(a.port).find("hello from oci"), std::string::npos);
  EXPECT_NE(HttpGet(b.port).find("hello from oci"), std::string::npos);
  EXPECT_NE(InitPid(a.id), InitPid(b.id));
  ASSERT_TRUE(driver_->Kill(ha).ok());
  EXPECT_EQ(WaitForEnd(ha, 10s).state, InstanceState::kExited);
  EXPECT_EQ(driver_->Inspect(hb).state, InstanceState::kRunning) << "b must outlive a";
  EXPECT_NE(HttpGet(b.port).find("hello from oci"), std::string::npos);
}

TEST_F(OciDriverTest, ALostSupervisorTakesItsContainerWithIt) {
  auto config = Config("echo ready; while :; do sleep 0.1; done");
  InstanceHandle handle = MustStart(config);
  ASSERT_TRUE(WaitForLog(config.log_path, "ready"));
  int init = InitPid(config.id);
  ASSERT_GT(init, 0);
  ::kill(handle.pid, SIGKILL);  // runc itself dies; the container would run on, unsupervised
  auto status = WaitForEnd(handle, 10s);
  EXPECT_EQ(status.state, InstanceState::kExited);
  EXPECT_EQ(status.signal, SIGKILL);
  // Inspect removed the orphan (runc delete --force) before answering.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (::kill(init, 0) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_NE(::kill(init, 0), 0) << "the container outlived its supervisor";
  EXPECT_FALSE(fs::exists(options_.state_root + "/" + config.id));
}

TEST_F(OciDriverTest, ANewDriverAdoptsARunningInstance) {
  auto config = Config("echo ready; while :; do sleep 0.1; done");
  InstanceHandle handle = MustStart(config);
  ASSERT_TRUE(WaitForLog(config.log_path, "ready"));
  auto later = NewOciDriver(options_);  // as a restarted server would
  EXPECT_EQ(later->Inspect(handle).state, InstanceState::kRunning);
  ASSERT_TRUE(later->Kill(handle).ok());
  // Not its child: the exit code is the first driver's to read, the later one sees it gone.
  EXPECT_EQ(WaitForEnd(handle, 10s).state, InstanceState::kExited);
  EXPECT_EQ(later->Inspect(handle).state, InstanceState::kGone);
  EXPECT_FALSE(fs::exists(options_.bundles_dir + "/" + config.id));
}

// What runc reports comes from Inspect (Start does not wait for runc): a command missing from
// the image is kStartFailed with runc's message, and nothing is left behind.
TEST_F(OciDriverTest, RuncsOwnFailuresAreStartFailuresFromInspect) {
  auto missing = Config("true");
  missing.argv = {"no-such-command"};
  auto handle = driver_->Start(missing);
  ASSERT_TRUE(handle.ok()) << handle.error().ToString();
  InstanceStatus status = WaitWhileStarting(*handle);
  ASSERT_EQ(status.state, InstanceState::kStartFailed);
  EXPECT_NE(status.start_error.find("executable file not found"), std::string::npos)
      << status.start_error;
  EXPECT_EQ(driver_->Inspect(*handle).start_error, status.start_error) << "asked again";
  EXPECT_FALSE(fs::exists(options_.bundles_dir + "/" + missing.id)) << "bundle left behind";
  EXPECT_FALSE(fs::exists(options_.state_root + "/" + missing.id)) << "runc state left behind";
}

// Stopped before runc set it up, an instance never comes up, and nothing is left behind.
TEST_F(OciDriverTest, KillWhileStartingEndsIt) {
  auto config = Config("sleep 1000");
  auto handle = driver_->Start(config);
  ASSERT_TRUE(handle.ok()) << handle.error().ToString();
  started_.push_back(*handle);
  ASSERT_TRUE(driver_->Kill(*handle).ok());
  InstanceStatus status = WaitForEnd(*handle, 20s);
  EXPECT_TRUE(status.state == InstanceState::kStartFailed || status.state == InstanceState::kExited)
      << static_cast<int>(status.state);
  EXPECT_FALSE(fs::exists(options_.bundles_dir + "/" + config.id)) << "bundle left behind";
  EXPECT_FALSE(fs::exists(options_.state_root + "/" + config.id)) << "runc state left behind";
}

TEST_F(OciDriverTest, StartReportsWhatItCanTellAtOnce) {
  auto no_rootfs = Config("true");
  no_rootfs.oci.rootfs = dir_ + "/no-such-rootfs";
  auto result = driver_->Start(no_rootfs);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("no-such-rootfs\" is not a directory"), std::string::npos)
      << result.error().message;

  fs::create_directories(dir_ + "/bare/bin");
  auto bare = Config("true");
  bare.oci.rootfs = dir_ + "/bare";
  result = driver_->Start(bare);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("/proc, /dev, /sys, /tmp, /run"), std::string::npos)
      << result.error().message;
  EXPECT_EQ(fs::directory_iterator(dir_ + "/bare/bin"), fs::directory_iterator());

  OciDriverOptions no_runc = options_;
  no_runc.runc = "/nonexistent/runc";
  result = NewOciDriver(no_runc)->Start(Config("true"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(result.error().message.find("runc is not available"), std::string::npos)
      << result.error().message;
}

TEST(OciAvailableTest, NamesAMissingRunc) {
  OciDriverOptions options;
  options.runc = "/nonexistent/runc";
  options.state_root = "/tmp/unused";
  options.bundles_dir = "/tmp/unused";
  auto status = OciAvailable(options);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(status.error().message.find("runc is not installed"), std::string::npos)
      << status.error().message;
}

}  // namespace
}  // namespace cairn::runtime
