// The pure half of cairn's Prometheus query provider: where a check's query goes, what it
// says once its placeholders are filled in, and the one number the answer holds. The HTTP
// half is prometheus_client.h.
//
// A metric check (the environment file's `analysis: prometheus:`) runs an instant query
// (POST /api/v1/query) when an analysis interval ends; the answer must be one number: a scalar,
// or a vector of exactly one sample. Anything else is "no number", with a reason that tells
// the user how to fix the query; the judge counts it as inconclusive, never as a pass.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace cairn::control {

// http://host[:port][/path] split for a connection. Port 80 by default.
struct HttpAddress {
  std::string host;
  std::string port;
  std::string base_path;  // "" or "/prefix" without a trailing '/'
};

// https:// is refused with kInvalidArgument (this cairn speaks plain HTTP to Prometheus).
Result<HttpAddress> ParseHttpAddress(const std::string& address);

// What a query's placeholders stand for: {{service}}, {{revision}} (the version being rolled
// out) and {{stable_revision}} (the one it replaces). Instances carry the same numbers in
// $CAIRN_SERVICE and $CAIRN_REVISION, so an application can label its metrics with them.
struct QueryVariables {
  std::string service;
  int64_t revision = 0;
  int64_t stable_revision = 0;
};

// The query with every placeholder of spec::kQueryPlaceholders replaced; unknown ones are
// left as written (the parser refuses them before a query gets here).
std::string ExpandQuery(const std::string& query, const QueryVariables& vars);

// The form body of POST /api/v1/query: "query=<percent-encoded>".
std::string QueryFormBody(std::string_view query);

// The number in an answer of the Prometheus HTTP API (any status code: errors come as JSON
// with status "error"). NaN is no number (0/0, usually: nothing happened yet); ±Inf is one.
Result<double> ParseQueryResponse(int http_status, std::string_view body);

}  // namespace cairn::control
