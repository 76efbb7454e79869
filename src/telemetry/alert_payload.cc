#include "telemetry/alert_payload.h"

namespace cairn::telemetry {
namespace {

// Alertmanager's "not yet ended".
constexpr char kZeroTime[] = "0001-01-01T00:00:00Z";

nlohmann::json ToJson(const std::map<std::string, std::string>& m) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : m) out[k] = v;
  return out;
}

// Alertmanager's own group key shape: "{}:{alertname=\"X\", service=\"web\"}".
std::string GroupKey(const std::map<std::string, std::string>& labels) {
  std::string key = "{}:{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    key += (first ? "" : ", ") + k + "=" + nlohmann::json(v).dump();
    first = false;
  }
  return key + "}";
}

std::string GeneratorUrl(const Alert& alert, const PayloadContext& context) {
  if (context.external_url.empty()) return {};
  std::string url = context.external_url + "/v1/events";
  if (!alert.service().empty()) url += "?service=" + alert.service();
  return url;
}

}  // namespace

std::optional<AlertFormat> ParseAlertFormat(const std::string& name) {
  if (name == "alertmanager") return AlertFormat::kAlertmanager;
  if (name == "json") return AlertFormat::kJson;
  return std::nullopt;
}

const char* AlertFormatName(AlertFormat format) {
  return format == AlertFormat::kAlertmanager ? "alertmanager" : "json";
}

nlohmann::json AlertPayload(AlertFormat format, const Alert& alert, const PayloadContext& context) {
  const char* status = AlertStatusName(alert.status);
  bool resolved = alert.status == AlertStatus::kResolved;
  if (format == AlertFormat::kJson) {
    return {{"alert", alert.name},
            {"status", status},
            {"service", alert.service()},
            {"instance", alert.instance()},
            {"summary", alert.annotations.count("summary") ? alert.annotations.at("summary") : ""},
            {"started_at", FormatWallTime(alert.starts_at)},
            {"ended_at", resolved ? nlohmann::json(FormatWallTime(alert.ends_at)) : nullptr},
            {"labels", ToJson(alert.labels)},
            {"event", alert.event}};
  }
  nlohmann::json labels = ToJson(alert.labels);
  nlohmann::json annotations = ToJson(alert.annotations);
  nlohmann::json item = {{"status", status},
                         {"labels", labels},
                         {"annotations", annotations},
                         {"startsAt", FormatWallTime(alert.starts_at)},
                         {"endsAt", resolved ? FormatWallTime(alert.ends_at) : kZeroTime},
                         {"generatorURL", GeneratorUrl(alert, context)},
                         {"fingerprint", AlertFingerprint(alert.labels)}};
  return {{"version", "4"},
          {"groupKey", GroupKey(alert.labels)},
          {"truncatedAlerts", 0},
          {"status", status},
          {"receiver", context.receiver},
          {"groupLabels", labels},
          {"commonLabels", labels},
          {"commonAnnotations", annotations},
          {"externalURL", context.external_url},
          {"alerts", nlohmann::json::array({item})}};
}

}  // namespace cairn::telemetry
