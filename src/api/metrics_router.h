// The router's measurements as Prometheus families (docs/metrics.md): requests by status class,
// latency histograms, bytes, connections, retries, ejections and violations, per service,
// version and instance. Pure: RouterStats in, families out.
//
// The instance is labelled `instance_id`, not `instance`: Prometheus gives every scraped series
// an `instance` label naming the scrape target (this cairn server), and renames a clashing
// label of the target's own to `exported_instance`; `instance_id` keeps both meanings intact.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "router/router_stats.h"
#include "telemetry/metric_registry.h"

namespace cairn::api {

// The `le` bounds of cairn_router_request_duration_seconds and the router bucket each one
// closes. The router counts latencies in 59 log-spaced buckets (ten a decade); exporting all
// of them would cost 60 series per instance, so /metrics keeps every decade and the ~2x and ~5x
// edges between (buckets 0, 3, 7, 10, 13, ... 57: 100 us to 50 s, 18 bounds). Each bound is a
// bucket's own edge, so its cumulative count is exact, never interpolated. The edges are
// irrational (100 us x 10^(i/10)); the router records whole microseconds, so the edge rounded
// down to a whole microsecond (1.995262 ms -> 0.001995 s) holds exactly the same requests, and
// that is the label.
struct RouterLatencyBound {
  int bucket = 0;  // router::LatencyHistogram bucket index whose upper edge this is
  double le = 0;   // seconds
};
const std::vector<RouterLatencyBound>& RouterLatencyBounds();

// Drops the backends of instances not in `running` (ids): /metrics carries series for the
// instances that exist now, as Prometheus expects of targets that come and go, so a server
// that shipped a thousand versions does not export every instance it ever routed to. The
// router keeps their counters (`cairn traffic`, rollout analysis).
void KeepRunningInstances(const std::set<std::string>& running, router::RouterStats* stats);

// Declares every router family (so a router with no traffic yet still shows them) and adds
// the samples in `stats`.
void AddRouterMetrics(const router::RouterStats& stats, telemetry::MetricRegistry* registry);

}  // namespace cairn::api
