// RetryBudget: retries may add at most `percent` of the requests started in the last `window`,
// plus `min_per_window`, so a failing upstream is not hammered by retries on top of its load.
// Requests are every OnRequestStart (retry attempts included, as in Envoy's budget). The window
// slides in ten buckets of window/10: a request stops counting between 0.9 and 1.0 window after
// it started. O(1) to record, O(10) to acquire, no allocation. One per worker, no locks.
#pragma once

#include <array>
#include <cstdint>

#include "core/clock.h"
#include "core/units.h"

namespace cairn::router {

class RetryBudget {
 public:
  RetryBudget(int percent, int min_per_window, Duration window, const Clock* clock);

  void RecordRequest();
  // Takes one retry from the budget; false when it is spent.
  bool TryAcquire();

 private:
  static constexpr int kBuckets = 10;
  struct Bucket {
    int64_t index = -1;  // which bucket_width_ slice since origin_ this slot holds
    uint64_t requests = 0;
    uint64_t retries = 0;
  };
  int64_t CurrentIndex() const;
  Bucket& Current(int64_t index);

  int percent_;
  int min_per_window_;
  Duration bucket_width_;
  const Clock* clock_;
  SteadyTime origin_;
  std::array<Bucket, kBuckets> buckets_{};
};

}  // namespace cairn::router
