// Shared pieces of the canary and blue-green machines (rollout_machine.cc dispatches).
#pragma once

#include <string>

#include "rollout/rollout_machine.h"

namespace cairn::rollout::internal {

// One Advance call: what it reads and what it writes.
struct Turn {
  const RolloutPlan& plan;
  RolloutState& state;
  const RolloutInputs& in;
  RolloutDecision& decision;

  void Event(std::string type, std::string message) {
    decision.events.push_back({std::move(type), std::move(message)});
  }
  void Refuse(std::string why) { decision.command_error = std::move(why); }
  // Everyone back to the stable version, now.
  void Abort(std::string reason);
  // " by alice", or "" when nobody is named.
  std::string By() const { return in.actor.empty() ? "" : " by " + in.actor; }
  // The judged analysis the machine asked for, when the inputs speak of that run.
  bool AnalysisIs(AnalysisStatus status) const {
    return in.step_analysis_id == state.analysis_id && in.step_analysis == status;
  }
};

// "inconclusive: <the last verdict's reason>", or, without one, what an inconclusive run
// usually means: too little traffic to judge.
inline std::string InconclusiveReason(const std::string& analysis_reason) {
  if (analysis_reason.empty()) return "inconclusive (too little traffic to judge)";
  return analysis_reason.starts_with("inconclusive") ? analysis_reason
                                                     : "inconclusive: " + analysis_reason;
}

// Strategy-specific halves; each handles the commands the common part left to it, then moves
// the state as far as the inputs allow, then fills decision.targets.
void AdvanceCanary(Turn& turn);
void AdvanceBlueGreen(Turn& turn);
void AdvanceRolling(Turn& turn);

}  // namespace cairn::rollout::internal
