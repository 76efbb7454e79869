// Alert: a condition of the environment a person should know about — a rollout aborted or
// stuck, an instance in a crash loop, an image root that drifted — as cairn sends it to a
// webhook receiver. A plain value in Prometheus/Alertmanager terms: a name and labels identify
// it (the fingerprint), annotations describe it, and it is firing until its condition ends.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/clock.h"

namespace cairn::telemetry {

enum class AlertStatus { kFiring, kResolved };
const char* AlertStatusName(AlertStatus status);  // "firing", "resolved"

struct Alert {
  std::string name;  // "CairnRolloutAborted", ...; also labels["alertname"]
  // Identity: alertname, environment-independent labels (service, instance).
  std::map<std::string, std::string> labels;
  // Description: summary (the event's sentence), severity, revision, ...
  std::map<std::string, std::string> annotations;
  AlertStatus status = AlertStatus::kFiring;
  WallTime starts_at;
  WallTime ends_at;  // meaningful once resolved
  // The event that fired it (or resolved it, once resolved), in the API's JSON form.
  nlohmann::json event = nlohmann::json::object();

  std::string service() const { return Label("service"); }
  std::string instance() const { return Label("instance"); }
  std::string Label(const std::string& key) const {
    auto it = labels.find(key);
    return it == labels.end() ? std::string() : it->second;
  }
};

// 16 hex digits of a hash over the sorted labels (alertname included): the same condition
// always has the same fingerprint, across restarts and hosts.
std::string AlertFingerprint(const std::map<std::string, std::string>& labels);

}  // namespace cairn::telemetry
