// IntervalMeter: the router's cumulative per-instance counters turned into the per-interval
// windows the analysis judge reads (rollout/measurement.h). The controller takes one window per
// version per analysis interval.
//
// Deltas are taken per instance and then summed, so an instance that leaves the route table
// (its counters vanish from the router's stats) contributes nothing instead of making the
// version's sum go backwards, and a new instance counts from zero.
#pragma once

#include <map>
#include <string>

#include "rollout/measurement.h"
#include "router/router_stats.h"

namespace cairn::control {

// One instance's cumulative counters as a rollout::Window.
rollout::Window WindowOf(const router::BackendStats& stats);

class IntervalMeter {
 public:
  // What `version` of `service` served since the previous Take for that pair (or since its
  // instances first served, on the first call: call Take once to start an interval).
  rollout::Window Take(const router::RouterStats& stats, const std::string& service,
                       const std::string& version);
  // Forgets a pair's snapshots (a rollout ended).
  void Forget(const std::string& service, const std::string& version);

 private:
  std::map<router::BackendKey, rollout::Window> last_;
};

}  // namespace cairn::control
