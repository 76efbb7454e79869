#include "telemetry/metric_histogram.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace cairn::telemetry {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    assert(std::isfinite(bounds_[i]));
    assert(i == 0 || bounds_[i - 1] < bounds_[i]);
  }
}

Histogram Histogram::FromCounts(std::vector<double> bounds, std::vector<uint64_t> counts,
                                double sum) {
  Histogram h(std::move(bounds));
  assert(counts.size() == h.counts_.size());
  h.counts_ = std::move(counts);
  h.counts_.resize(h.bounds_.size() + 1, 0);
  h.sum_ = sum;
  return h;
}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;  // no bucket holds it, and it would poison the sum
  // The first bound >= value: Prometheus buckets are "less than or equal".
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  ++counts_[i];
  sum_ += value;
}

uint64_t Histogram::count() const {
  uint64_t n = 0;
  for (uint64_t c : counts_) n += c;
  return n;
}

std::vector<double> FastDurationBounds() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

std::vector<double> SlowDurationBounds() {
  return {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
}

}  // namespace cairn::telemetry
