#include "api/metrics_store.h"

namespace cairn::api {

using telemetry::MetricType;

void StoreGcCounters::Record(const Result<image::GcReport>& report) {
  runs.fetch_add(1, std::memory_order_relaxed);
  if (!report.ok()) {
    failures.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  blobs_removed.fetch_add(report->removed.size(), std::memory_order_relaxed);
  bytes_freed.fetch_add(report->bytes_freed, std::memory_order_relaxed);
}

void AddStoreMetrics(const image::StoreUsage* usage, const StoreGcCounters& gc,
                     telemetry::MetricRegistry* r) {
  r->Family("cairn_store_blobs", "Blobs in the image store.", MetricType::kGauge);
  r->Family("cairn_store_bytes", "Bytes of the blobs in the image store.", MetricType::kGauge);
  if (usage) {
    r->Add("cairn_store_blobs", {}, static_cast<double>(usage->blobs));
    r->Add("cairn_store_bytes", {}, static_cast<double>(usage->bytes));
  }
  auto counter = [&](const char* name, const char* help, const std::atomic<uint64_t>& value) {
    r->Family(name, help, MetricType::kCounter);
    r->Add(name, {}, static_cast<double>(value.load(std::memory_order_relaxed)));
  };
  counter("cairn_store_gc_runs_total", "Image store garbage collections run.", gc.runs);
  counter("cairn_store_gc_failures_total", "Image store garbage collections that failed.",
          gc.failures);
  counter("cairn_store_gc_removed_blobs_total", "Blobs removed by garbage collection.",
          gc.blobs_removed);
  counter("cairn_store_gc_freed_bytes_total", "Bytes freed by garbage collection.", gc.bytes_freed);
}

}  // namespace cairn::api
