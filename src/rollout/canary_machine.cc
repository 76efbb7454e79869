// The canary machine: steps of weight, pause, manual pause and judged analysis, then the full
// promotion. See rollout_machine.h for the rules every transition keeps.
#include <algorithm>
#include <string>

#include "rollout/machine_internal.h"

namespace cairn::rollout::internal {
namespace {

std::string Percent(uint32_t bp) {
  std::string s = std::to_string(bp / 100);
  if (bp % 100 != 0) {
    s += '.';
    s += static_cast<char>('0' + (bp % 100) / 10);
    if (bp % 10 != 0) s += static_cast<char>('0' + bp % 10);
  }
  return s + "%";
}

std::string StepName(const RolloutPlan& plan, size_t step) {
  return "step " + std::to_string(step + 1) + " of " + std::to_string(plan.steps.size());
}

// Moves to the next step (or the full promotion after the last).
void NextStep(Turn& t) {
  RolloutState& s = t.state;
  ++s.step;
  s.step_started_ms = t.in.now_ms;
  s.phase = RolloutPhase::kProgressing;
  if (s.step < t.plan.steps.size()) {
    const CanaryStep& next = t.plan.steps[s.step];
    if (next.kind == CanaryStep::Kind::kAnalysis) ++s.analysis_id;
    std::string what = next.kind == CanaryStep::Kind::kWeight  ? "weight " + Percent(next.weight_bp)
                       : next.kind == CanaryStep::Kind::kPause ? "pause"
                       : next.kind == CanaryStep::Kind::kManualPause ? "wait for promote"
                                                                     : "analysis";
    t.Event("rollout.step", StepName(t.plan, s.step) + ": " + what);
  } else {
    t.Event("rollout.step", "full promotion: bringing the new version to " +
                                std::to_string(t.plan.replicas) + " instances");
  }
}

void HandleCommand(Turn& t) {
  RolloutState& s = t.state;
  switch (t.in.command) {
    case RolloutCommand::kPromote:
      if (IsTerminal(s.phase)) {
        t.Refuse(std::string("nothing to promote: the rollout is ") + RolloutPhaseName(s.phase));
      } else if (s.step >= t.plan.steps.size()) {
        t.Refuse("already on the full promotion");
      } else {
        s.user_paused = false;
        t.Event("rollout.promoted", StepName(t.plan, s.step) + " ended" + t.By());
        NextStep(t);
      }
      break;
    case RolloutCommand::kPromoteFull:
      if (IsTerminal(s.phase)) {
        t.Refuse(std::string("nothing to promote: the rollout is ") + RolloutPhaseName(s.phase));
      } else if (s.step >= t.plan.steps.size()) {
        t.Refuse("already on the full promotion");
      } else {
        s.user_paused = false;
        t.Event("rollout.promoted", "remaining steps skipped" + t.By());
        s.step = t.plan.steps.size() - 1;
        NextStep(t);
      }
      break;
    case RolloutCommand::kUndo:
      t.Refuse("undo switches a blue-green rollout back; a canary is stopped with abort");
      break;
    default:
      break;
  }
}

// Moves through as many steps as the inputs allow in one decision.
void Progress(Turn& t) {
  RolloutState& s = t.state;
  const RolloutPlan& plan = t.plan;
  for (size_t guard = 0; guard <= plan.steps.size() + 1; ++guard) {
    if (s.step >= plan.steps.size()) {
      if (t.in.new_healthy < plan.replicas) return;
      s.weight_bp = 10000;
      s.phase = RolloutPhase::kCompleted;
      t.Event("rollout.completed", "the new version serves all traffic");
      return;
    }
    const CanaryStep& step = plan.steps[s.step];
    switch (step.kind) {
      case CanaryStep::Kind::kWeight:
        // Traffic moves only once the instances for the new weight are healthy.
        if (t.in.new_healthy < CanaryReplicasFor(plan, step.weight_bp)) return;
        if (s.weight_bp != step.weight_bp) {
          t.Event("rollout.weight", Percent(s.weight_bp) + " -> " + Percent(step.weight_bp) +
                                        " of traffic on the new version");
          s.weight_bp = step.weight_bp;
        }
        NextStep(t);
        break;
      case CanaryStep::Kind::kPause:
        if (t.in.now_ms < s.step_started_ms + step.pause.count()) return;
        NextStep(t);
        break;
      case CanaryStep::Kind::kManualPause:
        if (s.phase != RolloutPhase::kWaitingForPromote) {
          s.phase = RolloutPhase::kWaitingForPromote;
          t.Event("rollout.waiting",
                  StepName(plan, s.step) + ": waiting for `cairn rollout promote`");
        }
        return;
      case CanaryStep::Kind::kAnalysis:
        // A judged step entered in this very call waits: the inputs name an older run's id.
        if (t.AnalysisIs(AnalysisStatus::kFailed)) {
          t.Abort("analysis failed at " + StepName(plan, s.step) +
                  (t.in.analysis_reason.empty() ? "" : ": " + t.in.analysis_reason));
          return;
        }
        if (t.AnalysisIs(AnalysisStatus::kInconclusive)) {
          if (s.phase != RolloutPhase::kWaitingForPromote) {
            s.phase = RolloutPhase::kWaitingForPromote;
            t.Event("rollout.waiting", StepName(plan, s.step) + ": analysis " +
                                           InconclusiveReason(t.in.analysis_reason) +
                                           "; waiting for promote or abort");
          }
          return;
        }
        if (!t.AnalysisIs(AnalysisStatus::kPassed)) return;
        t.Event("rollout.analysis", StepName(plan, s.step) + ": analysis passed");
        NextStep(t);
        break;
    }
  }
}

void FillTargets(Turn& t) {
  const RolloutPlan& plan = t.plan;
  const RolloutState& s = t.state;
  RolloutTargets& out = t.decision.targets;
  out.stable_replicas = plan.replicas;
  if (s.phase == RolloutPhase::kAborted) {
    out.new_weight_bp = 0;
    out.new_replicas = 0;
    return;
  }
  if (s.phase == RolloutPhase::kCompleted) {
    out.new_weight_bp = 10000;
    out.new_replicas = plan.replicas;
    out.stable_replicas = 0;
    return;
  }
  out.new_weight_bp = s.weight_bp;
  int needed = CanaryReplicasFor(plan, s.weight_bp);
  if (s.step >= plan.steps.size()) {
    needed = plan.replicas;
  } else if (plan.steps[s.step].kind == CanaryStep::Kind::kWeight) {
    // Scale up for the coming weight before moving traffic to it.
    needed = std::max(needed, CanaryReplicasFor(plan, plan.steps[s.step].weight_bp));
  }
  out.new_replicas = needed;
  out.step_analysis =
      s.step < plan.steps.size() && plan.steps[s.step].kind == CanaryStep::Kind::kAnalysis;
  out.background_analysis = plan.background_analysis && s.weight_bp > 0;
}

}  // namespace

void AdvanceCanary(Turn& t) {
  HandleCommand(t);
  RolloutState& s = t.state;
  if (!IsTerminal(s.phase) && t.plan.background_analysis && t.in.background_failed &&
      s.weight_bp > 0) {
    t.Abort("background analysis failed" +
            (t.in.analysis_reason.empty() ? "" : ": " + t.in.analysis_reason));
  }
  if (!IsTerminal(s.phase) && !s.user_paused) Progress(t);
  FillTargets(t);
}

}  // namespace cairn::rollout::internal
