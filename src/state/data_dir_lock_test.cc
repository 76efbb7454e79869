#include "state/data_dir_lock.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "state/temp_dir_for_test.h"

namespace cairn::state {
namespace {

TEST(DataDirLock, CreatesMissingDirAndWritesPid) {
  TempDirForTest tmp;
  std::string dir = tmp.path() + "/a/b/data";
  auto lock = DataDirLock::Acquire(dir);
  ASSERT_TRUE(lock.ok()) << lock.error().ToString();
  EXPECT_TRUE(std::filesystem::is_directory(dir));
  std::ifstream in(dir + "/server.lock");
  int pid = 0;
  in >> pid;
  EXPECT_EQ(pid, getpid());
}

TEST(DataDirLock, SecondHolderIsRefusedUntilFirstIsReleased) {
  TempDirForTest tmp;
  auto first = DataDirLock::Acquire(tmp.path());
  ASSERT_TRUE(first.ok());
  auto second = DataDirLock::Acquire(tmp.path());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(second.error().message,
            "data dir " + tmp.path() + " is in use by another cairn server (pid " +
                std::to_string(getpid()) + "); stop it or pass a different --data-dir");
  first->reset();
  auto third = DataDirLock::Acquire(tmp.path());
  EXPECT_TRUE(third.ok());
}

TEST(DataDirLock, UncreatableDirIsAnIoError) {
  TempDirForTest tmp;
  std::ofstream(tmp.path() + "/file") << "x";
  auto lock = DataDirLock::Acquire(tmp.path() + "/file/sub");
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.error().code, ErrorCode::kIo);
}

}  // namespace
}  // namespace cairn::state
