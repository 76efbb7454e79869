#include "telemetry/metric_registry.h"

#include <gtest/gtest.h>

#include <cmath>

namespace cairn::telemetry {
namespace {

TEST(MetricRegistryTest, MetricNamesFollowTheExpositionFormat) {
  EXPECT_TRUE(IsValidMetricName("cairn_router_requests_total"));
  EXPECT_TRUE(IsValidMetricName("job:rate5m"));
  EXPECT_TRUE(IsValidMetricName("_x9"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_FALSE(IsValidMetricName("9lives"));
  EXPECT_FALSE(IsValidMetricName("cairn-router"));
  EXPECT_FALSE(IsValidMetricName("cairn router"));
}

TEST(MetricRegistryTest, LabelNamesExcludeReservedAndLe) {
  EXPECT_TRUE(IsValidLabelName("service"));
  EXPECT_TRUE(IsValidLabelName("code_class"));
  EXPECT_TRUE(IsValidLabelName("_x"));
  EXPECT_FALSE(IsValidLabelName(""));
  EXPECT_FALSE(IsValidLabelName("__name__"));
  EXPECT_FALSE(IsValidLabelName("le"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_FALSE(IsValidLabelName("1st"));
}

TEST(MetricRegistryTest, FamiliesKeepDeclarationOrderAndRedeclaringReturnsTheSame) {
  MetricRegistry r;
  r.Family("b_total", "B.", MetricType::kCounter);
  r.Family("a", "A.", MetricType::kGauge);
  r.Add("b_total", {{"k", "1"}}, 1);
  MetricFamily& again = r.Family("b_total", "B again.", MetricType::kCounter);
  EXPECT_EQ(again.help, "B.");
  ASSERT_EQ(r.families().size(), 2u);
  EXPECT_EQ(r.families()[0].name, "b_total");
  EXPECT_EQ(r.families()[1].name, "a");
  ASSERT_NE(r.Find("b_total"), nullptr);
  EXPECT_EQ(r.Find("b_total")->samples.size(), 1u);
  EXPECT_EQ(r.Find("missing"), nullptr);
}

TEST(MetricHistogramTest, ObservationsLandInTheFirstBucketWhoseBoundHoldsThem) {
  Histogram h({1, 2, 5});
  for (double v : {0.0, 1.0, 1.5, 2.0, 4.9, 5.0, 5.1, 1e9}) h.Observe(v);
  EXPECT_EQ(h.counts(), (std::vector<uint64_t>{2, 2, 2, 2}));
  EXPECT_EQ(h.count(), 8u);
  EXPECT_DOUBLE_EQ(h.sum(), 0 + 1 + 1.5 + 2 + 4.9 + 5 + 5.1 + 1e9);
}

TEST(MetricHistogramTest, NanIsNotCounted) {
  Histogram h({1});
  h.Observe(std::nan(""));
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.sum(), 0);
}

TEST(MetricHistogramTest, FromCountsKeepsAnotherHistogramsBuckets) {
  Histogram h = Histogram::FromCounts({0.1, 1}, {3, 0, 2}, 12.5);
  EXPECT_EQ(h.count(), 5u);
  EXPECT_EQ(h.counts().back(), 2u);
  EXPECT_DOUBLE_EQ(h.sum(), 12.5);
}

TEST(MetricHistogramTest, DefaultBoundsAreStrictlyIncreasing) {
  for (const auto& bounds : {FastDurationBounds(), SlowDurationBounds()}) {
    for (size_t i = 1; i < bounds.size(); ++i) EXPECT_LT(bounds[i - 1], bounds[i]);
  }
}

}  // namespace
}  // namespace cairn::telemetry
