#include "router/outlier_detector.h"

#include <algorithm>

namespace cairn::router {

namespace {

bool IsFailure(RequestOutcome outcome) {
  switch (outcome) {
    case RequestOutcome::kServerError:
    case RequestOutcome::kConnectFailure:
    case RequestOutcome::kReset:
      return true;
    case RequestOutcome::kSuccess:
      return false;
  }
  return false;
}

void RemoveFrom(std::vector<BackendCounters*>& list, const BackendCounters* backend) {
  auto it = std::find(list.begin(), list.end(), backend);
  if (it != list.end()) {
    *it = list.back();
    list.pop_back();
  }
}

}  // namespace

OutlierDetector::OutlierDetector(const RoutingOptions& options, const Clock* clock)
    : options_(options), clock_(clock) {}

Duration OutlierDetector::EjectionTime(int times_before) const {
  Duration d = options_.base_ejection;
  for (int i = 0; i < times_before && d < options_.max_ejection; ++i) d *= 2;
  return std::min(d, options_.max_ejection);
}

bool OutlierDetector::Record(BackendCounters& backend, RequestOutcome outcome) {
  if (CheckEjected(backend)) return false;
  if (options_.consecutive_failures_to_eject <= 0) return false;  // detection turned off
  if (!IsFailure(outcome)) {
    backend.consecutive_failures = 0;
    return false;
  }
  ++backend.consecutive_failures;
  if (backend.consecutive_failures < options_.consecutive_failures_to_eject) return false;
  VersionCounters* version = backend.version;
  if (version == nullptr) return false;
  // After this ejection at most max_ejected_percent of the version may be out.
  const size_t out_after = PruneEjected(*version) + 1;
  if (out_after * 100 >
      static_cast<size_t>(std::max(options_.max_ejected_percent, 0)) * version->backend_count) {
    return false;  // keeps counting: it is ejected as soon as the cap allows
  }
  backend.ejected = true;
  backend.ejected_until = clock_->Now() + EjectionTime(backend.times_ejected);
  ++backend.times_ejected;
  backend.consecutive_failures = 0;
  version->ejected.push_back(&backend);
  ++ejected_count_;
  return true;
}

bool OutlierDetector::CheckEjected(BackendCounters& backend) {
  if (!backend.ejected) return false;
  if (clock_->Now() < backend.ejected_until) return true;
  Lift(backend);
  return false;
}

bool OutlierDetector::IsEjected(const BackendCounters& backend) const {
  return backend.ejected && clock_->Now() < backend.ejected_until;
}

void OutlierDetector::SetVersion(BackendCounters& backend, VersionCounters* version) {
  if (backend.version == version) return;
  if (backend.ejected) {
    if (backend.version != nullptr) RemoveFrom(backend.version->ejected, &backend);
    if (version != nullptr) version->ejected.push_back(&backend);
  }
  backend.version = version;
}

void OutlierDetector::Forget(BackendCounters& backend) {
  if (backend.ejected) Lift(backend);
}

void OutlierDetector::Lift(BackendCounters& backend) {
  backend.ejected = false;
  --ejected_count_;
  if (backend.version != nullptr) RemoveFrom(backend.version->ejected, &backend);
}

size_t OutlierDetector::PruneEjected(VersionCounters& version) {
  const SteadyTime now = clock_->Now();
  for (size_t i = version.ejected.size(); i-- > 0;) {
    BackendCounters* b = version.ejected[i];
    if (now >= b->ejected_until) Lift(*b);  // swaps the last entry into i: already visited
  }
  return version.ejected.size();
}

}  // namespace cairn::router
