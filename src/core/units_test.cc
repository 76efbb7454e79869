#include "core/units.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(ParseDuration, AcceptsEveryUnitAndCompounds) {
  EXPECT_EQ(ParseDuration("500ms")->count(), 500);
  EXPECT_EQ(ParseDuration("30s")->count(), 30'000);
  EXPECT_EQ(ParseDuration("5m")->count(), 300'000);
  EXPECT_EQ(ParseDuration("1h30m")->count(), 5'400'000);
  EXPECT_EQ(ParseDuration("1.5s")->count(), 1'500);
  EXPECT_EQ(ParseDuration("0")->count(), 0);
}

TEST(ParseDuration, RejectsMalformedInputWithTheAllowedForm) {
  for (const char* bad : {"", "10", "-5s", "5x", "s", "1.2.3s", "5 s", "0.0001ms"}) {
    auto r = ParseDuration(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("duration"), std::string::npos) << r.error().message;
  }
}

TEST(FormatDuration, RoundTripsTheShortestForm) {
  EXPECT_EQ(FormatDuration(Duration(1500)), "1.5s");
  EXPECT_EQ(FormatDuration(Duration(90'000)), "1m30s");
  EXPECT_EQ(FormatDuration(Duration(250)), "250ms");
  EXPECT_EQ(FormatDuration(Duration(0)), "0s");
  for (int64_t ms : {1, 999, 1000, 61'001, 3'600'000, 3'723'004}) {
    EXPECT_EQ(ParseDuration(FormatDuration(Duration(ms)))->count(), ms);
  }
}

TEST(ParseByteSize, AcceptsDecimalAndBinaryUnits) {
  EXPECT_EQ(*ParseByteSize("512"), 512u);
  EXPECT_EQ(*ParseByteSize("64k"), 64'000u);
  EXPECT_EQ(*ParseByteSize("256Mi"), 256u << 20);
  EXPECT_EQ(*ParseByteSize("1.5Gi"), 3ull << 29);
  EXPECT_FALSE(ParseByteSize("1.5").ok());
  EXPECT_FALSE(ParseByteSize("12MB").ok());
  EXPECT_FALSE(ParseByteSize("-1Mi").ok());
  EXPECT_EQ(FormatByteSize(256u << 20), "256Mi");
  EXPECT_EQ(FormatByteSize(1000), "1000");
}

TEST(ParsePercent, AcceptsZeroToHundred) {
  EXPECT_DOUBLE_EQ(*ParsePercent("25%"), 25.0);
  EXPECT_DOUBLE_EQ(*ParsePercent("0.5%"), 0.5);
  EXPECT_FALSE(ParsePercent("101%").ok());
  EXPECT_FALSE(ParsePercent("25").ok());
  EXPECT_FALSE(ParsePercent("%").ok());
}

TEST(ParseInt64, AcceptsAWholeNumberAndNothingElse) {
  EXPECT_EQ(*ParseInt64("42"), 42);
  EXPECT_EQ(*ParseInt64("-7"), -7);
  EXPECT_EQ(*ParseInt64("9223372036854775807"), INT64_MAX);
  for (const char* bad : {"", " 1", "1 ", "+1", "1x", "0x10", "1.5", "abc"}) {
    EXPECT_FALSE(ParseInt64(bad).ok()) << bad;
  }
  auto huge = ParseInt64("9223372036854775808");
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().message, "out of range for a 64-bit integer");
}

}  // namespace
}  // namespace cairn
