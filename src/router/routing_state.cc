#include "router/routing_state.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "router/backend_picker.h"
#include "router/cohort.h"
#include "router/fast_random.h"
#include "router/outlier_detector.h"
#include "router/retry_budget.h"
#include "router/weighted_rotation.h"

namespace cairn::router {

namespace {

// What a worker keeps per service: the version rotation, reset whenever the route table's
// generation changes (a new split takes effect on the next request), and per-version counters.
struct ServiceCounters {
  bool rotation_ready = false;
  uint64_t rotation_generation = 0;
  WeightedRotation rotation;
  // Scratch for the weights of versions that can take a request now; reused, so a pick does
  // not allocate once the service has been seen.
  std::vector<uint32_t> eligible_weights;
  std::unordered_map<std::string, VersionCounters> versions;
};

}  // namespace

struct RoutingState::Impl {
  Impl(const RoutingOptions& opts, const Clock* c, uint64_t seed)
      : options(opts),
        clock(c),
        random(seed),
        outlier(opts, c),
        retry(opts.retry_budget_percent, opts.min_retries_per_window, opts.retry_window, c) {}

  // Healthy and not ejected; exclusion is per request and checked by the caller.
  bool Usable(const Backend& backend) {
    if (!backend.healthy) return false;
    if (outlier.ejected_count() == 0) return true;  // the common case: no lookup, no clock
    auto it = backends.find(backend.instance_id);
    return it == backends.end() || !outlier.CheckEjected(it->second);
  }

  bool HasUsableBackend(const VersionRoute& version) {
    for (const Backend& b : version.backends) {
      if (Usable(b)) return true;
    }
    return false;
  }

  // Drops counters for services, versions and idle backends the new table no longer has, so a
  // long-running worker does not accumulate every instance it ever saw. Once per publish.
  void Collect(const RouteTable& table);

