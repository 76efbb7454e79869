#include "runtime/restart_policy.h"

#include <gtest/gtest.h>

namespace cairn::runtime {
namespace {

using std::chrono::milliseconds;

TEST(RestartTracker, BackoffDoublesPerShortRunUpToTheCap) {
  RestartTracker tracker({.initial_backoff = milliseconds(1000),
                          .max_backoff = milliseconds(5000),
                          .crash_loop_after = 100,
                          .stable_after = milliseconds(60000)});
  EXPECT_EQ(tracker.current_backoff(), milliseconds(1000));
  SteadyTime t{};
  const long expected[] = {1000, 2000, 4000, 5000, 5000};
  for (long delay : expected) {
    SteadyTime exited = t + milliseconds(10);
    EXPECT_EQ(tracker.OnExit(t, exited), exited + milliseconds(delay));
    EXPECT_EQ(tracker.current_backoff(), milliseconds(delay));
    t = exited + milliseconds(delay);
  }
  EXPECT_EQ(tracker.restarts(), 5);
}

TEST(RestartTracker, CrashLoopsAfterConsecutiveShortRunsButKeepsRestarting) {
  RestartTracker tracker({.initial_backoff = milliseconds(100),
                          .max_backoff = milliseconds(400),
                          .crash_loop_after = 3,
                          .stable_after = milliseconds(1000)});
  SteadyTime t{};
  tracker.OnExit(t, t + milliseconds(5));
  tracker.OnExit(t, t + milliseconds(5));
  EXPECT_FALSE(tracker.crash_looping());
  tracker.OnExit(t, t + milliseconds(5));
  EXPECT_TRUE(tracker.crash_looping());
  EXPECT_EQ(tracker.OnExit(t, t + milliseconds(5)), t + milliseconds(5 + 400));
  EXPECT_TRUE(tracker.crash_looping());
}

TEST(RestartTracker, AStableRunResetsBackoffAndCrashLoop) {
  RestartTracker tracker({.initial_backoff = milliseconds(100),
                          .max_backoff = milliseconds(1000),
                          .crash_loop_after = 2,
                          .stable_after = milliseconds(1000)});
  SteadyTime t{};
  tracker.OnExit(t, t + milliseconds(1));
  tracker.OnExit(t, t + milliseconds(1));
  ASSERT_TRUE(tracker.crash_looping());
  ASSERT_EQ(tracker.current_backoff(), milliseconds(200));
  // Exactly stable_after counts as stable.
  EXPECT_EQ(tracker.OnExit(t, t + milliseconds(1000)), t + milliseconds(1100));
  EXPECT_FALSE(tracker.crash_looping());
  EXPECT_EQ(tracker.consecutive_short_runs(), 0);
  EXPECT_EQ(tracker.current_backoff(), milliseconds(100));
  // The next short run starts the sequence again.
  EXPECT_EQ(tracker.OnExit(t, t + milliseconds(999)), t + milliseconds(1099));
  EXPECT_EQ(tracker.restarts(), 4);
}

TEST(RestartTracker, LongCrashLoopsDoNotOverflow) {
  RestartTracker tracker({.initial_backoff = milliseconds(1000),
                          .max_backoff = milliseconds(30000),
                          .crash_loop_after = 5,
                          .stable_after = milliseconds(60000)});
  SteadyTime t{};
  for (int i = 0; i < 200; ++i) tracker.OnExit(t, t);
  EXPECT_EQ(tracker.current_backoff(), milliseconds(30000));
}

}  // namespace
}  // namespace cairn::runtime
