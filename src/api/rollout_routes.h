// The rollout routes: GET /v1/rollouts/SERVICE (the rollout view, 404 when none is in
// progress) and POST /v1/rollouts/SERVICE/COMMAND for promote, promote-full, abort, pause,
// resume, retry and undo (body optional: {"author"}; 404 when no rollout is in progress,
// 409 when the command cannot apply now). Also GET /v1/status, whose services carry the same
// view. Called on the controller strand, like every route.
#pragma once

#include <nlohmann/json.hpp>

#include "api/routes.h"
#include "control/controller.h"

namespace cairn::api {

// The author recorded for a rollout command whose body names none.
inline constexpr const char* kDefaultRolloutAuthor = "unknown";

bool IsRolloutPath(const std::string& path);
// REQUIRES: IsRolloutPath(request.path).
Reply RolloutRoute(control::Controller& controller, const Request& request);
// GET /v1/status: StatusToJson with each rollout's current step filled in.
nlohmann::json StatusWithRollouts(control::Controller& controller);

}  // namespace cairn::api
