#include "control/rolling_decision.h"

#include <algorithm>

namespace cairn::control {

const char* InstancePhaseName(InstancePhase phase) {
  switch (phase) {
    case InstancePhase::kStarting:
      return "starting";
    case InstancePhase::kHealthy:
      return "healthy";
    case InstancePhase::kUnhealthy:
      return "unhealthy";
    case InstancePhase::kCrashed:
      return "crashed";
    case InstancePhase::kStopping:
      return "stopping";
  }
  return "unknown";
}

namespace {

// Lower is removed first: what serves nobody goes before what serves users.
int RemovalRank(InstancePhase phase) {
  switch (phase) {
    case InstancePhase::kCrashed:
      return 0;
    case InstancePhase::kUnhealthy:
      return 1;
    case InstancePhase::kStarting:
      return 2;
    case InstancePhase::kHealthy:
      return 3;
    case InstancePhase::kStopping:
      return 4;
  }
  return 4;
}

}  // namespace

std::vector<const InstanceView*> InRemovalOrder(std::vector<const InstanceView*> list) {
  std::stable_sort(list.begin(), list.end(), [](const InstanceView* a, const InstanceView* b) {
    return RemovalRank(a->phase) < RemovalRank(b->phase);
  });
  return list;
}

ServiceDecision DecideService(const ServiceTarget& target,
                              const std::vector<InstanceView>& instances) {
  ServiceDecision decision;
  std::vector<const InstanceView*> current;  // target template
  std::vector<const InstanceView*> old;      // any other template
  int healthy = 0;
  for (const auto& inst : instances) {
    if (inst.phase == InstancePhase::kStopping) continue;
    (inst.template_hash == target.template_hash ? current : old).push_back(&inst);
    if (inst.phase == InstancePhase::kHealthy) ++healthy;
  }
  const int replicas = std::max(0, target.replicas);
  int active = static_cast<int>(current.size() + old.size());

  if (replicas == 0) {
    for (const auto* inst : current) decision.stop.push_back(inst->id);
    for (const auto* inst : old) decision.stop.push_back(inst->id);
    decision.complete = active == 0;
    return decision;
  }

  int min_available = std::max(replicas - std::max(0, target.max_unavailable), 1);
  const int max_total = replicas + std::max(0, target.max_surge);

  // Removing a healthy instance is allowed only while enough healthy ones remain.
  auto try_stop = [&](const InstanceView* inst) {
    if (inst->phase == InstancePhase::kHealthy) {
      if (healthy - 1 < min_available) return false;
      --healthy;
    }
    decision.stop.push_back(inst->id);
    --active;
    return true;
  };

  // Surplus instances of the target template (a scale-down).
  int surplus = static_cast<int>(current.size()) - replicas;
  int kept_current = static_cast<int>(current.size());
  for (const auto* inst : InRemovalOrder(current)) {
    if (surplus <= 0) break;
    if (try_stop(inst)) {
      --surplus;
      --kept_current;
    }
  }

  // Old instances go as soon as availability allows.
  int old_left = static_cast<int>(old.size());
  for (const auto* inst : InRemovalOrder(old)) {
    if (try_stop(inst)) --old_left;
  }

  int wanted = replicas - kept_current;
  int room = max_total - active;
  decision.start = std::max(0, std::min(wanted, room));

  int current_healthy = 0;
  for (const auto* inst : current) {
    if (inst->phase == InstancePhase::kHealthy) ++current_healthy;
  }
  decision.complete = old_left == 0 && kept_current == replicas &&
                      current_healthy == static_cast<int>(current.size()) &&
                      static_cast<int>(current.size()) == replicas;
  return decision;
}

}  // namespace cairn::control
