#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "runtime/driver.h"

namespace cairn::runtime {
namespace {

using namespace std::chrono_literals;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

class ProcessDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cairn-driver-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    driver_ = NewProcessDriver();
  }

  void TearDown() override {
    // Leave no process behind, whatever the test did.
    for (const auto& handle : started_) {
      (void)driver_->Kill(handle);
      WaitForState(handle, InstanceState::kExited, 5s);
    }
    std::filesystem::remove_all(dir_);
  }

  InstanceConfig Config(std::vector<std::string> argv) {
    InstanceConfig config;
    config.id = "test-" + std::to_string(started_.size());
    config.argv = std::move(argv);
    config.log_path = dir_ + "/logs/" + config.id + ".log";
    return config;
  }

  InstanceHandle MustStart(const InstanceConfig& config) {
    auto handle = driver_->Start(config);
    EXPECT_TRUE(handle.ok()) << handle.error().ToString();
    if (!handle.ok()) return {};
    started_.push_back(*handle);
    return *handle;
  }

  // Polls Inspect until `state` or the deadline; returns the last status seen.
  InstanceStatus WaitForState(const InstanceHandle& handle, InstanceState state,
                              std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    InstanceStatus status = driver_->Inspect(handle);
    while (status.state != state && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
      status = driver_->Inspect(handle);
    }
    return status;
  }

