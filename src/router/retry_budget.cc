#include "router/retry_budget.h"

#include <algorithm>

namespace cairn::router {

RetryBudget::RetryBudget(int percent, int min_per_window, Duration window, const Clock* clock)
    : percent_(std::max(percent, 0)),
      min_per_window_(std::max(min_per_window, 0)),
      bucket_width_(std::max(window / kBuckets, Duration(1))),
      clock_(clock),
      origin_(clock->Now()) {}

int64_t RetryBudget::CurrentIndex() const { return (clock_->Now() - origin_) / bucket_width_; }

RetryBudget::Bucket& RetryBudget::Current(int64_t index) {
  Bucket& b = buckets_[index % kBuckets];
  if (b.index != index) b = Bucket{index, 0, 0};
  return b;
}

void RetryBudget::RecordRequest() { ++Current(CurrentIndex()).requests; }

bool RetryBudget::TryAcquire() {
  const int64_t now = CurrentIndex();
  uint64_t requests = 0;
  uint64_t retries = 0;
  for (const Bucket& b : buckets_) {
    if (b.index > now - kBuckets && b.index <= now) {
      requests += b.requests;
      retries += b.retries;
    }
  }
  const uint64_t allowed =
      requests * static_cast<uint64_t>(percent_) / 100 + static_cast<uint64_t>(min_per_window_);
  if (retries >= allowed) return false;
  ++Current(now).retries;
  return true;
}

}  // namespace cairn::router
