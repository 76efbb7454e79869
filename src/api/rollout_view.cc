#include "api/rollout_view.h"

#include <array>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"

namespace cairn::api {
namespace {

using nlohmann::json;

// What an analysis judges each interval by: null when it is not running now.
json CriteriaToJson(const std::optional<control::AnalysisConfig>& config) {
  if (!config) return nullptr;
  const rollout::AnalysisCriteria& c = config->criteria;
  json out = {{"interval_ms", config->interval.count()},
              {"count", config->limits.count},
              {"failure_limit", config->limits.failure_limit},
              {"inconclusive_limit", config->limits.inconclusive_limit},
              {"min_requests", c.min_requests},
              {"compare_baseline", c.compare_baseline}};
  if (c.min_success_rate) out["min_success_rate"] = *c.min_success_rate;
  const std::pair<const char*, const std::optional<Duration>*> maxima[] = {
      {"max_p50_ms", &c.max_p50},
      {"max_p90_ms", &c.max_p90},
      {"max_p95_ms", &c.max_p95},
      {"max_p99_ms", &c.max_p99}};
  for (const auto& [name, max] : maxima) {
    if (*max) out[name] = (*max)->count();
  }
  json metrics = json::array();
  for (const rollout::MetricCheck& m : c.metrics) {
    metrics.push_back({{"name", m.name},
                       {"comparison", rollout::ComparisonSymbol(m.comparison)},
                       {"limit", m.limit}});
  }
  out["metrics"] = std::move(metrics);
  return out;
}

json AnalysisToJson(const rollout::AnalysisRunState& run,
                    const std::optional<control::AnalysisConfig>& config) {
  return {{"passed", run.passed},
          {"failed", run.failed},
          {"inconclusive", run.inconclusive},
          {"outcome", rollout::AnalysisOutcomeName(run.outcome)},
          {"reason", run.reason},
          {"criteria", CriteriaToJson(config)}};
}

json SideToJson(const std::optional<rollout::IntervalSide>& side) {
  if (!side) return nullptr;
  return {{"requests", side->requests},
          {"failures", side->failures},
          {"success_rate", side->success_rate},
          {"latency_samples", side->latency_samples},
          {"p99_ms", side->p99_us / 1000}};
}

json IntervalsToJson(const std::vector<rollout::IntervalRecord>& intervals) {
  json out = json::array();
  for (const rollout::IntervalRecord& r : intervals) {
    json verdicts = json::array();
    for (const rollout::IntervalJudgement& v : r.judgements) {
      json item = {{"analysis", v.analysis},
                   {"verdict", rollout::VerdictName(v.verdict)},
                   {"summary", v.summary},
                   {"compare_baseline", v.compare_baseline}};
      if (v.min_success_rate) item["min_success_rate"] = *v.min_success_rate;
      if (v.max_p99) item["max_p99_ms"] = v.max_p99->count();
      verdicts.push_back(std::move(item));
    }
    out.push_back({{"interval", r.number},
                   {"at", FormatWallTime(FromUnixMillis(r.at_ms))},
                   {"step", r.step + 1},
                   {"canary", SideToJson(r.canary)},
                   {"baseline", SideToJson(r.baseline)},
                   {"verdicts", std::move(verdicts)}});
  }
  return out;
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
          {"step_analysis", AnalysisToJson(info.step_run, info.step_analysis)},
          {"background_analysis", AnalysisToJson(info.background_run, info.background_analysis)},
          {"last_verdict", info.last_verdict},
          {"replicas", info.replicas},
          {"new_healthy", info.new_healthy},
          {"intervals", IntervalsToJson(info.intervals)}};
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
