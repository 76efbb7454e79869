// Client: a small synchronous client of the API, used by the CLI. One connection per call.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "api/server.h"
#include "core/result.h"

namespace cairn::api {

class Client {
 public:
  explicit Client(Endpoint endpoint, std::chrono::milliseconds timeout = std::chrono::seconds(30));

  Result<nlohmann::json> Get(const std::string& target);
  Result<nlohmann::json> Post(const std::string& target, const nlohmann::json& body);
  // Streams a text response body to `sink` piece by piece until the server ends it (or
  // `sink` returns false). No timeout: used for `logs -f`.
  Status Stream(const std::string& target, const std::function<bool(std::string_view)>& sink);

  const Endpoint& endpoint() const { return endpoint_; }

 private:
  Result<nlohmann::json> Call(const std::string& method, const std::string& target,
                              const std::string& body);

  Endpoint endpoint_;
  std::chrono::milliseconds timeout_;
};

}  // namespace cairn::api
