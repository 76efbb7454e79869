// Descriptors cross a unix socket with their message: the receiver's copies refer to the same
// open files, a message never merges with the next, and a closed peer reads as "closed".
#include "cli/fd_passing.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cairn::cli {
namespace {

ino_t Inode(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

class FdPassingTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair_), 0); }
  void TearDown() override {
    for (int fd : pair_) {
      if (fd >= 0) close(fd);
    }
  }
  int pair_[2] = {-1, -1};
};

TEST_F(FdPassingTest, DescriptorsArriveWithTheirMessageAndReferToTheSameFiles) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  ASSERT_TRUE(SendFdMessage(pair_[0], "first", {pipe_fds[0], pipe_fds[1]}).ok());
  ASSERT_TRUE(SendFdMessage(pair_[0], "second", {}).ok());

  auto first = ReceiveFdMessage(pair_[1], 1024);
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(first->data, "first");
  ASSERT_EQ(first->fds.size(), 2u);
  EXPECT_EQ(Inode(first->fds[0]), Inode(pipe_fds[0]));
  EXPECT_NE(first->fds[0], pipe_fds[0]) << "the receiver's own copy";
  EXPECT_TRUE(fcntl(first->fds[0], F_GETFD) & FD_CLOEXEC);
  // The copy works: what goes into the original write end comes out of the received read end.
  ASSERT_EQ(write(pipe_fds[1], "x", 1), 1);
  char c = 0;
  ASSERT_EQ(read(first->fds[0], &c, 1), 1);
  EXPECT_EQ(c, 'x');

  auto second = ReceiveFdMessage(pair_[1], 1024);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->data, "second") << "messages keep their boundaries";
  EXPECT_TRUE(second->fds.empty());
  CloseAll(first->fds);
  EXPECT_TRUE(first->fds.empty());
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

TEST_F(FdPassingTest, ATooLongMessageIsAnErrorAndAClosedPeerReadsAsClosed) {
  ASSERT_TRUE(SendFdMessage(pair_[0], std::string(100, 'a'), {}).ok());
  auto cut = ReceiveFdMessage(pair_[1], 10);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().code, ErrorCode::kInvalidArgument);

  EXPECT_FALSE(SendFdMessage(pair_[0], "x", std::vector<int>(kMaxFdsPerMessage + 1, 0)).ok());
  close(pair_[0]);
  pair_[0] = -1;
  auto closed = ReceiveFdMessage(pair_[1], 10);
  ASSERT_FALSE(closed.ok());
  EXPECT_EQ(closed.error().message, "closed");
}

}  // namespace
}  // namespace cairn::cli
