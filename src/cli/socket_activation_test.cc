// Socket activation: only descriptors meant for this very process are taken, and what is not
// a count is an error naming the variable.
#include "cli/socket_activation.h"

#include <gtest/gtest.h>

namespace cairn::cli {
namespace {

TEST(SocketActivationTest, CountsOnlyDescriptorsPassedToThisProcess) {
  EXPECT_EQ(*ListenFdCount(nullptr, nullptr, 42), 0) << "not activated";
  EXPECT_EQ(*ListenFdCount("42", "3", 42), 3);
  EXPECT_EQ(*ListenFdCount("41", "3", 42), 0) << "a parent's, inherited: not ours";
  EXPECT_EQ(*ListenFdCount("42", nullptr, 42), 0);
  auto bad = ListenFdCount("42", "three", 42);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().context, "LISTEN_FDS");
  EXPECT_FALSE(ListenFdCount("x", "1", 42).ok());
  EXPECT_FALSE(ListenFdCount("42", "-1", 42).ok());
  EXPECT_FALSE(ListenFdCount("42", "100000", 42).ok());
}

}  // namespace
}  // namespace cairn::cli
