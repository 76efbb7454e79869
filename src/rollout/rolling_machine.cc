// The rolling machine: one phase of work and its end. Which instance to start or stop next is
// the controller's DecideService (max_surge / max_unavailable over the instances it sees);
// this machine decides whether that work may go on (not while a person has paused it), when
// it is complete, and what an abort or a retry does, exactly as for canary and blue-green.
//
// Traffic needs no weights here: the router sends it to every healthy instance of either
// version, so new_weight_bp is 100% from the start and an abort puts everyone back on the
// stable version by replacing the new instances, as the rolling replace itself did.
#include "rollout/machine_internal.h"

namespace cairn::rollout::internal {

void AdvanceRolling(Turn& t) {
  RolloutState& s = t.state;
  switch (t.in.command) {
    case RolloutCommand::kPromote:
    case RolloutCommand::kPromoteFull:
    case RolloutCommand::kUndo:
      t.Refuse(std::string("a rolling replace has no steps to promote or switch to undo; ") +
               "`cairn rollout pause`, `resume` and `abort` steer it");
      break;
    default:
      break;  // pause, resume, abort and retry: the common part took them
  }
  if (!IsTerminal(s.phase) && !s.user_paused && t.in.rolling_done) {
    s.phase = RolloutPhase::kCompleted;
  }
  RolloutTargets& targets = t.decision.targets;
  bool back = s.phase == RolloutPhase::kAborted;
  s.weight_bp = back ? 0 : 10000;
  targets.new_weight_bp = s.weight_bp;
  targets.new_replicas = back ? 0 : t.plan.replicas;
  targets.stable_replicas = back ? t.plan.replicas : 0;
}

}  // namespace cairn::rollout::internal