  RoutingOptions options;
  const Clock* clock;
  FastRandom random;
  OutlierDetector outlier;
  RetryBudget retry;
  std::unordered_map<std::string, BackendCounters> backends;
  std::unordered_map<std::string, ServiceCounters> services;
  bool collected = false;
  uint64_t collected_generation = 0;
};

void RoutingState::Impl::Collect(const RouteTable& table) {
  std::unordered_map<std::string_view, const ServiceRoute*> live_services;
  std::unordered_set<std::string_view> live_ids;
  for (const ServiceRoute& s : table.services) {
    live_services.emplace(s.service, &s);
    for (const VersionRoute& v : s.versions) {
      for (const Backend& b : v.backends) live_ids.insert(b.instance_id);
    }
  }
  auto version_is_live = [&](const std::string& service, const std::string& version) {
    auto it = live_services.find(service);
    if (it == live_services.end()) return false;
    const auto& versions = it->second->versions;
    return std::any_of(versions.begin(), versions.end(),
                       [&](const VersionRoute& v) { return v.version == version; });
  };
  std::unordered_set<const VersionCounters*> dead_versions;
  for (auto& [service, counters] : services) {
    for (auto& [version, vc] : counters.versions) {
      if (!version_is_live(service, version)) dead_versions.insert(&vc);
    }
  }
  for (auto it = backends.begin(); it != backends.end();) {
    BackendCounters& bc = it->second;
    if (bc.version != nullptr && dead_versions.contains(bc.version)) {
      outlier.SetVersion(bc, nullptr);
    }
    if (bc.outstanding == 0 && !live_ids.contains(it->first)) {
      outlier.Forget(bc);
      it = backends.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = services.begin(); it != services.end();) {
    if (!live_services.contains(it->first)) {
      it = services.erase(it);
      continue;
    }
    std::erase_if(it->second.versions,
                  [&](const auto& entry) { return dead_versions.contains(&entry.second); });
    ++it;
  }
}

RoutingState::RoutingState(RoutingOptions options, const Clock* clock, uint64_t seed)
    : impl_(std::make_unique<Impl>(options, clock, seed)) {}

RoutingState::~RoutingState() = default;

const VersionRoute* RoutingState::ChooseVersion(const RouteTable& table,
                                                const ServiceRoute& service,
                                                std::string_view cohort_key) {
  Impl& m = *impl_;
  if (!m.collected || table.generation > m.collected_generation) {
    m.Collect(table);
    m.collected = true;
    m.collected_generation = table.generation;
  }
  const std::vector<VersionRoute>& versions = service.versions;
  if (versions.empty()) return nullptr;
  ServiceCounters& s = m.services.try_emplace(service.service).first->second;
  s.eligible_weights.resize(versions.size());
  for (size_t i = 0; i < versions.size(); ++i) {
    const VersionRoute& v = versions[i];
    s.eligible_weights[i] = v.weight_bp > 0 && m.HasUsableBackend(v) ? v.weight_bp : 0;
  }
  const std::span<const uint32_t> eligible(s.eligible_weights);

  if (service.cohort.source != CohortSource::kNone && !cohort_key.empty()) {
    const uint64_t hash = CohortHash(cohort_key);
    const size_t index = CohortVersionIndex(versions, hash % kCohortBuckets);
    if (eligible[index] > 0) return &versions[index];
    // The user's version cannot serve: a weighted choice among the rest that stays the same
    // for this user while the outage lasts. The quotient is independent of the bucket.
    const int fallback = IndexByHash(eligible, hash / kCohortBuckets);
    return fallback < 0 ? nullptr : &versions[fallback];
  }

  if (!s.rotation_ready || s.rotation_generation != table.generation ||
      s.rotation.size() != versions.size()) {
    s.rotation.Reset(eligible, m.random);
    s.rotation_ready = true;
    s.rotation_generation = table.generation;
  }
  const int index = s.rotation.Pick(eligible);
  return index < 0 ? nullptr : &versions[index];
}

const Backend* RoutingState::ChooseBackend(const ServiceRoute& service, const VersionRoute& version,
                                           const std::vector<std::string>& exclude) {
  Impl& m = *impl_;
  ServiceCounters& s = m.services.try_emplace(service.service).first->second;
  VersionCounters& vc = s.versions.try_emplace(version.version).first->second;
  vc.backend_count = version.backends.size();

  auto usable = [&](const Backend& b) {
    if (!exclude.empty() &&
        std::find(exclude.begin(), exclude.end(), b.instance_id) != exclude.end()) {
      return false;
    }
    return m.Usable(b);
  };
  const Backend* chosen = nullptr;
  switch (service.balancer) {
    case BalancerKind::kRoundRobin:
      chosen = PickRoundRobin(version.backends, &vc.round_robin_cursor, usable);
      break;
    case BalancerKind::kLeastRequest:
      chosen = PickLeastRequest(version.backends, m.random, usable, [&](const Backend& b) {
        auto it = m.backends.find(b.instance_id);
        return it == m.backends.end() ? 0 : it->second.outstanding;
      });
      break;
  }
  if (chosen != nullptr) {
    // The ejection cap needs to know which version (and its size) a backend belongs to.
    m.outlier.SetVersion(m.backends.try_emplace(chosen->instance_id).first->second, &vc);
  }
  return chosen;
}

void RoutingState::OnRequestStart(const Backend& backend) {
  ++impl_->backends.try_emplace(backend.instance_id).first->second.outstanding;
  impl_->retry.RecordRequest();
}

bool RoutingState::OnRequestEnd(const Backend& backend, RequestOutcome outcome) {
  BackendCounters& bc = impl_->backends.try_emplace(backend.instance_id).first->second;
  if (bc.outstanding > 0) --bc.outstanding;
  return impl_->outlier.Record(bc, outcome);
}

bool RoutingState::TryAcquireRetry() { return impl_->retry.TryAcquire(); }

int RoutingState::Outstanding(const std::string& instance_id) const {
  auto it = impl_->backends.find(instance_id);
  return it == impl_->backends.end() ? 0 : it->second.outstanding;
}

bool RoutingState::IsEjected(const std::string& instance_id) const {
  auto it = impl_->backends.find(instance_id);
  return it != impl_->backends.end() && impl_->outlier.IsEjected(it->second);
}

}  // namespace cairn::router
