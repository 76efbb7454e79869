#include "control/start_backoff.h"

#include <gtest/gtest.h>

#include <vector>

namespace cairn::control {
namespace {

using std::chrono::milliseconds;

TEST(StartBackoff, AllowsUntilAFailureThenDoublesToTheCap) {
  StartBackoff backoff({.initial = milliseconds(1000), .max = milliseconds(300000)});
  SteadyTime t{};
  EXPECT_TRUE(backoff.Allows(t));
  std::vector<long> delays;
  for (int i = 0; i < 12; ++i) {
    auto f = backoff.OnFailure(t, WallTime{}, "cannot execute");
    delays.push_back(f.retry_in.count());
    EXPECT_FALSE(backoff.Allows(t + f.retry_in - milliseconds(1)));
    EXPECT_TRUE(backoff.Allows(t + f.retry_in));
    t += f.retry_in;
  }
  EXPECT_EQ(delays, (std::vector<long>{1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000,
                                       300000, 300000, 300000}));
  EXPECT_EQ(backoff.failures(), 12);
}

TEST(StartBackoff, ReportsTheFirstFailureAChangedErrorAndPowersOfTwo) {
  StartBackoff backoff;
  SteadyTime t{};
  std::vector<int> reported;
  for (int i = 1; i <= 20; ++i) {
    std::string error = i == 11 ? "another error" : i > 11 ? "another error" : "cannot execute";
    if (backoff.OnFailure(t, WallTime{}, error).report) reported.push_back(i);
  }
  EXPECT_EQ(reported, (std::vector<int>{1, 2, 4, 8, 11, 16}));
  EXPECT_EQ(backoff.last_error(), "another error");
}

TEST(StartBackoff, ASuccessResetsEverything) {
  StartBackoff backoff({.initial = milliseconds(500), .max = milliseconds(4000)});
  SteadyTime t{};
  WallTime first = WallTime{} + std::chrono::seconds(100);
  backoff.OnFailure(t, first, "e");
  backoff.OnFailure(t, first + std::chrono::seconds(5), "e");
  EXPECT_EQ(backoff.first_failed_at(), first);
  backoff.OnSuccess();
  EXPECT_TRUE(backoff.Allows(t));
  EXPECT_EQ(backoff.failures(), 0);
  EXPECT_EQ(backoff.last_error(), "");
  auto f = backoff.OnFailure(t, first + std::chrono::seconds(9), "e");
  EXPECT_EQ(f.failures, 1);
  EXPECT_EQ(f.retry_in, milliseconds(500));
  EXPECT_TRUE(f.report);
  EXPECT_EQ(backoff.first_failed_at(), first + std::chrono::seconds(9));
}

TEST(StartBackoff, DescribesARepeatWithItsCountAndTheNextTry) {
  EXPECT_EQ(DescribeStartFailure("web", "cannot execute \"/bin/nope\"",
                                 {.report = true, .failures = 1, .retry_in = milliseconds(1000)}),
            "could not start an instance of web: cannot execute \"/bin/nope\"; next try in 1s");
  EXPECT_EQ(DescribeStartFailure("web", "E2BIG",
                                 {.report = true, .failures = 8, .retry_in = milliseconds(128000)}),
            "could not start an instance of web: E2BIG; failed 8 times; next try in 2m8s");
}

}  // namespace
}  // namespace cairn::control
