#include "rollout/statistics.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <vector>

namespace cairn::rollout {
namespace {

// log C(n, k) through lgamma: exact enough for the tail sums below, never overflows.
double LogChoose(double n, double k) {
  return std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1);
}

// P(X >= x) for X ~ Hypergeometric(population n, successes k, draws d): the chance that d
// requests drawn from n, of which k failed, hold at least x failures.
double HypergeometricTail(uint64_t x, uint64_t n, uint64_t k, uint64_t d) {
  uint64_t hi = std::min(k, d);
  if (x > hi) return 0;
  double log_total = LogChoose(static_cast<double>(n), static_cast<double>(d));
  std::vector<double> logs;
  logs.reserve(hi - x + 1);
  for (uint64_t i = x; i <= hi; ++i) {
    if (d - i > n - k) continue;  // not enough successes to fill the draw: impossible
    logs.push_back(LogChoose(static_cast<double>(k), static_cast<double>(i)) +
                   LogChoose(static_cast<double>(n - k), static_cast<double>(d - i)) - log_total);
  }
  if (logs.empty()) return 0;
  // Sum relative to the largest term so tiny terms neither underflow the sum nor dominate it.
  double top = *std::max_element(logs.begin(), logs.end());
  double sum = 0;
  for (double l : logs) sum += std::exp(l - top);
  return std::min(1.0, std::exp(top) * sum);
}

}  // namespace

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }
double NormalSf(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

MannWhitneyResult MannWhitneySlower(std::span<const uint64_t> canary,
                                    std::span<const uint64_t> baseline) {
  assert(canary.size() == baseline.size());
  MannWhitneyResult r;
  for (uint64_t c : canary) r.n_canary += c;
  for (uint64_t b : baseline) r.n_baseline += b;
  if (r.n_canary == 0 || r.n_baseline == 0) return r;

  // Every observation in bucket i shares the midrank of the bucket's run of ranks. Doubles
  // throughout: n^3 overflows 64 bits from two million requests.
  double below = 0;     // observations in faster buckets
  double rank_sum = 0;  // sum of the canary's ranks
  double ties = 0;      // sum over buckets of t^3 - t
  for (size_t i = 0; i < canary.size(); ++i) {
    double t = static_cast<double>(canary[i]) + static_cast<double>(baseline[i]);
    if (t == 0) continue;
    double midrank = below + (t + 1) / 2;
    rank_sum += static_cast<double>(canary[i]) * midrank;
    ties += t * t * t - t;
    below += t;
  }
  double n1 = static_cast<double>(r.n_canary);
  double n2 = static_cast<double>(r.n_baseline);
  double n = n1 + n2;
  r.u = rank_sum - n1 * (n1 + 1) / 2;
  r.mean = n1 * n2 / 2;
  r.effect = r.u / (n1 * n2);
  double variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)));
  if (variance <= 0) return r;  // one bucket holds everything: no order to test
  r.sd = std::sqrt(variance);
  r.z = (r.u - r.mean - 0.5) / r.sd;
  r.p_value = NormalSf(r.z);
  return r;
}

const char* ProportionMethodName(ProportionMethod method) {
  switch (method) {
    case ProportionMethod::kNone:
      return "none";
    case ProportionMethod::kNormal:
      return "z";
    case ProportionMethod::kFisherExact:
      return "fisher";
  }
  return "unknown";
}

ProportionTestResult ErrorRateHigher(uint64_t canary_errors, uint64_t canary_requests,
                                     uint64_t baseline_errors, uint64_t baseline_requests) {
  assert(canary_errors <= canary_requests && baseline_errors <= baseline_requests);
  ProportionTestResult r;
  if (canary_requests > 0) {
    r.rate_canary = static_cast<double>(canary_errors) / static_cast<double>(canary_requests);
  }
  if (baseline_requests > 0) {
    r.rate_baseline = static_cast<double>(baseline_errors) / static_cast<double>(baseline_requests);
  }
  uint64_t errors = canary_errors + baseline_errors;
  uint64_t total = canary_requests + baseline_requests;
  if (canary_requests == 0 || baseline_requests == 0 || errors == 0) return r;

  // Expected counts of the 2x2 table under "same rate": row total * column total / total.
  double n = static_cast<double>(total);
  double e = static_cast<double>(errors);
  double smallest_row = static_cast<double>(std::min(canary_requests, baseline_requests));
  double smallest_column = std::min(e, n - e);
  if (smallest_row * smallest_column / n < 5) {
    r.method = ProportionMethod::kFisherExact;
    r.p_value = HypergeometricTail(canary_errors, total, errors, canary_requests);
    return r;
  }
  r.method = ProportionMethod::kNormal;
  double pooled = e / n;
  double se = std::sqrt(
      pooled * (1 - pooled) *
      (1 / static_cast<double>(canary_requests) + 1 / static_cast<double>(baseline_requests)));
  r.z = (r.rate_canary - r.rate_baseline) / se;
  r.p_value = NormalSf(r.z);
  return r;
}

double QuantileMicros(const Histogram& h, double q) {
  uint64_t count = h.Count();
  if (count == 0) return 0;
  double rank = q * static_cast<double>(count);
  uint64_t seen = 0;
  for (size_t i = 0; i < h.counts.size(); ++i) {
    if (h.counts[i] == 0) continue;
    if (static_cast<double>(seen + h.counts[i]) >= rank) {
      double lo = i == 0 ? 0.0 : h.upper_bounds_us[i - 1];
      double hi = h.upper_bounds_us[i];
      double frac = (rank - static_cast<double>(seen)) / static_cast<double>(h.counts[i]);
      frac = std::clamp(frac, 0.0, 1.0);
      return lo <= 0 ? hi * frac : lo * std::pow(hi / lo, frac);
    }
    seen += h.counts[i];
  }
  return h.upper_bounds_us.back();
}

}  // namespace cairn::rollout
