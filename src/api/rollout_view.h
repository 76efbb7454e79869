// The JSON view of a rollout in progress (canary, blue-green or rolling), shared by GET
// /v1/rollouts/S, the rollout commands' replies, each service of GET /v1/status and `cairn rollout
// status`.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "control/controller.h"
#include "rollout/rollout_machine.h"

namespace cairn::api {

// {strategy, new_revision, stable_revision, phase, step (1-based; steps + 1 is the full
// promotion), steps, full_promotion, current_step (the step as the environment file wrote it,
// e.g. {"pause": {}}; null for blue-green, past the last step or when unknown),
// weight_percent, paused (by a person), abort_reason, step_analysis and
// background_analysis ({passed, failed, inconclusive, outcome, reason, criteria: what each
// interval is judged by, null when that analysis is not running now}), last_verdict,
// replicas, new_healthy, intervals (the judged intervals, oldest first, at most
// rollout::IntervalHistory::kMaxIntervals: {interval, at, step, canary and baseline
// {requests, failures, success_rate, latency_samples, p99_ms} or null when not measured,
// verdicts [{analysis, verdict, summary, compare_baseline, min_success_rate?, max_p99_ms?}]})}.
// Fields are only ever added, never renamed: the CLI and the dashboard of older builds read it.
nlohmann::json RolloutToJson(const control::ProgressiveInfo& info,
                             const nlohmann::json& current_step = nullptr);

// The canary step `info` is at, from the spec JSON of its new revision (the `spec` of
// GET /v1/revisions/N): null when there is none.
nlohmann::json CurrentStepSpec(const nlohmann::json& revision_spec, const std::string& service,
                               const control::ProgressiveInfo& info);

// The command a URL path segment names: promote, promote-full, abort, pause, resume, retry,
// undo. Nullopt for anything else.
std::optional<rollout::RolloutCommand> RolloutCommandFromPath(const std::string& name);

}  // namespace cairn::api
