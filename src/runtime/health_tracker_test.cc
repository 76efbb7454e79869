#include "runtime/health_tracker.h"

#include <gtest/gtest.h>

namespace cairn::runtime {
namespace {

using std::chrono::milliseconds;

const SteadyTime kStart{};

TEST(HealthTracker, NamesEveryState) {
  EXPECT_STREQ(HealthName(Health::kStarting), "starting");
  EXPECT_STREQ(HealthName(Health::kHealthy), "healthy");
  EXPECT_STREQ(HealthName(Health::kUnhealthy), "unhealthy");
}

TEST(HealthTracker, StartingBecomesHealthyAfterEnoughConsecutiveSuccesses) {
  HealthTracker tracker({.healthy_after = 2, .unhealthy_after = 3}, kStart);
  EXPECT_EQ(tracker.state(), Health::kStarting);
  EXPECT_EQ(tracker.Observe(true, kStart + milliseconds(100)), Health::kStarting);
  EXPECT_EQ(tracker.Observe(false, kStart + milliseconds(200)), Health::kStarting);
  EXPECT_EQ(tracker.Observe(true, kStart + milliseconds(300)), Health::kStarting);
  EXPECT_EQ(tracker.Observe(true, kStart + milliseconds(400)), Health::kHealthy);
  EXPECT_EQ(tracker.consecutive_successes(), 2);
}

TEST(HealthTracker, FailuresInsideStartGraceDoNotCount) {
  HealthTracker tracker(
      {.healthy_after = 1, .unhealthy_after = 2, .start_grace = milliseconds(1000)}, kStart);
  for (int i = 1; i <= 9; ++i) {
    EXPECT_EQ(tracker.Observe(false, kStart + milliseconds(100 * i)), Health::kStarting);
  }
  EXPECT_EQ(tracker.consecutive_failures(), 0);
  EXPECT_EQ(tracker.Observe(false, kStart + milliseconds(1000)), Health::kStarting);
  EXPECT_EQ(tracker.consecutive_failures(), 1);
  EXPECT_EQ(tracker.Observe(false, kStart + milliseconds(1100)), Health::kUnhealthy);
}

TEST(HealthTracker, StartingBecomesUnhealthyAfterEnoughFailuresWithoutGrace) {
  HealthTracker tracker({.healthy_after = 1, .unhealthy_after = 3}, kStart);
  EXPECT_EQ(tracker.Observe(false, kStart), Health::kStarting);
  EXPECT_EQ(tracker.Observe(false, kStart), Health::kStarting);
  EXPECT_EQ(tracker.Observe(false, kStart), Health::kUnhealthy);
}

TEST(HealthTracker, HealthyBecomesUnhealthyOnlyAfterConsecutiveFailures) {
  HealthTracker tracker({.healthy_after = 1, .unhealthy_after = 3}, kStart);
  ASSERT_EQ(tracker.Observe(true, kStart), Health::kHealthy);
  EXPECT_EQ(tracker.Observe(false, kStart), Health::kHealthy);
  EXPECT_EQ(tracker.Observe(false, kStart), Health::kHealthy);
  EXPECT_EQ(tracker.Observe(true, kStart), Health::kHealthy);  // resets the count
  EXPECT_EQ(tracker.consecutive_failures(), 0);
  EXPECT_EQ(tracker.Observe(false, kStart), Health::kHealthy);
  EXPECT_EQ(tracker.Observe(false, kStart), Health::kHealthy);
  EXPECT_EQ(tracker.Observe(false, kStart), Health::kUnhealthy);
  EXPECT_EQ(tracker.consecutive_failures(), 3);
}

TEST(HealthTracker, StartGraceDoesNotProtectAHealthyInstance) {
  HealthTracker tracker(
      {.healthy_after = 1, .unhealthy_after = 1, .start_grace = milliseconds(5000)}, kStart);
  ASSERT_EQ(tracker.Observe(true, kStart), Health::kHealthy);
  EXPECT_EQ(tracker.Observe(false, kStart + milliseconds(10)), Health::kUnhealthy);
}

TEST(HealthTracker, AnInstanceKnownHealthyStaysHealthyUntilEnoughFailures) {
  // Adopted from an earlier server that routed it: healthy from the start, with no grace and
  // no wait for healthy_after successes, and judged by unhealthy_after like any healthy one.
  HealthTracker tracker(
      {.healthy_after = 3, .unhealthy_after = 2, .start_grace = milliseconds(10000)}, kStart,
      Health::kHealthy);
  EXPECT_EQ(tracker.state(), Health::kHealthy);
  EXPECT_EQ(tracker.Observe(true, kStart + milliseconds(100)), Health::kHealthy);
  EXPECT_EQ(tracker.Observe(false, kStart + milliseconds(200)), Health::kHealthy);
  EXPECT_EQ(tracker.Observe(false, kStart + milliseconds(300)), Health::kUnhealthy);
}

TEST(HealthTracker, UnhealthyRecoversAfterConsecutiveSuccesses) {
  HealthTracker tracker({.healthy_after = 2, .unhealthy_after = 1}, kStart);
  ASSERT_EQ(tracker.Observe(false, kStart), Health::kUnhealthy);
  EXPECT_EQ(tracker.Observe(true, kStart), Health::kUnhealthy);
  EXPECT_EQ(tracker.Observe(false, kStart), Health::kUnhealthy);
  EXPECT_EQ(tracker.Observe(true, kStart), Health::kUnhealthy);
  EXPECT_EQ(tracker.Observe(true, kStart), Health::kHealthy);
}

}  // namespace
}  // namespace cairn::runtime
