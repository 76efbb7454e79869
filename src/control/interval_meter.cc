#include "control/interval_meter.h"

#include <vector>

namespace cairn::control {

rollout::Window WindowOf(const router::BackendStats& s) {
  using router::StatusClass;
  rollout::Window w;
  w.status_1xx = s.Requests(StatusClass::k1xx);
  w.status_2xx = s.Requests(StatusClass::k2xx);
  w.status_3xx = s.Requests(StatusClass::k3xx);
  w.status_4xx = s.Requests(StatusClass::k4xx);
  w.status_5xx = s.Requests(StatusClass::k5xx);
  w.router_errors = s.Requests(StatusClass::kError);
  w.latency = rollout::EmptyRouterHistogram();
  const auto& buckets = s.latency.buckets();
  for (size_t i = 0; i < buckets.size() && i < w.latency.counts.size(); ++i) {
    w.latency.counts[i] = buckets[i];
  }
  return w;
}

rollout::Window IntervalMeter::Take(const router::RouterStats& stats, const std::string& service,
                                    const std::string& version) {
  rollout::Window total;
  total.latency = rollout::EmptyRouterHistogram();
  std::map<router::BackendKey, rollout::Window> seen;
  for (const auto& [key, backend] : stats.backends) {
    if (key.service != service || key.version != version) continue;
    rollout::Window now = WindowOf(backend);
    auto before = last_.find(key);
    rollout::Window delta = before == last_.end() ? now : rollout::Delta(now, before->second);
    rollout::Merge(&total, delta);
    seen.emplace(key, std::move(now));
  }
  Forget(service, version);  // instances that left contribute nothing from now on
  last_.merge(seen);
  return total;
}

void IntervalMeter::Forget(const std::string& service, const std::string& version) {
  for (auto it = last_.begin(); it != last_.end();) {
    if (it->first.service == service && it->first.version == version) {
      it = last_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace cairn::control
