#include "control/host_scan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "state/temp_dir_for_test.h"

namespace cairn::control {
namespace {

using ::testing::Contains;
using ::testing::Field;
using ::testing::Not;

TEST(CommandIsExecutableTest, FindsCommandsOnThePath) { EXPECT_TRUE(CommandIsExecutable("sh")); }

TEST(CommandIsExecutableTest, AcceptsAnAbsolutePathToAnExecutable) {
  EXPECT_TRUE(CommandIsExecutable("/bin/sh"));
}

TEST(CommandIsExecutableTest, RejectsUnknownAndEmptyCommands) {
  EXPECT_FALSE(CommandIsExecutable("no-such-command-xyz"));
  EXPECT_FALSE(CommandIsExecutable("/no/such/dir/sh"));
  EXPECT_FALSE(CommandIsExecutable(""));
}

TEST(CommandIsExecutableTest, RejectsFilesWithoutTheExecuteBit) {
  state::TempDirForTest dir;
  std::string path = dir.path() + "/script";
  std::ofstream(path) << "#!/bin/sh\n";
  EXPECT_FALSE(CommandIsExecutable(path));
}

TEST(CommandIsExecutableTest, RejectsDirectories) {
  state::TempDirForTest dir;
  EXPECT_FALSE(CommandIsExecutable(dir.path()));
  EXPECT_FALSE(CommandIsExecutable("/bin/"));
}

// Sets PATH for one test and puts the old value back.
class ScopedPath {
 public:
  explicit ScopedPath(const std::string& path) {
    const char* old = std::getenv("PATH");
    had_ = old != nullptr;
    if (had_) old_ = old;
    setenv("PATH", path.c_str(), 1);
  }
  ~ScopedPath() {
    if (had_) {
      setenv("PATH", old_.c_str(), 1);
    } else {
      unsetenv("PATH");
    }
  }

 private:
  bool had_ = false;
  std::string old_;
};

TEST(CommandIsExecutableTest, SearchesEveryPathEntryForAnExecutableFile) {
  state::TempDirForTest empty;
  state::TempDirForTest dir;
  std::string tool = dir.path() + "/cairn-tool";
  std::ofstream(tool) << "#!/bin/sh\n";
  ASSERT_EQ(chmod(tool.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir.path() + "/cairn-subdir").c_str(), 0755), 0);

  ScopedPath path(empty.path() + ":" + dir.path());
  EXPECT_TRUE(CommandIsExecutable("cairn-tool"));
  EXPECT_FALSE(CommandIsExecutable("cairn-subdir"));
  EXPECT_FALSE(CommandIsExecutable("sh"));
}

TEST(AllocateLoopbackPortTest, ReturnsAPortThatCanBeBound) {
  auto port = AllocateLoopbackPort();
  ASSERT_TRUE(port.ok()) << port.error().ToString();
  EXPECT_GT(*port, 0);
  EXPECT_LT(*port, 65536);

  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(*port));
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);
}

// A `sleep` child with exactly `env` as its environment; killed and reaped on destruction.
class Sleeper {
 public:
  explicit Sleeper(std::vector<std::string> env) {
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    char sleep_path[] = "/bin/sleep";
    char seconds[] = "30";
    char* argv[] = {sleep_path, seconds, nullptr};
    if (posix_spawn(&pid_, sleep_path, nullptr, nullptr, argv, envp.data()) != 0) pid_ = 0;
  }
  ~Sleeper() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  int pid() const { return pid_; }

 private:
  pid_t pid_ = 0;
};

TEST(FindProcessesTaggedWithTest, FindsInstancesOfThisDataDirOnly) {
  state::TempDirForTest dir;
  const std::string data_dir = dir.path();
  Sleeper ours({"CAIRN_DATA_DIR=" + data_dir, "CAIRN_INSTANCE=web-0001"});
  Sleeper other_dir({"CAIRN_DATA_DIR=" + data_dir + "-other", "CAIRN_INSTANCE=web-0002"});
  Sleeper untagged({"CAIRN_DATA_DIR=" + data_dir});
  Sleeper plain({"PATH=/bin"});
  ASSERT_GT(ours.pid(), 0);
  ASSERT_GT(other_dir.pid(), 0);
  ASSERT_GT(untagged.pid(), 0);

  std::vector<TaggedProcess> found = FindProcessesTaggedWith(data_dir);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].pid, ours.pid());
  EXPECT_EQ(found[0].instance_id, "web-0001");
  EXPECT_THAT(found, Not(Contains(Field(&TaggedProcess::pid, other_dir.pid()))));
}

TEST(FindProcessesTaggedWithTest, FindsNothingForAnUnusedDataDir) {
  EXPECT_TRUE(FindProcessesTaggedWith("/nonexistent/cairn-data-dir-for-test").empty());
}

}  // namespace
}  // namespace cairn::control
