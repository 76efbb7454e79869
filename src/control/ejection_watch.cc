#include "control/ejection_watch.h"

namespace cairn::control {

std::vector<Ejection> EjectionWatch::Observe(const router::RouterStats& stats) {
  // An instance serves one version; summing by id still holds if a table ever moved it.
  std::map<std::string, Ejection> now;
  for (const auto& [key, backend] : stats.backends) {
    if (key.instance.empty()) continue;
    Ejection& e = now[key.instance];
    e.service = key.service;
    e.version = key.version;
    e.instance = key.instance;
    e.total += backend.ejections;
  }
  std::vector<Ejection> grown;
  std::map<std::string, uint64_t> seen;
  for (auto& [id, e] : now) {
    seen[id] = e.total;
    auto before = seen_.find(id);
    uint64_t previous = before == seen_.end() || before->second > e.total ? 0 : before->second;
    if (e.total == previous) continue;
    e.count = e.total - previous;
    grown.push_back(std::move(e));
  }
  seen_ = std::move(seen);
  return grown;
}

}  // namespace cairn::control