  // Waits until the log holds `text`.
  bool WaitForLog(const std::string& path, const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (ReadFile(path).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  std::string dir_;
  std::unique_ptr<Driver> driver_;
  std::vector<InstanceHandle> started_;
};

TEST_F(ProcessDriverTest, StartsAProcessThatLogsAndRunsInItsOwnGroup) {
  auto config = Config({"sh", "-c", "echo hi; sleep 30"});
  InstanceHandle handle = MustStart(config);
  EXPECT_STREQ(driver_->Name(), "process");
  EXPECT_GT(handle.pid, 0);
  EXPECT_GT(handle.start_ticks, 0u);
  EXPECT_EQ(driver_->Inspect(handle).state, InstanceState::kRunning);
  EXPECT_EQ(getpgid(handle.pid), handle.pid);
  EXPECT_EQ(getsid(handle.pid), handle.pid);
  EXPECT_TRUE(WaitForLog(config.log_path, "hi\n"));
}

TEST_F(ProcessDriverTest, ExportsPortConfigEnvAndAMinimalBase) {
  auto config = Config({"sh", "-c", "echo \"$PORT $FOO $CAIRN_INSTANCE [$UNRELATED]\"; pwd"});
  config.env = {{"FOO", "bar baz"}};
  config.port = 18123;
  config.workdir = dir_;
  setenv("UNRELATED", "leak", 1);
  InstanceHandle handle = MustStart(config);
  unsetenv("UNRELATED");
  auto status = WaitForState(handle, InstanceState::kExited, 5s);
  EXPECT_EQ(status.state, InstanceState::kExited);
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_EQ(ReadFile(config.log_path), "18123 bar baz " + config.id + " []\n" + dir_ + "\n");
}

TEST_F(ProcessDriverTest, AppendsToAnExistingLog) {
  auto config = Config({"sh", "-c", "echo second"});
  std::filesystem::create_directories(dir_ + "/logs");
  std::ofstream(config.log_path) << "first\n";
  InstanceHandle handle = MustStart(config);
  WaitForState(handle, InstanceState::kExited, 5s);
  EXPECT_EQ(ReadFile(config.log_path), "first\nsecond\n");
}

TEST_F(ProcessDriverTest, TerminateEndsTheInstanceWithSigterm) {
  InstanceHandle handle = MustStart(Config({"sh", "-c", "sleep 30"}));
  ASSERT_TRUE(driver_->Terminate(handle).ok());
  auto status = WaitForState(handle, InstanceState::kExited, 5s);
  EXPECT_EQ(status.state, InstanceState::kExited);
  EXPECT_EQ(status.signal, SIGTERM);
  // The answer is stable once reaped, and stopping again is harmless.
  EXPECT_EQ(driver_->Inspect(handle).signal, SIGTERM);
  EXPECT_TRUE(driver_->Terminate(handle).ok());
  EXPECT_TRUE(driver_->Kill(handle).ok());
}

TEST_F(ProcessDriverTest, AnInstanceIgnoringSigtermNeedsKill) {
  auto config = Config({"sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"});
  InstanceHandle handle = MustStart(config);
  ASSERT_TRUE(WaitForLog(config.log_path, "ready"));
  ASSERT_TRUE(driver_->Terminate(handle).ok());
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(driver_->Inspect(handle).state, InstanceState::kRunning);
  ASSERT_TRUE(driver_->Kill(handle).ok());
  auto status = WaitForState(handle, InstanceState::kExited, 5s);
  EXPECT_EQ(status.state, InstanceState::kExited);
  EXPECT_EQ(status.signal, SIGKILL);
}

TEST_F(ProcessDriverTest, ReportsTheExitCode) {
  InstanceHandle handle = MustStart(Config({"sh", "-c", "exit 7"}));
  auto status = WaitForState(handle, InstanceState::kExited, 5s);
  EXPECT_EQ(status.state, InstanceState::kExited);
  EXPECT_EQ(status.exit_code, 7);
  EXPECT_EQ(status.signal, 0);
}

TEST_F(ProcessDriverTest, AMissingCommandIsAnErrorNotACrash) {
  auto result = driver_->Start(Config({"no-such-command-cairn-test"}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(result.error().message, "command \"no-such-command-cairn-test\" not found in PATH");
  auto absolute = driver_->Start(Config({dir_ + "/missing"}));
  ASSERT_FALSE(absolute.ok());
  EXPECT_EQ(absolute.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ProcessDriverTest, ANonExecutableFileIsAnError) {
  std::string path = dir_ + "/not-executable";
  std::ofstream(path) << "#!/bin/sh\necho hi\n";
  chmod(path.c_str(), 0644);
  auto result = driver_->Start(Config({path}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ProcessDriverTest, AnExecFailureInTheChildIsReportedByStart) {
  // Executable bits but no valid format: only execve itself can tell.
  std::string path = dir_ + "/garbage";
  std::ofstream(path) << std::string(
      "\x7f"
      "ELFgarbage",
      10);
  chmod(path.c_str(), 0755);
  auto result = driver_->Start(Config({path}));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("cannot execute"), std::string::npos)
      << result.error().message;
}

TEST_F(ProcessDriverTest, AMissingWorkdirIsReportedByStart) {
  auto config = Config({"true"});
  config.workdir = dir_ + "/nowhere";
  auto result = driver_->Start(config);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("working directory"), std::string::npos);
}

TEST_F(ProcessDriverTest, AHandleWithTheWrongStartTimeIsGoneAndNotSignalled) {
  InstanceHandle handle = MustStart(Config({"sh", "-c", "sleep 30"}));
  InstanceHandle impostor{handle.pid, handle.start_ticks + 1};
  EXPECT_EQ(driver_->Inspect(impostor).state, InstanceState::kGone);
  EXPECT_TRUE(driver_->Kill(impostor).ok());
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(driver_->Inspect(handle).state, InstanceState::kRunning);
}

TEST_F(ProcessDriverTest, AnotherDriverFindsTheInstanceByPidAndStartTime) {
  InstanceHandle handle = MustStart(Config({"sh", "-c", "sleep 30"}));
  // A fresh driver stands in for a restarted server: the process is not its child.
  auto other = NewProcessDriver();
  EXPECT_EQ(other->Inspect(handle).state, InstanceState::kRunning);
  ASSERT_TRUE(other->Terminate(handle).ok());
  auto status = WaitForState(handle, InstanceState::kExited, 5s);
  EXPECT_EQ(status.signal, SIGTERM);
  // Reaped now, so the other driver sees nothing there.
  EXPECT_EQ(other->Inspect(handle).state, InstanceState::kGone);
}

TEST_F(ProcessDriverTest, AnUnreapedZombieIsGoneToAnotherDriver) {
  InstanceHandle handle = MustStart(Config({"true"}));
  auto other = NewProcessDriver();
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (other->Inspect(handle).state == InstanceState::kRunning &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(other->Inspect(handle).state, InstanceState::kGone);
  EXPECT_EQ(driver_->Inspect(handle).state, InstanceState::kExited);
}

TEST_F(ProcessDriverTest, TerminateReachesTheWholeProcessGroup) {
  auto config = Config({"sh", "-c", "sleep 30 & echo $!; wait"});
  InstanceHandle handle = MustStart(config);
  ASSERT_TRUE(WaitForLog(config.log_path, "\n"));
  int grandchild = std::stoi(ReadFile(config.log_path));
  ASSERT_EQ(kill(grandchild, 0), 0);
  ASSERT_TRUE(driver_->Terminate(handle).ok());
  WaitForState(handle, InstanceState::kExited, 5s);
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (kill(grandchild, 0) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_NE(kill(grandchild, 0), 0);
}

}  // namespace
}  // namespace cairn::runtime
