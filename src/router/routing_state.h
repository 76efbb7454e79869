// RoutingState: the per-worker decisions of the router — which version serves a request,
// which backend of that version, whether a backend is ejected, whether a retry is allowed.
// Pure logic with an injected Clock: no sockets, no threads. Each worker owns one and calls
// it from its own event loop only (not thread-safe, by design: no locks on the data path).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/units.h"
#include "router/route_table.h"

namespace cairn::router {

struct RoutingOptions {
  // Passive outlier detection: this many consecutive 5xx answers or connect failures eject a
  // backend for `base_ejection`, doubling with each repeat ejection up to `max_ejection`.
  int consecutive_failures_to_eject = 5;
  Duration base_ejection{10000};
  Duration max_ejection{300000};
  // Never eject more than this share of a version's backends (percent).
  int max_ejected_percent = 50;
  // Retries may add at most this share of the requests of the last `retry_window` (percent),
  // plus `min_retries_per_window`, so a failing upstream is not hammered.
  int retry_budget_percent = 20;
  int min_retries_per_window = 3;
  Duration retry_window{10000};
};

enum class RequestOutcome {
  kSuccess,         // any answer below 500
  kServerError,     // 5xx from the backend
  kConnectFailure,  // could not connect
  kReset,           // connection reset or closed before any response byte
};

class RoutingState {
 public:
  RoutingState(RoutingOptions options, const Clock* clock, uint64_t seed);
  ~RoutingState();

  // The version for the next request of `service`: by cohort when the service names one and
  // `cohort_key` is not empty, else by smooth weighted selection (exact at low weights, no
  // first-pick bias, no long runs). nullptr when no version has weight and a usable backend.
  const VersionRoute* ChooseVersion(const RouteTable& table, const ServiceRoute& service,
                                    std::string_view cohort_key);

  // A backend of `version` that is healthy, not ejected and not in `exclude` (instance ids
  // already tried by this request): power of two choices on outstanding requests, or round
  // robin, per the service's balancer. nullptr when none is usable.
  const Backend* ChooseBackend(const ServiceRoute& service, const VersionRoute& version,
                               const std::vector<std::string>& exclude = {});

  void OnRequestStart(const Backend& backend);
  // Returns true when this outcome ejected the backend.
  bool OnRequestEnd(const Backend& backend, RequestOutcome outcome);

  // Takes one retry from the budget; false when it is spent.
  bool TryAcquireRetry();

  int Outstanding(const std::string& instance_id) const;
  bool IsEjected(const std::string& instance_id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The bucket in [0, 10000) that a cohort key hashes to; stable across processes and versions
// of cairn (a user keeps their version across a server restart).
uint32_t CohortBucket(std::string_view key);

}  // namespace cairn::router
