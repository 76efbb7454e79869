// The bodies cairn POSTs to a webhook receiver for one alert that fired or resolved.
//
// kAlertmanager: Alertmanager's webhook format, version 4, the one PagerDuty, Opsgenie and
// most chat bridges accept: {"version":"4","groupKey","status","receiver","groupLabels",
// "commonLabels","commonAnnotations","externalURL","alerts":[{"status","labels","annotations",
// "startsAt","endsAt","generatorURL","fingerprint"}]}. Each notification carries one alert,
// so its group is that alert (groupLabels = its labels); a firing alert's endsAt is
// Alertmanager's zero time "0001-01-01T00:00:00Z", as Alertmanager itself sends it.
// kJson: a flat object for scripts: {"alert","status","service","instance","summary",
// "started_at","ended_at" (null while firing),"labels","event"}.
#pragma once

#include <optional>
#include <string>

#include "telemetry/alert.h"

namespace cairn::telemetry {

enum class AlertFormat { kAlertmanager, kJson };
// "alertmanager" or "json"; nullopt for anything else.
std::optional<AlertFormat> ParseAlertFormat(const std::string& name);
const char* AlertFormatName(AlertFormat format);

struct PayloadContext {
  std::string receiver;      // the receiver's name in the server configuration
  std::string external_url;  // the server's API address, "http://127.0.0.1:7400"
};

nlohmann::json AlertPayload(AlertFormat format, const Alert& alert, const PayloadContext& context);

}  // namespace cairn::telemetry
