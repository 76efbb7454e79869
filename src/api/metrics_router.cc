#include "api/metrics_router.h"

#include <cmath>

namespace cairn::api {
namespace {

using telemetry::Labels;
using telemetry::MetricType;

telemetry::Histogram Convert(const router::LatencyHistogram& latency) {
  const auto& bounds = RouterLatencyBounds();
  std::vector<double> le;
  std::vector<uint64_t> counts(bounds.size() + 1, 0);
  for (const auto& b : bounds) le.push_back(b.le);
  size_t next = 0;  // the first exported bound not below bucket i
  for (int i = 0; i < router::LatencyHistogram::kBuckets; ++i) {
    while (next < bounds.size() && bounds[next].bucket < i) ++next;
    counts[next] += latency.buckets()[i];
  }
  return telemetry::Histogram::FromCounts(std::move(le), std::move(counts),
                                          static_cast<double>(latency.SumMicros()) / 1e6);
}

}  // namespace

const std::vector<RouterLatencyBound>& RouterLatencyBounds() {
  static const std::vector<RouterLatencyBound> bounds = [] {
    std::vector<RouterLatencyBound> out;
    for (int i = 0; i < router::LatencyHistogram::kBuckets - 1; ++i) {
      int step = i % 10;
      if (step != 0 && step != 3 && step != 7) continue;
      // A hair above the edge before flooring: a decade edge computes as 999.9999999 us.
      double whole_us = std::floor(router::LatencyHistogram::UpperBoundMicros(i) + 1e-6);
      out.push_back({i, whole_us / 1e6});
    }
    return out;
  }();
  return bounds;
}

void KeepRunningInstances(const std::set<std::string>& running, router::RouterStats* stats) {
  std::erase_if(stats->backends,
                [&](const auto& entry) { return !running.count(entry.first.instance); });
}

void AddRouterMetrics(const router::RouterStats& stats, telemetry::MetricRegistry* r) {
  r->Family("cairn_router_requests_total",
            "Requests the router answered, by status class (1xx..5xx from the instance; error: "
            "the router answered itself, 502/503/504).",
            MetricType::kCounter);
  r->Family("cairn_router_request_duration_seconds",
            "From a request's head read to its response's end.", MetricType::kHistogram);
  r->Family("cairn_router_request_bytes_total",
            "Bytes of requests from clients (heads and bodies).", MetricType::kCounter);
  r->Family("cairn_router_response_bytes_total",
            "Bytes of responses to clients (heads and bodies).", MetricType::kCounter);
  r->Family("cairn_router_upstream_connections",
            "Open connections (HTTP) or sessions (TCP) to the instance.", MetricType::kGauge);
  r->Family("cairn_router_retries_total", "Requests retried elsewhere after failing here.",
            MetricType::kCounter);
  r->Family("cairn_router_ejections_total", "Times the instance was ejected by outlier detection.",
            MetricType::kCounter);
  for (const auto& [key, b] : stats.backends) {
    Labels base = {
        {"service", key.service}, {"version", key.version}, {"instance_id", key.instance}};
    for (int c = 0; c < static_cast<int>(router::StatusClass::kCount); ++c) {
      auto cls = static_cast<router::StatusClass>(c);
      Labels labels = base;
      labels.push_back({"code_class", router::StatusClassName(cls)});
      r->Add("cairn_router_requests_total", std::move(labels), b.Requests(cls));
    }
    r->AddHistogram("cairn_router_request_duration_seconds", base, Convert(b.latency));
    r->Add("cairn_router_request_bytes_total", base, b.bytes_in);
    r->Add("cairn_router_response_bytes_total", base, b.bytes_out);
    r->Add("cairn_router_upstream_connections", base, b.active_connections);
    r->Add("cairn_router_retries_total", base, b.retries);
    r->Add("cairn_router_ejections_total", base, b.ejections);
  }
  r->Family("cairn_router_client_connections", "Open client connections.", MetricType::kGauge);
  r->Add("cairn_router_client_connections", {}, stats.active_client_connections);
  r->Family("cairn_router_connections_accepted_total", "Client connections accepted.",
            MetricType::kCounter);
  r->Add("cairn_router_connections_accepted_total", {}, stats.connections_accepted);
  r->Family("cairn_router_violations_total",
            "Requests refused or cut by a limit or timeout, by kind (see docs/metrics.md).",
            MetricType::kCounter);
  for (const auto& [kind, n] : stats.violations) {
    r->Add("cairn_router_violations_total", {{"kind", kind}}, n);
  }
}

}  // namespace cairn::api
