#include "control/progressive_decision.h"

#include <algorithm>

namespace cairn::control {
namespace {

// Lower goes first when there are too many: what serves nobody before what serves users.
int SurplusRank(InstancePhase phase) {
  switch (phase) {
    case InstancePhase::kCrashed:
      return 0;
    case InstancePhase::kUnhealthy:
      return 1;
    case InstancePhase::kStarting:
      return 2;
    default:
      return 3;
  }
}

// Sizes one template's instances to `want`; returns how many to start.
int Size(std::vector<const InstanceView*> have, int want, std::vector<std::string>* stop) {
  int surplus = static_cast<int>(have.size()) - std::max(want, 0);
  if (surplus <= 0) return -surplus;
  std::stable_sort(have.begin(), have.end(), [](const InstanceView* a, const InstanceView* b) {
    return SurplusRank(a->phase) < SurplusRank(b->phase);
  });
  for (int i = 0; i < surplus; ++i) stop->push_back(have[i]->id);
  return 0;
}

}  // namespace

ProgressiveDecision DecideProgressive(const ProgressiveTarget& target,
                                      const std::vector<InstanceView>& instances) {
  ProgressiveDecision d;
  std::vector<const InstanceView*> fresh, stable;
  for (const InstanceView& inst : instances) {
    if (inst.phase == InstancePhase::kStopping) continue;
    bool healthy = inst.phase == InstancePhase::kHealthy;
    if (inst.template_hash == target.new_template) {
      fresh.push_back(&inst);
      d.new_healthy += healthy;
    } else if (inst.template_hash == target.stable_template) {
      stable.push_back(&inst);
      d.stable_healthy += healthy;
    } else {
      d.stop.push_back(inst.id);
    }
  }
  d.start_new = Size(fresh, target.new_replicas, &d.stop);
  d.start_stable = Size(stable, target.stable_replicas, &d.stop);
  return d;
}

}  // namespace cairn::control
