#include "control/progressive_decision.h"

#include <algorithm>

namespace cairn::control {
namespace {

// Sizes one template's instances to `want`; returns how many to start.
int Size(std::vector<const InstanceView*> have, int want, std::vector<std::string>* stop) {
  int surplus = static_cast<int>(have.size()) - std::max(want, 0);
  if (surplus <= 0) return -surplus;
  have = InRemovalOrder(std::move(have));
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
