#include "control/prometheus_query.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "core/http_url.h"
#include "spec/spec.h"

namespace cairn::control {

Result<HttpAddress> ParseHttpAddress(const std::string& address) {
  if (address.starts_with("https://")) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "https Prometheus addresses are not supported by this cairn: use http:// "
                     "(a Prometheus on the same host or network)",
                     address);
  }
  auto url = ParseHttpUrl(address);
  if (!url.ok()) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        "expected a Prometheus URL such as http://127.0.0.1:9090; this one " + url.error().message,
        address);
  }
  HttpAddress out{url->host, url->port, url->target};
  while (!out.base_path.empty() && out.base_path.back() == '/') out.base_path.pop_back();
  return out;
}

std::string ExpandQuery(const std::string& query, const QueryVariables& vars) {
  const std::string values[3] = {vars.service, std::to_string(vars.revision),
                                 std::to_string(vars.stable_revision)};
  std::string out;
  for (size_t i = 0; i < query.size();) {
    bool replaced = false;
    for (int k = 0; k < 3; ++k) {
      std::string_view name = spec::kQueryPlaceholders[k];
      if (std::string_view(query).substr(i).starts_with(name)) {
        out += values[k];
        i += name.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out += query[i++];
  }
  return out;
}

std::string QueryFormBody(std::string_view query) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out = "query=";
  for (unsigned char c : query) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

namespace {

// A sample's value as Prometheus writes it: a string, "NaN", "+Inf" and "-Inf" included.
Result<double> SampleValue(const nlohmann::json& pair) {
  if (!pair.is_array() || pair.size() != 2 || !pair[1].is_string()) {
    return MakeError(ErrorCode::kInvalidArgument, "Prometheus answered a malformed sample");
  }
  const std::string& text = pair[1].get_ref<const std::string&>();
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0') {
    return MakeError(ErrorCode::kInvalidArgument,
                     "Prometheus answered a sample that is not a number: \"" + text + "\"");
  }
  if (std::isnan(value)) {
    return MakeError(ErrorCode::kUnavailable,
                     "the query returned NaN (often 0/0: nothing was counted yet)");
  }
  return value;
}

}  // namespace

Result<double> ParseQueryResponse(int http_status, std::string_view body) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("status")) {
    return MakeError(ErrorCode::kUnavailable,
                     "HTTP " + std::to_string(http_status) +
                         " without a Prometheus API answer (is this address a Prometheus?)");
  }
  if (doc["status"] != "success") {
    std::string type = doc.value("errorType", "error");
    std::string error = doc.value("error", "no reason given");
    return MakeError(ErrorCode::kInvalidArgument,
                     "Prometheus refused the query (" + type + "): " + error);
  }
  const nlohmann::json& data = doc.value("data", nlohmann::json::object());
  std::string type = data.value("resultType", "");
  const nlohmann::json& result = data.contains("result") ? data["result"] : nlohmann::json();
  if (type == "scalar") return SampleValue(result);
  if (type == "vector" && result.is_array()) {
    if (result.empty()) {
      return MakeError(ErrorCode::kUnavailable,
                       "the query returned no series (nothing matched; add `or vector(0)` if "
                       "no series means zero)");
    }
    if (result.size() > 1) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "the query returned " + std::to_string(result.size()) +
                           " series; a check needs one number: aggregate them (sum, max, avg)");
    }
    if (!result[0].is_object() || !result[0].contains("value")) {
      return MakeError(ErrorCode::kInvalidArgument, "Prometheus answered a malformed sample");
    }
    return SampleValue(result[0]["value"]);
  }
  if (type == "matrix") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the query returned a range vector; a check needs one number: wrap it in "
                     "a function such as rate() or avg_over_time() and aggregate it");
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "the query returned a " + (type.empty() ? std::string("malformed") : type) +
                       " result; a check needs one number");
}

}  // namespace cairn::control
