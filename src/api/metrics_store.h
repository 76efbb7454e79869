// The image store as Prometheus families: what it holds (blobs, bytes) and what its garbage
// collections removed.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/result.h"
#include "image/store.h"
#include "telemetry/metric_registry.h"

namespace cairn::api {

// The image gcs this server ran (POST /v1/images/gc, `cairn image gc`). Written on the API's
// blocking pool, where gc runs, and read by a scrape on another pool thread: relaxed atomics,
// since each counter stands alone (a scrape may see one gc's blobs before its bytes).
struct StoreGcCounters {
  std::atomic<uint64_t> runs{0};
  std::atomic<uint64_t> failures{0};  // refused or broken off (nothing or part removed)
  std::atomic<uint64_t> blobs_removed{0};
  std::atomic<uint64_t> bytes_freed{0};

  void Record(const Result<image::GcReport>& report);
};

// Declares the store families; adds the blob and byte gauges when `usage` is set (null: the
// store could not be read, and a scrape shows the gap rather than a false zero).
void AddStoreMetrics(const image::StoreUsage* usage, const StoreGcCounters& gc,
                     telemetry::MetricRegistry* registry);

}  // namespace cairn::api
