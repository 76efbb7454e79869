// Histogram: counts of observations in fixed buckets plus their sum, as a Prometheus histogram
// reports them. A plain value with no locking: the owner says which thread may touch it (the
// controller's histograms live on the controller strand).
#pragma once

#include <cstdint>
#include <vector>

namespace cairn::telemetry {

class Histogram {
 public:
  // `bounds`: finite upper bounds, strictly increasing; a bucket holds the observations <= its
  // bound and > the previous one, and one more bucket (+Inf) holds everything above the last.
  // REQUIRES: bounds strictly increasing and finite (a programmer's choice, checked by assert).
  explicit Histogram(std::vector<double> bounds);

  // A histogram measured elsewhere (the router's): `counts` has bounds.size() + 1 entries, per
  // bucket (not cumulative), the last one above every bound.
  static Histogram FromCounts(std::vector<double> bounds, std::vector<uint64_t> counts, double sum);

  void Observe(double value);

  const std::vector<double>& bounds() const { return bounds_; }
  // Per bucket, not cumulative; bounds().size() + 1 entries.
  const std::vector<uint64_t>& counts() const { return counts_; }
  double sum() const { return sum_; }
  uint64_t count() const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;
  double sum_ = 0;
};

// Bounds for durations in seconds, from 100 microseconds to 10 seconds in 1-2.5-5 steps: the
// reconcile tick (microseconds to milliseconds) and slow outliers fit.
std::vector<double> FastDurationBounds();
// Bounds for durations in seconds from 50 ms to 5 minutes: an instance's start to healthy.
std::vector<double> SlowDurationBounds();

}  // namespace cairn::telemetry
