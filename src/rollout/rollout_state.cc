#include "rollout/rollout_state.h"

#include <array>
#include <string_view>

namespace cairn::rollout {
namespace {

constexpr std::array<std::pair<RolloutPhase, std::string_view>, 5> kPhaseNames = {{
    {RolloutPhase::kProgressing, "progressing"},
    {RolloutPhase::kWaitingForPromote, "waiting_for_promote"},
    {RolloutPhase::kSwitched, "switched"},
    {RolloutPhase::kCompleted, "completed"},
    {RolloutPhase::kAborted, "aborted"},
}};

}  // namespace

const char* RolloutPhaseName(RolloutPhase phase) {
  for (const auto& [p, name] : kPhaseNames) {
    if (p == phase) return name.data();
  }
  return "unknown";
}

bool IsTerminal(RolloutPhase phase) {
  return phase == RolloutPhase::kCompleted || phase == RolloutPhase::kAborted;
}

nlohmann::json ToJson(const RolloutState& s) {
  return nlohmann::json{
      {"phase", RolloutPhaseName(s.phase)}, {"step", s.step},
      {"weight_bp", s.weight_bp},           {"step_started_ms", s.step_started_ms},
      {"user_paused", s.user_paused},       {"paused_at_ms", s.paused_at_ms},
      {"analysis_id", s.analysis_id},       {"ready_at_ms", s.ready_at_ms},
      {"eligible_at_ms", s.eligible_at_ms}, {"switched_at_ms", s.switched_at_ms},
      {"abort_reason", s.abort_reason},     {"undone", s.undone}};
}

Result<RolloutState> RolloutStateFromJson(const nlohmann::json& j) {
  try {
    RolloutState s;
    std::string phase = j.at("phase").get<std::string>();
    bool known = false;
    for (const auto& [p, name] : kPhaseNames) {
      if (name == phase) {
        s.phase = p;
        known = true;
      }
    }
    if (!known)
      return MakeError(ErrorCode::kInvalidArgument, "rollout state: unknown phase " + phase);
    s.step = j.at("step").get<size_t>();
    s.weight_bp = j.at("weight_bp").get<uint32_t>();
    if (s.weight_bp > 10000) {
      return MakeError(ErrorCode::kInvalidArgument, "rollout state: weight_bp above 10000");
    }
    s.step_started_ms = j.at("step_started_ms").get<int64_t>();
    s.user_paused = j.at("user_paused").get<bool>();
    s.paused_at_ms = j.at("paused_at_ms").get<int64_t>();
    s.analysis_id = j.at("analysis_id").get<uint64_t>();
    s.ready_at_ms = j.at("ready_at_ms").get<int64_t>();
    s.eligible_at_ms = j.at("eligible_at_ms").get<int64_t>();
    s.switched_at_ms = j.at("switched_at_ms").get<int64_t>();
    s.abort_reason = j.at("abort_reason").get<std::string>();
    s.undone = j.at("undone").get<bool>();
    return s;
  } catch (const nlohmann::json::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, std::string("rollout state: ") + e.what());
  }
}

}  // namespace cairn::rollout
