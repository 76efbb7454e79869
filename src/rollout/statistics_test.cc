// Reference values are worked by hand below (formulas written out), with Phi from
// 0.5 * erfc(-z / sqrt(2)); no statistics package is needed to check them.
#include "rollout/statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace cairn::rollout {
namespace {

TEST(NormalTest, KnownValues) {
  EXPECT_DOUBLE_EQ(NormalCdf(0), 0.5);
  EXPECT_NEAR(NormalSf(1.6448536269514722), 0.05, 1e-12);  // the one-sided 5% point
  EXPECT_NEAR(NormalCdf(-1), 1 - 0.8413447460685429, 1e-12);
  EXPECT_NEAR(NormalSf(-1), 0.8413447460685429, 1e-12);
  // Far tail: 1 - Cdf(8) would round to 0; erfc keeps it.
  EXPECT_NEAR(NormalSf(8) / 6.220960574271819e-16, 1, 1e-9);
}

// The router gives binned data only, so Mann-Whitney runs on histograms: every observation in a
// bucket is tied with the others in it. Three buckets b0 < b1 < b2:
//   canary   {0, 1, 2}  -> observations b1, b2, b2
//   baseline {2, 1, 0}  -> observations b0, b0, b1
// Bucket totals t = 2, 2, 2 (N = 6): midranks 1.5, 3.5, 5.5.
// R_canary = 1 * 3.5 + 2 * 5.5 = 14.5; U = R - n1 (n1 + 1) / 2 = 14.5 - 6 = 8.5
// (by pairs: b1 beats b0 twice and ties b1 (2.5); each b2 beats all three (6); 8.5).
// mean = n1 n2 / 2 = 4.5; tie term sum(t^3 - t) = 3 * 6 = 18;
// var = n1 n2 / 12 * ((N + 1) - 18 / (N (N - 1))) = 0.75 * (7 - 0.6) = 4.8; sd = 2.19089.
// z = (8.5 - 4.5 - 0.5) / 2.19089 = 1.59752 (continuity correction); p = 1 - Phi(z) = 0.055074.
TEST(MannWhitneyTest, TiedBinsUseMidranksAndTheTieCorrection) {
  std::vector<uint64_t> canary = {0, 1, 2};
  std::vector<uint64_t> baseline = {2, 1, 0};
  MannWhitneyResult r = MannWhitneySlower(canary, baseline);
  EXPECT_EQ(r.n_canary, 3u);
  EXPECT_EQ(r.n_baseline, 3u);
  EXPECT_DOUBLE_EQ(r.u, 8.5);
  EXPECT_DOUBLE_EQ(r.mean, 4.5);
  EXPECT_NEAR(r.sd, 2.1908902300206647, 1e-12);
  EXPECT_NEAR(r.z, 1.5975241260567343, 1e-12);
  EXPECT_NEAR(r.p_value, 0.055074462092973515, 1e-12);
  EXPECT_NEAR(r.effect, 8.5 / 9, 1e-12);
}

// One observation per bucket is the classical, tie-free test:
//   canary at positions 1, 3, 5, 6; baseline at 0, 2, 4.
// U = 1 + 2 + 3 + 3 = 9; mean = 4 * 3 / 2 = 6; var = 4 * 3 * 8 / 12 = 8 (no ties);
// z = (9 - 6 - 0.5) / sqrt(8) = 0.883883; p = 0.188380.
TEST(MannWhitneyTest, OneObservationPerBucketIsTheClassicalTest) {
  std::vector<uint64_t> canary = {0, 1, 0, 1, 0, 1, 1};
  std::vector<uint64_t> baseline = {1, 0, 1, 0, 1, 0, 0};
  MannWhitneyResult r = MannWhitneySlower(canary, baseline);
  EXPECT_DOUBLE_EQ(r.u, 9);
  EXPECT_DOUBLE_EQ(r.sd * r.sd, 8);
  EXPECT_NEAR(r.z, 0.8838834764831843, 1e-12);
  EXPECT_NEAR(r.p_value, 0.18837955890579106, 1e-12);
}

// Canary wholly in the two slower buckets, 5 + 5 against 5 + 5:
// U = 100 (every pair), mean 50; ties 4 * (125 - 5) = 480, N = 20;
// var = 25 / 12 * (21 - 480 / 380) = 164.473684; z = 49.5 / 12.824729 = 3.859731; p = 5.6756e-5.
TEST(MannWhitneyTest, ClearlySlowerCanaryHasASmallPValue) {
  std::vector<uint64_t> canary = {0, 0, 5, 5};
  std::vector<uint64_t> baseline = {5, 5, 0, 0};
  MannWhitneyResult r = MannWhitneySlower(canary, baseline);
  EXPECT_DOUBLE_EQ(r.u, 100);
  EXPECT_NEAR(r.z, 3.8597305605443495, 1e-12);
  EXPECT_NEAR(r.p_value, 5.675605717212095e-05, 1e-15);
  EXPECT_DOUBLE_EQ(r.effect, 1);
  // The other way round, the canary is faster: nothing against it.
  EXPECT_GT(MannWhitneySlower(baseline, canary).p_value, 0.99);
}

TEST(MannWhitneyTest, NothingToOrderGivesPOne) {
  std::vector<uint64_t> empty = {0, 0, 0};
  std::vector<uint64_t> some = {0, 4, 0};
  EXPECT_EQ(MannWhitneySlower(empty, some).p_value, 1);
  EXPECT_EQ(MannWhitneySlower(some, empty).p_value, 1);
  // Everything in one bucket: all tied, variance zero.
  MannWhitneyResult r = MannWhitneySlower(some, some);
  EXPECT_EQ(r.p_value, 1);
  EXPECT_DOUBLE_EQ(r.effect, 0.5);
}

// Millions of requests: t^3 is beyond 64 bits, so the sums run in doubles. Identical
// histograms give U = mean exactly, so z = -0.5 / sd, just below zero.
TEST(MannWhitneyTest, MillionsOfRequestsStayFinite) {
  std::vector<uint64_t> big = {3000000, 5000000, 2000000};
  MannWhitneyResult r = MannWhitneySlower(big, big);
  EXPECT_DOUBLE_EQ(r.u, r.mean);
  EXPECT_TRUE(std::isfinite(r.z));
  EXPECT_LT(r.z, 0);
  EXPECT_NEAR(r.p_value, 0.5, 1e-6);
}

// 30/1000 against 10/1000: pooled p = 40/2000 = 0.02;
// se = sqrt(0.02 * 0.98 * (1/1000 + 1/1000)) = 0.0062610; z = 0.02 / se = 3.194383;
// p = 1 - Phi(z) = 0.00070065. Smallest expected cell 1000 * 40 / 2000 = 20 >= 5: normal.
TEST(ErrorRateTest, PooledZTestWhenCountsAreLarge) {
  ProportionTestResult r = ErrorRateHigher(30, 1000, 10, 1000);
  EXPECT_EQ(r.method, ProportionMethod::kNormal);
  EXPECT_DOUBLE_EQ(r.rate_canary, 0.03);
  EXPECT_DOUBLE_EQ(r.rate_baseline, 0.01);
  EXPECT_NEAR(r.z, 3.1943828249996993, 1e-9);
  EXPECT_NEAR(r.p_value, 0.0007006507904801084, 1e-12);
}

// The shape: 5% against 0% over 1,000 requests each. Pooled p = 0.025,
// se = sqrt(0.025 * 0.975 * 0.002) = 0.0069821; z = 0.05 / se = 7.161149; p = 4.0002e-13.
TEST(ErrorRateTest, FivePercentAgainstNoneIsOverwhelming) {
  ProportionTestResult r = ErrorRateHigher(50, 1000, 0, 1000);
  EXPECT_EQ(r.method, ProportionMethod::kNormal);
  EXPECT_NEAR(r.z, 7.161148740394329, 1e-9);
  EXPECT_NEAR(r.p_value / 4.0001892239973213e-13, 1, 1e-6);
}

// Small counts: Fisher's exact test, the hypergeometric tail P(X >= canary errors) where X is
// the canary's share of all errors if errors fell on requests at random.
//   3/10 vs 0/10: K = 3 errors, N = 20, canary 10: P(X >= 3) = C(10,3) C(10,0) / C(20,3)
//                 = 120 / 1140 = 0.105263
//   2/5 vs 0/5:   C(5,2) / C(10,2) = 10 / 45 = 0.222222
//   2/4 vs 1/6:   K = 3, N = 10: (C(4,2) C(6,1) + C(4,3) C(6,0)) / C(10,3) = 40 / 120 = 1/3
TEST(ErrorRateTest, FishersExactTestForSmallCounts) {
  ProportionTestResult r = ErrorRateHigher(3, 10, 0, 10);
  EXPECT_EQ(r.method, ProportionMethod::kFisherExact);
  EXPECT_NEAR(r.p_value, 120.0 / 1140, 1e-12);
  EXPECT_NEAR(ErrorRateHigher(2, 5, 0, 5).p_value, 10.0 / 45, 1e-12);
  EXPECT_NEAR(ErrorRateHigher(2, 4, 1, 6).p_value, 1.0 / 3, 1e-12);
  // Fewer canary errors than could possibly be fewer: the tail is everything.
  EXPECT_NEAR(ErrorRateHigher(0, 10, 3, 10).p_value, 1, 1e-12);
}

// A handful of errors among many requests is still "small counts": 3 errors in 2,000 requests
// give an expected 1.5 per side, so the exact test decides. K = 3, N = 2000, canary 1000:
// P(X = 3) = C(1000,3) / C(2000,3) = 0.124813.
TEST(ErrorRateTest, FewErrorsAmongManyRequestsUseTheExactTest) {
  ProportionTestResult r = ErrorRateHigher(3, 1000, 0, 1000);
  EXPECT_EQ(r.method, ProportionMethod::kFisherExact);
  double expected = (1000.0 * 999 * 998) / (2000.0 * 1999 * 1998);
  EXPECT_NEAR(r.p_value, expected, 1e-12);
}

TEST(ErrorRateTest, NoErrorsAnywhereIsNothingToTest) {
  ProportionTestResult r = ErrorRateHigher(0, 1000, 0, 1000);
  EXPECT_EQ(r.method, ProportionMethod::kNone);
  EXPECT_EQ(r.p_value, 1);
  EXPECT_EQ(ErrorRateHigher(5, 10, 0, 0).method, ProportionMethod::kNone);
}

// Interpolation as in router::LatencyHistogram::Quantile.
TEST(QuantileTest, GeometricWithinALogBucketLinearInTheFirst) {
  Histogram h = EmptyRouterHistogram();
  EXPECT_EQ(QuantileMicros(h, 0.5), 0);
  // 100 observations in bucket 10, (794.33 us, 1000 us]: the median is halfway in log space,
  // sqrt(794.33 * 1000) = 891.2509 us.
  h.counts[10] = 100;
  EXPECT_NEAR(QuantileMicros(h, 0.5), 891.2509381337455, 1e-9);
  EXPECT_NEAR(QuantileMicros(h, 1.0), 1000, 1e-9);

  // Bucket 0 starts at zero: linear, so the median of 4 observations there is 50 us.
  Histogram first = EmptyRouterHistogram();
  first.counts[0] = 4;
  EXPECT_NEAR(QuantileMicros(first, 0.5), 50, 1e-9);
}

// 90 observations at ~1 ms, 10 at ~10 ms: p50 in bucket 10, p99 in bucket 20 at rank 99,
// the 9th of its 10: 7943.28 * (10000 / 7943.28)^0.9 = 9772.37 us.
TEST(QuantileTest, TailQuantileLandsInTheTailBucket) {
  Histogram h = EmptyRouterHistogram();
  h.counts[10] = 90;
  h.counts[20] = 10;
  EXPECT_LT(QuantileMicros(h, 0.5), 1000);
  EXPECT_NEAR(QuantileMicros(h, 0.99), 7943.282347242815 * std::pow(10000 / 7943.282347242815, 0.9),
              1e-6);
}

}  // namespace
}  // namespace cairn::rollout
