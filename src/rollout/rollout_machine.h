// The rollout machines: canary, blue-green and rolling as pure transitions.
//
//   Advance(plan, &state, inputs) -> decision
//
// The controller calls Advance every tick with what it observed (healthy instances of the new
// version, the state of the running analysis, a person's command, the wall clock) and applies
// the decision: route weights, instance counts, whether an analysis runs, events. Advance does
// no I/O and reads no clock, so every transition is a unit test (rollout_machine_test.cc).
//
// Safety rules the machines keep:
// - traffic moves to the new version only once the instances for the new weight are healthy;
// - an abort, a failed analysis or an undo puts every user back on the stable version in the
//   same decision (weight 0), whatever step the rollout was at;
// - a paused rollout (a person's pause, a manual pause step) changes nothing on its own, and
//   its timed steps do not count the paused time.
#pragma once

#include <string>
#include <vector>

#include "rollout/rollout_plan.h"
#include "rollout/rollout_state.h"

namespace cairn::rollout {

enum class RolloutCommand {
  kNone,
  kPromote,      // end the current step or pause; blue-green: switch now
  kPromoteFull,  // canary: skip the remaining steps to full promotion
  kAbort,        // everyone back to stable
  kPause,        // hold where it is
  kResume,       // carry on after kPause
  kRetry,        // start an aborted rollout again from the first step
  kUndo,         // blue-green, after the switch: back to the old version
};
const char* RolloutCommandName(RolloutCommand command);

// The state of the analysis the machine asked for (a canary analysis step or a blue-green
// pre-promotion analysis), as the controller's analysis run reports it. Inconclusive (too
// many intervals without enough traffic to judge) is evidence neither way: the rollout then
// waits for a person to promote or abort, as Argo Rollouts does.
enum class AnalysisStatus { kRunning, kPassed, kFailed, kInconclusive };

struct RolloutInputs {
  int64_t now_ms = 0;  // wall clock, Unix milliseconds
  // Healthy instances of the new version, and of the stable one.
  int new_healthy = 0;
  // The judged analysis the last decision asked for, and the state.analysis_id it ran for:
  // a status for another id (an older run) is ignored.
  AnalysisStatus step_analysis = AnalysisStatus::kRunning;
  uint64_t step_analysis_id = 0;
  // The background analysis reached its failure limit.
  bool background_failed = false;
  // Why an analysis failed: its last verdict's summary, for the abort reason and the event.
  std::string analysis_reason;
  RolloutCommand command = RolloutCommand::kNone;
  std::string actor;  // who sent the command, for events ("alice"); may be empty
  // Rolling: the instance-by-instance replace reached its target (every instance the new
  // version's and healthy, none of the old left).
  bool rolling_done = false;
};

// What the controller makes true after a decision.
struct RolloutTargets {
  uint32_t new_weight_bp = 0;  // the new version's share of the service's listeners
  int new_replicas = 0;        // instances of the new version
  int stable_replicas = 0;     // instances of the stable version
  bool preview = false;        // a preview listener routes to the new version
  bool step_analysis = false;  // run the judged analysis identified by state.analysis_id
  bool background_analysis = false;
};

struct RolloutEvent {
  std::string type;  // "rollout.step", "rollout.paused", "rollout.aborted", ...
  std::string message;
  nlohmann::json data = nlohmann::json::object();  // figures (a verdict's numbers), maybe none
};

struct RolloutDecision {
  RolloutTargets targets;
  std::vector<RolloutEvent> events;
  // Set when inputs.command cannot apply now ("nothing to undo: the rollout is complete");
  // the state is then unchanged by the command.
  std::string command_error;
};

// Starts a rollout: the state a new rollout begins in at `now_ms`.
RolloutState StartRollout(const RolloutPlan& plan, int64_t now_ms);

// One transition. REQUIRES: `state` was started for a plan of the same kind.
RolloutDecision Advance(const RolloutPlan& plan, RolloutState* state, const RolloutInputs& in);

}  // namespace cairn::rollout
