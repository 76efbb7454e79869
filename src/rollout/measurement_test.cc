#include "rollout/measurement.h"

#include <gtest/gtest.h>

namespace cairn::rollout {
namespace {

// A cumulative snapshot with the router's buckets: `ok` 2xx, `failed` 5xx, latencies in `bucket`.
Window Snapshot(uint64_t ok, uint64_t failed, int bucket, uint64_t latencies) {
  Window w;
  w.status_2xx = ok;
  w.status_5xx = failed;
  w.latency = EmptyRouterHistogram();
  w.latency.counts[bucket] = latencies;
  return w;
}

// The numbers router::LatencyHistogram::UpperBoundMicros gives (router_stats.cc): 100 us *
// 10^(i/10) for i < 58, and 60 s for the overflow bucket. If this fails, the router's layout
// and the copy in measurement.cc have drifted apart.
TEST(MeasurementTest, RouterBoundsMirrorTheRoutersFormula) {
  std::vector<double> b = RouterLatencyBoundsMicros();
  ASSERT_EQ(b.size(), 59u);
  EXPECT_DOUBLE_EQ(b[0], 100.0);          // 0.1 ms
  EXPECT_DOUBLE_EQ(b[10], 1000.0);        // 1 ms
  EXPECT_DOUBLE_EQ(b[20], 10000.0);       // 10 ms
  EXPECT_DOUBLE_EQ(b[40], 1e6);           // 1 s
  EXPECT_NEAR(b[57], 50118723.36, 0.01);  // 100 * 10^5.7
  EXPECT_DOUBLE_EQ(b[58], 60e6);          // overflow, reported as 60 s
  for (size_t i = 1; i < b.size(); ++i) EXPECT_LT(b[i - 1], b[i]);
}

TEST(MeasurementTest, SuccessCountsFourXxAsSuccessAndRouterErrorsAsFailure) {
  Window w;
  w.status_2xx = 90;
  w.status_4xx = 5;
  w.status_5xx = 3;
  w.router_errors = 2;
  EXPECT_EQ(w.Requests(), 100u);
  EXPECT_EQ(w.Failures(), 5u);
  EXPECT_DOUBLE_EQ(w.SuccessRate(), 0.95);
}

TEST(MeasurementTest, DeltaSubtractsEveryCounter) {
  Window before = Snapshot(100, 2, 20, 102);
  Window after = Snapshot(1100, 12, 20, 1112);
  after.router_errors = 4;
  after.latency.counts[25] = 7;
  Window w = Delta(after, before);
  EXPECT_FALSE(w.reset);
  EXPECT_EQ(w.status_2xx, 1000u);
  EXPECT_EQ(w.status_5xx, 10u);
  EXPECT_EQ(w.router_errors, 4u);
  EXPECT_EQ(w.latency.counts[20], 1010u);
  EXPECT_EQ(w.latency.counts[25], 7u);
  EXPECT_EQ(w.latency.Count(), 1017u);
  EXPECT_EQ(w.latency.upper_bounds_us, RouterLatencyBoundsMicros());
}

TEST(MeasurementTest, DeltaFromAnEmptyWindowIsTheSnapshot) {
  Window after = Snapshot(50, 1, 12, 51);
  Window w = Delta(after, Window{});
  EXPECT_FALSE(w.reset);
  EXPECT_EQ(w.Requests(), 51u);
  EXPECT_EQ(w.latency.counts[12], 51u);
}

// An instance left a per-version sum: the 2xx count fell. No subtraction is right, so the window
// is `after` marked reset, and the judge calls it inconclusive.
TEST(MeasurementTest, DeltaOfACounterGoingBackwardsIsAReset) {
  Window before = Snapshot(5000, 10, 20, 5010);
  Window after = Snapshot(3000, 12, 20, 3012);
  Window w = Delta(after, before);
  EXPECT_TRUE(w.reset);
  EXPECT_EQ(w.status_2xx, 3000u);
  EXPECT_EQ(w.latency.counts[20], 3012u);
}

TEST(MeasurementTest, DeltaOfALatencyBucketGoingBackwardsIsAReset) {
  Window before = Snapshot(100, 0, 20, 100);
  Window after = Snapshot(200, 0, 21, 200);  // bucket 20 fell from 100 to 0
  EXPECT_TRUE(Delta(after, before).reset);
}

// The way around resets: Delta per instance, then Merge. An instance that left contributes
// nothing; one that arrived contributes all it served.
TEST(MeasurementTest, MergeSumsPerInstanceWindows) {
  Window a = Delta(Snapshot(300, 3, 20, 303), Snapshot(100, 1, 20, 101));
  Window b = Delta(Snapshot(40, 0, 22, 40), Window{});
  Window sum;
  Merge(&sum, a);
  Merge(&sum, b);
  EXPECT_FALSE(sum.reset);
  EXPECT_EQ(sum.status_2xx, 240u);
  EXPECT_EQ(sum.status_5xx, 2u);
  EXPECT_EQ(sum.latency.counts[20], 202u);
  EXPECT_EQ(sum.latency.counts[22], 40u);

  Window reset;
  reset.reset = true;
  Merge(&sum, reset);
  EXPECT_TRUE(sum.reset);
}

}  // namespace
}  // namespace cairn::rollout
