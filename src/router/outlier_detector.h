// Passive outlier detection: a worker watches the outcome of every request it proxies and
// ejects a backend after `consecutive_failures_to_eject` failures in a row (5xx, connect
// failure, reset) for base_ejection × 2^(times ejected before), capped at max_ejection. A success
// clears the run. An ejection ends by the clock. At most max_ejected_percent of a version's
// backends are out at once, so a version-wide failure (a bad deploy) still leaves it serving and
// the analysis sees the errors instead of the router hiding them. A threshold of 0 or less
// turns detection off.
//
// Per worker, no locks: each worker judges only what it saw, which is what Envoy does too.
#pragma once

#include <vector>

#include "core/clock.h"
#include "router/routing_state.h"

namespace cairn::router {

struct BackendCounters;

// What a worker knows about one version of one service: how many backends the route table gave
// it (learned in ChooseBackend) and which of them this worker has ejected.
struct VersionCounters {
  size_t backend_count = 0;
  uint64_t round_robin_cursor = 0;
  std::vector<BackendCounters*> ejected;  // may hold expired ejections until pruned
};

// What a worker knows about one backend (keyed by instance id).
struct BackendCounters {
  int outstanding = 0;
  int consecutive_failures = 0;
  int times_ejected = 0;
  bool ejected = false;
  SteadyTime ejected_until{};
  // The version the backend was last chosen in; nullptr until ChooseBackend returns it. A
  // backend with no known version is never ejected: the cap needs the version's size.
  VersionCounters* version = nullptr;
};

class OutlierDetector {
 public:
  OutlierDetector(const RoutingOptions& options, const Clock* clock);

  // Counts `outcome` against `backend`; true when it ejected the backend. Outcomes that arrive
  // while the backend is ejected (requests that were already in flight) are ignored.
  bool Record(BackendCounters& backend, RequestOutcome outcome);

  // True while `backend` is ejected; ends an ejection whose time is up.
  bool CheckEjected(BackendCounters& backend);
  // The same without ending anything (for const queries).
  bool IsEjected(const BackendCounters& backend) const;

  // Moves `backend` to `version` (nullptr: none), carrying an ejection along.
  void SetVersion(BackendCounters& backend, VersionCounters* version);
  // Drops `backend` from its version's ejected list before it is destroyed.
  void Forget(BackendCounters& backend);

  // Backends currently marked ejected on this worker (expired ones included until noticed).
  // Zero lets the hot path skip the clock and per-backend lookups entirely.
  int ejected_count() const { return ejected_count_; }

  // How long the next ejection of a backend ejected `times_before` times lasts.
  Duration EjectionTime(int times_before) const;

 private:
  void Lift(BackendCounters& backend);
  // Ends expired ejections in `version` and returns how many remain.
  size_t PruneEjected(VersionCounters& version);

  RoutingOptions options_;
  const Clock* clock_;
  int ejected_count_ = 0;
};

}  // namespace cairn::router
