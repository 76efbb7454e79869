// POST /v1/verify: checks now that every running image's root is what was unpacked (see
// control/drift_check.h) and answers with what drifted and how many instances are being
// replaced. Called on the controller strand; the hashing runs on the checker's thread.
#pragma once

// clang-format off
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange without including it
// clang-format on
#include <boost/asio/awaitable.hpp>

#include "api/routes.h"
#include "control/drift_check.h"

namespace cairn::api {

boost::asio::awaitable<Reply> VerifyRoute(control::DriftCheck* check);

}  // namespace cairn::api
