#include "runtime/log_rotation.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace cairn::runtime {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

class LogRotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cairn-logrot-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/app.log";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& text) { std::ofstream(path_, std::ios::app) << text; }

  std::string dir_;
  std::string path_;
};

TEST_F(LogRotationTest, MissingOrSmallLogsAreLeftAlone) {
  EXPECT_TRUE(RotateLogIfLarger(path_, 10, 3).ok());
  Write("0123456789");
  EXPECT_TRUE(RotateLogIfLarger(path_, 10, 3).ok());
  EXPECT_EQ(ReadFile(path_), "0123456789");
  EXPECT_FALSE(std::filesystem::exists(path_ + ".1"));
}

TEST_F(LogRotationTest, ShiftsOlderCopiesAndDropsTheOldest) {
  for (const char* text : {"first\n", "second\n", "third\n", "fourth\n"}) {
    Write(text);
    ASSERT_TRUE(RotateLogIfLarger(path_, 1, 2).ok());
    EXPECT_EQ(ReadFile(path_), "");
  }
  EXPECT_EQ(ReadFile(path_ + ".1"), "fourth\n");
  EXPECT_EQ(ReadFile(path_ + ".2"), "third\n");
  EXPECT_FALSE(std::filesystem::exists(path_ + ".3"));
  EXPECT_FALSE(std::filesystem::exists(path_ + ".1.tmp"));
}

TEST_F(LogRotationTest, KeepZeroOnlyTruncates) {
  Write("lots of text");
  ASSERT_TRUE(RotateLogIfLarger(path_, 4, 0).ok());
  EXPECT_EQ(ReadFile(path_), "");
  EXPECT_FALSE(std::filesystem::exists(path_ + ".1"));
}

TEST_F(LogRotationTest, AnAppendingWriterContinuesAtTheStartAfterTruncation) {
  int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  std::string before = "before rotation, a long line\n";
  ASSERT_EQ(::write(fd, before.data(), before.size()), static_cast<ssize_t>(before.size()));
  ASSERT_TRUE(RotateLogIfLarger(path_, 8, 1).ok());
  std::string after = "after\n";
  ASSERT_EQ(::write(fd, after.data(), after.size()), static_cast<ssize_t>(after.size()));
  ::close(fd);
  EXPECT_EQ(ReadFile(path_), "after\n");  // no hole of zero bytes before it
  EXPECT_EQ(ReadFile(path_ + ".1"), before);
}

}  // namespace
}  // namespace cairn::runtime
