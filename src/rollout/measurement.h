// Measurement: what the router saw of one version over one analysis interval, in the judge's
// own terms. The controller fills a Window from router::BackendStats (rollout/ must not link the
// router); the judge (judge.h) only reads Windows.
//
// The router's counters are cumulative since an instance first served. The controller snapshots
// them every interval and Delta(after, before) turns two snapshots into the interval between.
// Pure data: no I/O, no clock.
#pragma once

#include <cstdint>
#include <vector>

namespace cairn::rollout {

// Latencies binned like router::LatencyHistogram: bucket i holds the observations in
// (upper_bounds_us[i-1], upper_bounds_us[i]] (bucket 0 from zero). The last bucket is the
// router's overflow bucket; its bound is the one the router reports for it (60 s).
struct Histogram {
  std::vector<double> upper_bounds_us;  // ascending, same size as counts
  std::vector<uint64_t> counts;

  uint64_t Count() const;
};

// The router's bucket bounds, 59 of them: 100 us * 10^(i/10) for i = 0..57, then 60 s.
// ASSUMPTION: this mirrors router::LatencyHistogram::UpperBoundMicros (router_stats.cc), copied
// here because rollout/ may not depend on the router. measurement_test.cc pins the numbers; if
// the router's layout changes, change both, and the control-side test that feeds router stats
// into a Window checks they agree.
std::vector<double> RouterLatencyBoundsMicros();
// An empty histogram with the router's bounds.
Histogram EmptyRouterHistogram();

// One version's requests over one interval, by status class like router::StatusClass.
// A request "succeeds" unless it is a 5xx or a router error: a 4xx is the client's mistake,
// not the version's (the same rule as the usual `response_code!~"5.*"` success-rate query).
struct Window {
  uint64_t status_1xx = 0;
  uint64_t status_2xx = 0;
  uint64_t status_3xx = 0;
  uint64_t status_4xx = 0;
  uint64_t status_5xx = 0;
  uint64_t router_errors = 0;  // answers the router generated itself (connect failure, timeout)
  Histogram latency;
  // Some counter went backwards between the two snapshots Delta was given (see Delta). The
  // counts are then `after`'s, which may span more than one interval: the judge calls such a
  // window inconclusive and never judges its numbers.
  bool reset = false;

  uint64_t Requests() const;
  uint64_t Failures() const { return status_5xx + router_errors; }
  // Share of requests that did not fail. REQUIRES: Requests() > 0.
  double SuccessRate() const;
};

// The interval between two cumulative snapshots: after - before, counter by counter.
//
// Counters go backwards when the snapshot is a sum over instances and an instance left it (it
// was removed from the route table, so the router stopped reporting it), or when the router
// restarted. Then no subtraction is right: a sum that lost an instance cannot say what the
// remaining instances did this interval. Delta returns `after` with `reset` set; the judge calls
// the interval inconclusive (one lost interval, never a wrong verdict). To avoid losing
// intervals when instances come and go, the controller can take Delta per instance (a new
// instance's `before` is an empty Window) and sum them with Merge: an instance that left then
// simply contributes nothing.
//
// An empty histogram (no buckets) on either side counts as all zeros. REQUIRES: otherwise both
// histograms have the same bounds.
Window Delta(const Window& after, const Window& before);

// Adds `other`'s counts into `*into` (summing per-instance windows); `reset` is sticky.
// REQUIRES: the histograms have the same bounds, or one of them has no buckets.
void Merge(Window* into, const Window& other);

}  // namespace cairn::rollout
