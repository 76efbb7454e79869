// Statistics: the numerics the judge uses, with no judgement in them. Pure functions.
//
// All the router gives is binned data: request counts and a latency histogram per version. So
// the latency test is Mann-Whitney U on two histograms, where every observation in a bucket is
// tied with every other observation in that bucket (midranks, tie-corrected variance).
#pragma once

#include <cstdint>
#include <span>

#include "rollout/measurement.h"

namespace cairn::rollout {

// Standard normal distribution: P(Z <= z) and P(Z > z), through std::erfc (accurate in the
// far tail, where 1 - Cdf would round to zero).
double NormalCdf(double z);
double NormalSf(double z);

struct MannWhitneyResult {
  uint64_t n_canary = 0;
  uint64_t n_baseline = 0;
  // U of the canary: pairs (canary, baseline) where the canary was slower, ties counted 1/2.
  double u = 0;
  double mean = 0;  // n_canary * n_baseline / 2: U's mean when both come from one distribution
  double sd = 0;    // U's standard deviation, corrected for ties
  double z = 0;     // (u - mean - 0.5) / sd: normal approximation with continuity correction
  // One-sided: the chance of a U this large if the canary were not slower. 1 when there is
  // nothing to compare (an empty side, or every observation in one bucket).
  double p_value = 1;
  // u / (n_canary * n_baseline): P(canary slower) + P(tie) / 2. 0.5 means no difference.
  double effect = 0.5;
};

// Mann-Whitney U, one-sided "canary tends to be slower", on two histograms over the same
// buckets (bucket order is latency order; bounds do not matter). The normal approximation is
// good from about 20 observations a side; the judge asks for more than that (min_requests).
// REQUIRES: canary.size() == baseline.size().
MannWhitneyResult MannWhitneySlower(std::span<const uint64_t> canary,
                                    std::span<const uint64_t> baseline);

enum class ProportionMethod {
  kNone,         // nothing to test: no errors on either side, or an empty side
  kNormal,       // pooled two-proportion z test
  kFisherExact,  // some expected cell count below 5, where the normal approximation is poor
};
const char* ProportionMethodName(ProportionMethod method);

struct ProportionTestResult {
  double rate_canary = 0;  // errors / requests, 0 when there were no requests
  double rate_baseline = 0;
  ProportionMethod method = ProportionMethod::kNone;
  double z = 0;        // kNormal only
  double p_value = 1;  // one-sided: the chance of this many canary errors if it were no worse
};

// One-sided test that the canary's error rate exceeds the baseline's. The pooled z test when
// every expected cell of the 2x2 table is at least 5 (the textbook rule), else Fisher's exact
// test (the hypergeometric tail P(X >= canary_errors)), so small counts get an exact answer
// instead of a wrong approximate one. REQUIRES: errors <= requests on each side.
ProportionTestResult ErrorRateHigher(uint64_t canary_errors, uint64_t canary_requests,
                                     uint64_t baseline_errors, uint64_t baseline_requests);

// The latency below which a share q (0..1) of the observations fall, in microseconds,
// interpolated within the bucket the way router::LatencyHistogram::Quantile does: linearly in a
// bucket starting at zero, geometrically in the others (the buckets are log-spaced). So it is
// exact to within one bucket (a factor of 10^0.1 = 1.26 with the router's bounds). 0 when empty.
double QuantileMicros(const Histogram& histogram, double q);

}  // namespace cairn::rollout
