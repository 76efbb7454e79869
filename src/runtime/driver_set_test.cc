// DriverSet routes each instance to the driver that runs it: commands to the process driver
// (a fake here), images to the real runc, adopted runc supervisors back to the oci driver.
#include "runtime/driver_set.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "core/require_tool_for_test.h"

namespace cairn::runtime {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// Counts what reaches the process driver; its handles are made up.
class CountingDriver : public Driver {
 public:
  const char* Name() const override { return "counting"; }
  Result<InstanceHandle> Start(const InstanceConfig&) override {
    ++starts;
    return InstanceHandle{999999, 1};
  }
  Status Terminate(const InstanceHandle&) override {
    ++signals;
    return OkStatus();
  }
  Status Kill(const InstanceHandle&) override {
    ++signals;
    return OkStatus();
  }
  InstanceStatus Inspect(const InstanceHandle&) override {
    ++inspects;
    return {InstanceState::kGone};
  }
  int starts = 0, signals = 0, inspects = 0;
};

class DriverSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cairn-driver-set-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    options_.state_root = dir_ + "/runc";
    options_.bundles_dir = dir_ + "/bundles";
  }
  void TearDown() override {
    (void)std::system(("chmod -R u+w " + dir_ + " 2>/dev/null").c_str());
    fs::remove_all(dir_);
  }
  // A busybox tree as the rootfs cache prepares one (mount points present, read-only).
  std::string Rootfs() {
    std::string root = dir_ + "/rootfs";
    for (const char* d : {"bin", "proc", "dev", "sys", "tmp", "run"}) {
      fs::create_directories(root + "/" + d);
    }
    fs::copy_file("/bin/busybox", root + "/bin/busybox");
    fs::create_symlink("busybox", root + "/bin/sh");
    fs::create_symlink("busybox", root + "/bin/sleep");
    EXPECT_EQ(std::system(("chmod -R a-w " + root).c_str()), 0);
    return root;
  }
  InstanceConfig Image(const std::string& rootfs) {
    InstanceConfig c;
    c.id = "set-test-" + std::to_string(getpid());
    c.argv = {"sh", "-c", "trap 'exit 3' TERM; while true; do sleep 0.05; done"};
    c.log_path = dir_ + "/instance.log";
    c.oci.rootfs = rootfs;
    return c;
  }
  // Start returns before runc has set an image instance up: wait (bounded) until it has.
  static InstanceStatus WaitWhileStarting(Driver& driver, const InstanceHandle& handle) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    InstanceStatus s = driver.Inspect(handle);
    while (s.state == InstanceState::kStarting && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
      s = driver.Inspect(handle);
    }
    return s;
  }

  static InstanceStatus WaitForEnd(Driver& driver, const InstanceHandle& handle) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    InstanceStatus s = driver.Inspect(handle);
    while ((s.state == InstanceState::kRunning || s.state == InstanceState::kStarting) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
      s = driver.Inspect(handle);
    }
    return s;
  }

  std::string dir_;
  OciDriverOptions options_;
};

TEST_F(DriverSetTest, CommandsGoToTheProcessDriver) {
  auto counting = std::make_unique<CountingDriver>();
  CountingDriver* process = counting.get();
  auto set = NewDriverSet(std::move(counting), options_);
  InstanceConfig command;
  command.id = "cmd";
  command.argv = {"true"};
  auto handle = set->Start(command);
  ASSERT_TRUE(handle.ok());
  EXPECT_EQ(process->starts, 1);
  EXPECT_EQ(set->Inspect(*handle).state, InstanceState::kGone);
  EXPECT_EQ(process->inspects, 1);
}

TEST_F(DriverSetTest, ImagesRunUnderRuncAndAnAdoptedSupervisorIsStillTheOciDrivers) {
  auto oci = OciAvailable(options_);
  CAIRN_REQUIRE_TOOL(oci.ok(), oci.ok() ? "" : oci.error().message);
  auto counting = std::make_unique<CountingDriver>();
  CountingDriver* process = counting.get();
  auto set = NewDriverSet(std::move(counting), options_);
  auto handle = set->Start(Image(Rootfs()));
  ASSERT_TRUE(handle.ok()) << handle.error().ToString();
  EXPECT_EQ(process->starts, 0);
  EXPECT_EQ(WaitWhileStarting(*set, *handle).state, InstanceState::kRunning);

  // As after a server restart: a fresh set, whose oci driver never started this supervisor.
  auto counting2 = std::make_unique<CountingDriver>();
  CountingDriver* process2 = counting2.get();
  auto restarted = NewDriverSet(std::move(counting2), options_);
  ASSERT_TRUE(restarted->Terminate(*handle).ok());
  EXPECT_EQ(process2->signals, 0) << "the adopted supervisor was sent to the process driver";
  InstanceStatus end = WaitForEnd(*set, *handle);  // the original parent reaps it
  EXPECT_EQ(end.state, InstanceState::kExited);
  EXPECT_EQ(end.exit_code, 3);
  EXPECT_EQ(process->inspects, 0);
}

TEST_F(DriverSetTest, WithoutRuncImagesFailWithTheReasonAndCommandsStillRun) {
  options_.runc = dir_ + "/no-such-runc";
  auto counting = std::make_unique<CountingDriver>();
  CountingDriver* process = counting.get();
  auto set = NewDriverSet(std::move(counting), options_);
  auto image = set->Start(Image(dir_));
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(image.error().message,
              HasSubstr("this server cannot run image instances under runc: "));
  InstanceConfig command;
  command.argv = {"true"};
  EXPECT_TRUE(set->Start(command).ok());
  EXPECT_EQ(process->starts, 1);
}

}  // namespace
}  // namespace cairn::runtime
