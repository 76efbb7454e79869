#include "runtime/proc.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace cairn::runtime {
namespace {

TEST(ParseProcStat, ReadsStateAndStartTicks) {
  auto stat = ParseProcStat(
      "1234 (sleep) S 1 1234 1234 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 100");
  ASSERT_TRUE(stat.ok()) << stat.error().ToString();
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->start_ticks, 987654u);
}

TEST(ParseProcStat, CountsFieldsFromTheLastParenthesisOfAHostileCommandName) {
  auto real = ParseProcStat("42 (a) b) c) Z 9 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0");
  ASSERT_TRUE(real.ok()) << real.error().ToString();
  EXPECT_EQ(real->state, 'Z');
  EXPECT_EQ(real->start_ticks, 777u);
}

TEST(ParseProcStat, RejectsTruncatedText) {
  EXPECT_FALSE(ParseProcStat("42 (x) S 1 2 3").ok());
  EXPECT_FALSE(ParseProcStat("garbage").ok());
}

TEST(ProcessStartTicks, ReadsTheCurrentProcessAndMissesAbsentOnes) {
  auto ticks = ProcessStartTicks(getpid());
  ASSERT_TRUE(ticks.ok()) << ticks.error().ToString();
  EXPECT_GT(*ticks, 0u);
  EXPECT_EQ(ProcessState(getpid()), 'R');
  EXPECT_FALSE(ProcessStartTicks(0).ok());
  EXPECT_EQ(ProcessState(-5), '\0');
  EXPECT_EQ(ProcessStartTicks(0x3fffffff).error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace cairn::runtime
