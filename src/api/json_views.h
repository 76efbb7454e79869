// JSON forms of controller and state values, shared by the API server and the CLI's `-o json`.
#pragma once

#include <nlohmann/json.hpp>

#include "control/controller.h"
#include "router/router_stats.h"
#include "state/state_store.h"

namespace cairn::api {

nlohmann::json RevisionToJson(const state::Revision& rev, bool with_spec);
nlohmann::json StatusToJson(const control::StatusInfo& status);
nlohmann::json AuditToJson(const state::AuditRecord& record);
nlohmann::json ErrorToJson(const Error& error);
// The router's measurements: per service x version x instance requests by status class,
// latency quantiles, bytes, connections, ejections and retries; limit and timeout violations.
nlohmann::json TrafficToJson(const router::RouterStats& stats);
// The plan as JSON plus its text rendering, with and without colour.
nlohmann::json PlanResponse(const plan::Plan& plan);

}  // namespace cairn::api
