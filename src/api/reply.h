// Building replies: JSON bodies and errors in the one shape every route uses
// ({"error": {"code", "message", "context"}} with the HTTP status of the error's code).
// Private to api/.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "api/routes.h"
#include "core/result.h"

namespace cairn::api {

unsigned HttpStatusFor(ErrorCode code);
Reply JsonReply(const nlohmann::json& body, unsigned status = 200);
Reply ErrorReply(const Error& error);
Reply BadRequest(const std::string& message);

}  // namespace cairn::api
