#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "spec/spec.h"
#include "spec/suggest.h"

namespace cairn::spec {
namespace {

TEST(SpecErrorTest, ToStringOmitsMissingParts) {
  EXPECT_EQ((SpecError{"env.yaml", 3, 5, "services.web", "bad"}).ToString(),
            "env.yaml:3:5: services.web: bad");
  EXPECT_EQ((SpecError{"env.yaml", 3, 0, "", "bad"}).ToString(), "env.yaml:3: bad");
  EXPECT_EQ((SpecError{"env.yaml", 0, 0, "", "bad"}).ToString(), "env.yaml: bad");
  EXPECT_EQ((SpecError{"", 0, 0, "environment", "bad"}).ToString(), "environment: bad");
}

TEST(SpecErrorTest, ErrorsToErrorJoinsLines) {
  Error error = ErrorsToError({{"a.yaml", 1, 1, "x", "one"}, {"a.yaml", 2, 3, "y", "two"}});
  EXPECT_EQ(error.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(error.message, "a.yaml:1:1: x: one\na.yaml:2:3: y: two");
}

TEST(CountOrPercentTest, CountResolvesToItself) {
  EXPECT_EQ((CountOrPercent{false, 2, 0}).Resolve(10, true), 2);
}

TEST(CountOrPercentTest, PercentRoundsAsAsked) {
  CountOrPercent quarter{true, 0, 25};
  EXPECT_EQ(quarter.Resolve(10, true), 3);
  EXPECT_EQ(quarter.Resolve(10, false), 2);
  EXPECT_EQ(quarter.Resolve(8, true), 2);
  EXPECT_EQ(quarter.Resolve(8, false), 2);
  EXPECT_EQ((CountOrPercent{true, 0, 10}).Resolve(30, true), 3);  // no 3.0000000004 -> 4
  EXPECT_EQ((CountOrPercent{true, 0, 0}).Resolve(30, true), 0);
}

TEST(SuggestTest, EditDistance) {
  EXPECT_EQ(EditDistance("replica", "replicas"), 1);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3);
  EXPECT_EQ(EditDistance("", "abc"), 3);
}

TEST(SuggestTest, ClosestMatchOnlyForPlausibleTypos) {
  std::vector<std::string> fields = {"command", "image", "replicas"};
  EXPECT_EQ(ClosestMatch("replica", fields), "replicas");
  EXPECT_EQ(ClosestMatch("imgae", fields), "image");
  EXPECT_EQ(ClosestMatch("zzz", fields), std::nullopt);
  EXPECT_EQ(ClosestMatch("x", {"y"}), std::nullopt);
}

}  // namespace
}  // namespace cairn::spec
