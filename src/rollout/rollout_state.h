// RolloutState: where one service's progressive rollout stands. A plain value: the controller
// persists it (as JSON, rollout_state.cc) at every transition, so a server that restarts, even
// after kill -9, resumes at the same step with the same weight. Times are wall-clock Unix
// milliseconds for that reason: a steady clock does not survive a restart.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/result.h"

namespace cairn::rollout {

enum class RolloutPhase {
  kProgressing,        // working through the steps / bringing the new version up
  kWaitingForPromote,  // a manual pause step (canary), or a blue-green waiting for its switch
  kSwitched,           // blue-green: traffic is on the new version, the old one is kept a while
  kCompleted,          // the new version took all traffic; the old one goes away
  kAborted,            // every user is back on the stable version; the new one goes away
};
const char* RolloutPhaseName(RolloutPhase phase);
bool IsTerminal(RolloutPhase phase);

struct RolloutState {
  RolloutPhase phase = RolloutPhase::kProgressing;
  // Canary: index of the current step; steps.size() is the full promotion.
  size_t step = 0;
  // Traffic share of the new version now, in basis points.
  uint32_t weight_bp = 0;
  // When the current step (canary) or stage (blue-green) began; moved forward by the length
  // of a person's pause, so timed steps do not count paused time.
  int64_t step_started_ms = 0;
  // A person paused the rollout (`cairn rollout pause`): nothing advances until resume.
  bool user_paused = false;
  int64_t paused_at_ms = 0;
  // Increases whenever a new judged analysis must start (a canary analysis step, a blue-green
  // pre-promotion analysis); the controller starts a fresh run when it changes.
  uint64_t analysis_id = 0;
  // Blue-green: when the new version was first fully ready, when it became eligible for the
  // switch (ready and its pre-promotion analysis passed), and when traffic switched.
  int64_t ready_at_ms = 0;
  int64_t eligible_at_ms = 0;
  int64_t switched_at_ms = 0;
  // Why the rollout was aborted ("analysis: success rate 94.8% < 99% ...", "aborted by alice").
  std::string abort_reason;
  bool undone = false;  // blue-green: switched back by `cairn rollout undo`
};

nlohmann::json ToJson(const RolloutState& state);
Result<RolloutState> RolloutStateFromJson(const nlohmann::json& json);

}  // namespace cairn::rollout
