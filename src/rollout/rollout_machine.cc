#include "rollout/rollout_machine.h"

#include <algorithm>

#include "rollout/machine_internal.h"

namespace cairn::rollout {

int CanaryReplicasFor(const RolloutPlan& plan, uint32_t weight_bp) {
  if (plan.canary_replicas > 0) return plan.canary_replicas;
  if (weight_bp == 0) return 0;
  // ceil(replicas * weight) in integers, at least one instance.
  int64_t scaled = (static_cast<int64_t>(plan.replicas) * weight_bp + 9999) / 10000;
  return static_cast<int>(std::clamp<int64_t>(scaled, 1, std::max(plan.replicas, 1)));
}

const char* RolloutCommandName(RolloutCommand command) {
  switch (command) {
    case RolloutCommand::kNone:
      return "none";
    case RolloutCommand::kPromote:
      return "promote";
    case RolloutCommand::kPromoteFull:
      return "promote_full";
    case RolloutCommand::kAbort:
      return "abort";
    case RolloutCommand::kPause:
      return "pause";
    case RolloutCommand::kResume:
      return "resume";
    case RolloutCommand::kRetry:
      return "retry";
    case RolloutCommand::kUndo:
      return "undo";
  }
  return "unknown";
}

namespace internal {

void Turn::Abort(std::string reason) {
  state.phase = RolloutPhase::kAborted;
  state.weight_bp = 0;
  state.user_paused = false;
  state.abort_reason = reason;
  Event("rollout.aborted", "all traffic back on the stable version: " + reason);
}

}  // namespace internal

namespace {

using internal::Turn;

// The commands both strategies treat alike. True when the command was consumed.
bool HandleCommonCommand(Turn& t) {
  RolloutState& s = t.state;
  const RolloutInputs& in = t.in;
  std::string phase = RolloutPhaseName(s.phase);
  switch (in.command) {
    case RolloutCommand::kPause:
      if (IsTerminal(s.phase)) {
        t.Refuse("nothing to pause: the rollout is " + phase);
      } else if (s.user_paused) {
        t.Refuse("the rollout is already paused");
      } else {
        s.user_paused = true;
        s.paused_at_ms = in.now_ms;
        t.Event("rollout.paused", "paused" + t.By() + "; `cairn rollout resume` carries on");
      }
      return true;
    case RolloutCommand::kResume:
      if (!s.user_paused) {
        t.Refuse("the rollout is not paused");
      } else {
        // Timed steps and delays do not count the time spent paused.
        int64_t paused_for = std::max<int64_t>(0, in.now_ms - s.paused_at_ms);
        s.step_started_ms += paused_for;
        if (s.ready_at_ms != 0) s.ready_at_ms += paused_for;
        if (s.eligible_at_ms != 0) s.eligible_at_ms += paused_for;
        if (s.switched_at_ms != 0) s.switched_at_ms += paused_for;
        s.user_paused = false;
        t.Event("rollout.resumed", "resumed" + t.By());
      }
      return true;
    case RolloutCommand::kAbort:
      if (IsTerminal(s.phase)) {
        t.Refuse("nothing to abort: the rollout is " + phase);
      } else {
        t.Abort("aborted" + (t.By().empty() ? std::string(" by a person") : t.By()));
      }
      return true;
    case RolloutCommand::kRetry:
      if (s.phase != RolloutPhase::kAborted) {
        t.Refuse("only an aborted rollout can be retried; this one is " + phase);
      } else {
        uint64_t analysis_id = s.analysis_id;
        s = StartRollout(t.plan, in.now_ms);
        s.analysis_id = std::max(s.analysis_id, analysis_id + 1);
        t.Event("rollout.retried", "started again from the first step" + t.By());
      }
      return true;
    default:
      return false;
  }
}

}  // namespace

RolloutState StartRollout(const RolloutPlan& plan, int64_t now_ms) {
  RolloutState s;
  s.step_started_ms = now_ms;
  // A canary whose first step is judged needs its analysis id from the start.
  if (plan.kind == StrategyKind::kCanary && !plan.steps.empty() &&
      plan.steps[0].kind == CanaryStep::Kind::kAnalysis) {
    s.analysis_id = 1;
  }
  return s;
}

RolloutDecision Advance(const RolloutPlan& plan, RolloutState* state, const RolloutInputs& in) {
  RolloutDecision decision;
  Turn turn{plan, *state, in, decision};
  HandleCommonCommand(turn);
  switch (plan.kind) {
    case StrategyKind::kCanary:
      internal::AdvanceCanary(turn);
      break;
    case StrategyKind::kBlueGreen:
      internal::AdvanceBlueGreen(turn);
      break;
    case StrategyKind::kRolling:
      internal::AdvanceRolling(turn);
      break;
  }
  return decision;
}

}  // namespace cairn::rollout
