#include "control/interval_meter.h"

#include <gtest/gtest.h>

#include <chrono>

namespace cairn::control {
namespace {

using router::BackendKey;
using router::StatusClass;
using std::chrono::microseconds;

void Serve(router::BackendStats* s, StatusClass c, int n, microseconds latency) {
  for (int i = 0; i < n; ++i) {
    ++s->requests[static_cast<int>(c)];
    s->latency.Record(latency);
  }
}

TEST(IntervalMeterTest, TheRollOutHistogramBoundsAreTheRoutersOwn) {
  std::vector<double> bounds = rollout::RouterLatencyBoundsMicros();
  ASSERT_EQ(bounds.size(), static_cast<size_t>(router::LatencyHistogram::kBuckets));
  for (int i = 0; i < router::LatencyHistogram::kBuckets; ++i) {
    EXPECT_DOUBLE_EQ(bounds[i], router::LatencyHistogram::UpperBoundMicros(i)) << "bucket " << i;
  }
}

TEST(IntervalMeterTest, WindowsAreWhatEachIntervalAddedSummedOverInstances) {
  router::RouterStats stats;
  BackendKey a{"web", "revision 2", "web-a"}, b{"web", "revision 2", "web-b"};
  Serve(&stats.backends[a], StatusClass::k2xx, 10, microseconds(1000));
  IntervalMeter meter;
  meter.Take(stats, "web", "revision 2");  // starts the interval
  Serve(&stats.backends[a], StatusClass::k2xx, 5, microseconds(1000));
  Serve(&stats.backends[a], StatusClass::k5xx, 1, microseconds(1000));
  Serve(&stats.backends[b], StatusClass::k2xx, 4, microseconds(50000));  // a new instance
  Serve(&stats.backends[{"web", "revision 1", "web-z"}], StatusClass::k2xx, 99, microseconds(9));
  rollout::Window w = meter.Take(stats, "web", "revision 2");
  EXPECT_EQ(w.status_2xx, 9u);
  EXPECT_EQ(w.status_5xx, 1u);
  EXPECT_EQ(w.Requests(), 10u);
  EXPECT_EQ(w.latency.Count(), 10u);
  EXPECT_FALSE(w.reset);
  // Nothing new: an empty window.
  EXPECT_EQ(meter.Take(stats, "web", "revision 2").Requests(), 0u);
}

TEST(IntervalMeterTest, AnInstanceThatLeftContributesNothingRatherThanAReset) {
  router::RouterStats stats;
  BackendKey a{"web", "revision 2", "web-a"}, b{"web", "revision 2", "web-b"};
  Serve(&stats.backends[a], StatusClass::k2xx, 100, microseconds(1000));
  Serve(&stats.backends[b], StatusClass::k2xx, 100, microseconds(1000));
  IntervalMeter meter;
  meter.Take(stats, "web", "revision 2");
  stats.backends.erase(a);
  Serve(&stats.backends[b], StatusClass::k2xx, 7, microseconds(1000));
  rollout::Window w = meter.Take(stats, "web", "revision 2");
  EXPECT_EQ(w.Requests(), 7u);
  EXPECT_FALSE(w.reset);
}

}  // namespace
}  // namespace cairn::control
