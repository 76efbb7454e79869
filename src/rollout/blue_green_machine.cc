// The blue-green machine: the new version comes up in full beside the old (served on the
// preview listener), is optionally judged on preview traffic, switches all traffic in one
// decision, and keeps the old version for scale_down_delay so undo can switch back at once.
#include <string>

#include "rollout/machine_internal.h"

namespace cairn::rollout::internal {
namespace {

void Switch(Turn& t) {
  RolloutState& s = t.state;
  s.weight_bp = 10000;
  s.phase = RolloutPhase::kSwitched;
  s.switched_at_ms = t.in.now_ms;
  s.user_paused = false;
  t.Event("rollout.switched", "all traffic on the new version; the old one stays " +
                                  std::to_string(t.plan.scale_down_delay.count() / 1000) +
                                  " s for `cairn rollout undo`");
}

std::string Readiness(const Turn& t) {
  return std::to_string(t.in.new_healthy) + " of " + std::to_string(t.plan.replicas) +
         " instances healthy";
}

void HandleCommand(Turn& t) {
  RolloutState& s = t.state;
  switch (t.in.command) {
    case RolloutCommand::kPromote:
    case RolloutCommand::kPromoteFull:
      if (IsTerminal(s.phase)) {
        t.Refuse(std::string("nothing to promote: the rollout is ") + RolloutPhaseName(s.phase));
      } else if (s.phase == RolloutPhase::kSwitched) {
        t.Refuse("traffic already switched to the new version");
      } else if (t.in.new_healthy < t.plan.replicas) {
        t.Refuse("the new version is not ready: " + Readiness(t));
      } else {
        t.Event("rollout.promoted", "switch requested" + t.By());
        Switch(t);
      }
      break;
    case RolloutCommand::kUndo:
      if (s.phase != RolloutPhase::kSwitched) {
        t.Refuse(std::string("undo switches back after the switch, while the old version is "
                             "kept; the rollout is ") +
                 RolloutPhaseName(s.phase));
      } else {
        s.undone = true;
        t.Abort("switched back to the old version" + t.By());
      }
      break;
    default:
      break;
  }
}

void Progress(Turn& t) {
  RolloutState& s = t.state;
  const RolloutPlan& plan = t.plan;
  const int64_t now = t.in.now_ms;
  if (s.phase == RolloutPhase::kSwitched) {
    if (now < s.switched_at_ms + plan.scale_down_delay.count()) return;
    s.phase = RolloutPhase::kCompleted;
    t.Event("rollout.completed", "the old version is scaled down");
    return;
  }
  bool ready = t.in.new_healthy >= plan.replicas;
  if (s.ready_at_ms == 0) {
    if (!ready) return;
    s.ready_at_ms = now;
    t.Event("rollout.ready", "the new version is up beside the old: " + Readiness(t) +
                                 (plan.preview ? "; the preview listener serves it" : ""));
    if (plan.prepromotion_analysis) {
      ++s.analysis_id;
      return;  // the analysis starts with the next decision
    }
  }
  if (s.eligible_at_ms == 0) {
    if (plan.prepromotion_analysis) {
      if (t.AnalysisIs(AnalysisStatus::kFailed)) {
        t.Abort("pre-promotion analysis failed" +
                (t.in.analysis_reason.empty() ? "" : ": " + t.in.analysis_reason));
        return;
      }
      if (t.AnalysisIs(AnalysisStatus::kInconclusive)) {
        if (s.phase != RolloutPhase::kWaitingForPromote) {
          s.phase = RolloutPhase::kWaitingForPromote;
          t.Event("rollout.waiting", "pre-promotion analysis " +
                                         InconclusiveReason(t.in.analysis_reason) +
                                         "; waiting for promote or abort");
        }
        return;
      }
      if (!t.AnalysisIs(AnalysisStatus::kPassed)) return;
      t.Event("rollout.analysis", "pre-promotion analysis passed");
    }
    s.eligible_at_ms = now;
  }
  // Never switch to instances that are not all healthy right now.
  if (!ready) return;
  switch (plan.auto_promote) {
    case AutoPromote::kImmediate:
      Switch(t);
      return;
    case AutoPromote::kAfterDelay:
      if (now >= s.eligible_at_ms + plan.auto_promote_delay.count()) Switch(t);
      return;
    case AutoPromote::kManual:
      if (s.phase != RolloutPhase::kWaitingForPromote) {
        s.phase = RolloutPhase::kWaitingForPromote;
        t.Event("rollout.waiting", "ready to switch: waiting for `cairn rollout promote`");
      }
      return;
  }
}

void FillTargets(Turn& t) {
  const RolloutPlan& plan = t.plan;
  const RolloutState& s = t.state;
  RolloutTargets& out = t.decision.targets;
  out.stable_replicas = plan.replicas;
  out.new_replicas = plan.replicas;
  switch (s.phase) {
    case RolloutPhase::kAborted:
      out.new_weight_bp = 0;
      out.new_replicas = 0;
      return;
    case RolloutPhase::kCompleted:
      out.new_weight_bp = 10000;
      out.stable_replicas = 0;
      return;
    case RolloutPhase::kSwitched:
      out.new_weight_bp = 10000;  // the old version stays, unrouted, for undo
      return;
    default:
      out.new_weight_bp = 0;
      out.preview = plan.preview;
      out.step_analysis = plan.prepromotion_analysis && s.ready_at_ms != 0 && s.eligible_at_ms == 0;
      return;
  }
}

}  // namespace

void AdvanceBlueGreen(Turn& t) {
  HandleCommand(t);
  if (!IsTerminal(t.state.phase) && !t.state.user_paused) Progress(t);
  FillTargets(t);
}

}  // namespace cairn::rollout::internal
