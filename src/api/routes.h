// Request routing: one HTTP request in, one reply out, by calling the Controller.
// Pure translation; the streaming log route is handled by log_stream.h.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "control/controller.h"
#include "router/router.h"

namespace cairn::api {

struct Request {
  std::string method;
  std::string path;                          // without the query
  std::map<std::string, std::string> query;  // decoded
  std::string body;
};

struct Reply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // more response headers
};

// Splits "/v1/x?a=1&b=two" into path and decoded query.
void SplitTarget(const std::string& target, std::string* path,
                 std::map<std::string, std::string>* query);

// `router` may be null (no traffic figures then).
Reply Route(control::Controller& controller, const Request& request,
            const router::Router* router = nullptr);

}  // namespace cairn::api
