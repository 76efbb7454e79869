#include "router/retry_budget.h"

#include <gtest/gtest.h>

#include <chrono>

#include "router/routing_state.h"
#include "router/routing_test_util.h"

namespace cairn::router {
namespace {

using namespace std::chrono_literals;

int Drain(RetryBudget& budget) {
  int granted = 0;
  while (granted < 100000 && budget.TryAcquire()) ++granted;
  return granted;
}

TEST(RetryBudgetTest, AllowsTheMinimumWithNoTraffic) {
  FakeClock clock;
  RetryBudget budget(20, 3, 10s, &clock);
  EXPECT_EQ(Drain(budget), 3);
}

TEST(RetryBudgetTest, AllowsAShareOfRecentRequestsPlusTheMinimum) {
  FakeClock clock;
  RetryBudget budget(20, 3, 10s, &clock);
  for (int i = 0; i < 100; ++i) budget.RecordRequest();
  EXPECT_EQ(Drain(budget), 23);
  for (int i = 0; i < 10; ++i) budget.RecordRequest();
  EXPECT_EQ(Drain(budget), 2);  // 20% of 110 is 22, plus 3, minus the 23 taken
}

TEST(RetryBudgetTest, RequestsAndRetriesLeaveTheWindow) {
  FakeClock clock;
  RetryBudget budget(20, 3, 10s, &clock);
  for (int i = 0; i < 100; ++i) budget.RecordRequest();
  EXPECT_EQ(Drain(budget), 23);
  clock.Advance(5s);
  for (int i = 0; i < 100; ++i) budget.RecordRequest();
  EXPECT_EQ(Drain(budget), 20);  // 40 + 3 - 23
  clock.Advance(5s);             // the first hundred and their 23 retries are gone
  EXPECT_EQ(Drain(budget), 3);   // 20 + 3 - 20
  clock.Advance(10s);
  EXPECT_EQ(Drain(budget), 3);
}

TEST(RetryBudgetTest, TheWindowSlidesInTenthsOfTheWindow) {
  FakeClock clock;
  RetryBudget budget(50, 0, 10s, &clock);
  for (int i = 0; i < 10; ++i) budget.RecordRequest();
  clock.Advance(8999ms);
  EXPECT_TRUE(budget.TryAcquire());  // still inside the window
  clock.Advance(1001ms);
  EXPECT_FALSE(budget.TryAcquire());
}

TEST(RetryBudgetTest, RoutingStateCountsStartedRequests) {
  FakeClock clock;
  RoutingOptions options;
  options.retry_budget_percent = 10;
  options.min_retries_per_window = 1;
  RoutingState state(options, &clock, 1);
  const ServiceRoute web = testing::MakeService("web", {{"v1", 10000, 2}});
  for (int i = 0; i < 50; ++i) state.OnRequestStart(web.versions[0].backends[i % 2]);
  int granted = 0;
  while (granted < 100 && state.TryAcquireRetry()) ++granted;
  EXPECT_EQ(granted, 6);  // 10% of 50, plus 1
  clock.Advance(options.retry_window);
  EXPECT_TRUE(state.TryAcquireRetry());
  EXPECT_FALSE(state.TryAcquireRetry());
}

}  // namespace
}  // namespace cairn::router
