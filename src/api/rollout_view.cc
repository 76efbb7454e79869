#include "api/rollout_view.h"

#include <array>
#include <string_view>
#include <utility>

namespace cairn::api {
namespace {

using nlohmann::json;

json AnalysisToJson(const rollout::AnalysisRunState& run) {
  return {{"passed", run.passed},
          {"failed", run.failed},
          {"inconclusive", run.inconclusive},
          {"outcome", rollout::AnalysisOutcomeName(run.outcome)},
          {"reason", run.reason}};
}

constexpr std::array<std::pair<std::string_view, rollout::RolloutCommand>, 7> kCommands = {{
    {"promote", rollout::RolloutCommand::kPromote},
    {"promote-full", rollout::RolloutCommand::kPromoteFull},
    {"abort", rollout::RolloutCommand::kAbort},
    {"pause", rollout::RolloutCommand::kPause},
    {"resume", rollout::RolloutCommand::kResume},
    {"retry", rollout::RolloutCommand::kRetry},
    {"undo", rollout::RolloutCommand::kUndo},
}};

}  // namespace

json RolloutToJson(const control::ProgressiveInfo& info, const json& current_step) {
  const rollout::RolloutState& s = info.state;
  return {{"strategy", info.strategy},
          {"new_revision", info.new_revision},
          {"stable_revision", info.stable_revision},
          {"phase", rollout::RolloutPhaseName(s.phase)},
          {"step", s.step + 1},
          {"steps", info.steps},
          {"full_promotion", info.strategy == "canary" && s.step >= info.steps},
          {"current_step", current_step},
          {"weight_percent", s.weight_bp / 100.0},
          {"paused", s.user_paused},
          {"abort_reason", s.abort_reason},
          {"step_analysis", AnalysisToJson(info.step_run)},
          {"background_analysis", AnalysisToJson(info.background_run)},
          {"last_verdict", info.last_verdict},
          {"replicas", info.replicas},
          {"new_healthy", info.new_healthy}};
}

json CurrentStepSpec(const json& revision_spec, const std::string& service,
                     const control::ProgressiveInfo& info) {
  if (info.strategy != "canary" || info.state.step >= info.steps) return nullptr;
  // The spec's JSON is the server's own, but a missing key must not take a route down.
  const json* steps = &revision_spec;
  for (const char* key : {"services", service.c_str(), "strategy", "canary", "steps"}) {
    if (!steps->is_object() || !steps->contains(key)) return nullptr;
    steps = &(*steps)[key];
  }
  if (!steps->is_array() || info.state.step >= steps->size()) return nullptr;
  return (*steps)[info.state.step];
}

std::optional<rollout::RolloutCommand> RolloutCommandFromPath(const std::string& name) {
  for (const auto& [path, command] : kCommands) {
    if (path == name) return command;
  }
  return std::nullopt;
}

}  // namespace cairn::api
