#include "telemetry/alert_tracker.h"

#include <utility>

namespace cairn::telemetry {
namespace {

std::string Figure(const nlohmann::json& data, const char* key) {
  if (!data.is_object() || !data.contains(key)) return {};
  const auto& v = data[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return {};
  return v.dump();
}

bool IsCompletion(const std::string& type) {
  // "rollout.complete" is what rolling replaces said before cairn named every strategy's
  // completion alike; a journal may still hold it.
  return type == "rollout.completed" || type == "rollout.complete";
}

}  // namespace

std::map<std::string, std::string> AlertTracker::Labels(const char* name, const Event& event,
                                                        bool with_instance) const {
  std::map<std::string, std::string> labels{{"alertname", name}, {"service", event.service}};
  if (with_instance) labels["instance"] = event.instance;
  return labels;
}

std::string AlertTracker::Fire(const char* name, const char* severity, const Event& event,
                               bool with_instance, std::vector<Alert>* changed) {
  auto labels = Labels(name, event, with_instance);
  // Kept by the labels without the environment, so an alert fired before the environment was
  // renamed still resolves; the receiver sees the labels it was fired with.
  std::string key = AlertFingerprint(labels);
  if (firing_.count(key)) return key;
  if (!environment_.empty()) labels["environment"] = environment_;
  Alert alert;
  alert.name = name;
  alert.labels = std::move(labels);
  alert.annotations["summary"] = event.message;
  alert.annotations["severity"] = severity;
  alert.annotations["event"] = event.type;
  if (auto revision = Figure(event.data, "revision"); !revision.empty())
    alert.annotations["revision"] = revision;
  if (auto reason = Figure(event.data, "reason"); !reason.empty())
    alert.annotations["description"] = reason;
  alert.status = AlertStatus::kFiring;
  alert.starts_at = event.at;
  alert.event = EventToJson(event);
  changed->push_back(alert);
  firing_[key].alert = std::move(alert);
  return key;
}

void AlertTracker::Resolve(const std::string& fingerprint, const Event& event,
                           std::vector<Alert>* changed) {
  auto it = firing_.find(fingerprint);
  if (it == firing_.end()) return;
  Alert alert = std::move(it->second.alert);
  firing_.erase(it);
  alert.status = AlertStatus::kResolved;
  alert.ends_at = event.at;
  alert.annotations["resolved_by"] = event.message;
  alert.event = EventToJson(event);
  changed->push_back(std::move(alert));
}

void AlertTracker::ResolveService(const std::string& service, const std::set<std::string>& names,
                                  const Event& event, std::vector<Alert>* changed) {
  std::vector<std::string> matching;
  for (const auto& [fingerprint, active] : firing_) {
    if (active.alert.service() != service) continue;
    if (!names.empty() && !names.count(active.alert.name)) continue;
    matching.push_back(fingerprint);
  }
  for (const std::string& fingerprint : matching) Resolve(fingerprint, event, changed);
}

std::vector<Alert> AlertTracker::Observe(const Event& event) {
  std::vector<Alert> changed;
  const std::string& type = event.type;
  if (type == "revision.applied") {
    if (auto environment = Figure(event.data, "environment"); !environment.empty()) {
      environment_ = environment;
    }
  } else if (type == "rollout.failed") {
    if (Figure(event.data, "cause") == "deadline") {
      Fire(kAlertRolloutStuck, "warning", event, false, &changed);
    } else {
      Fire(kAlertRolloutAborted, "warning", event, false, &changed);
    }
  } else if (IsCompletion(type)) {
    ResolveService(event.service, {kAlertRolloutAborted, kAlertRolloutStuck, kAlertIntegrityDrift},
                   event, &changed);
  } else if (type == "service.removed") {
    ResolveService(event.service, {}, event, &changed);
  } else if (type == "instance.crashed") {
    if (event.data.is_object() && event.data.value("crash_looping", false))
      Fire(kAlertCrashLoop, "critical", event, true, &changed);
  } else if (type == "instance.drift") {
    std::string fingerprint = Fire(kAlertIntegrityDrift, "critical", event, false, &changed);
    firing_[fingerprint].instances.insert(event.instance);
  } else if (type == "instance.healthy" || type == "instance.stopped" || type == "instance.lost") {
    Resolve(AlertFingerprint(Labels(kAlertCrashLoop, event, true)), event, &changed);
    if (type != "instance.healthy") {
      std::string drift = AlertFingerprint(Labels(kAlertIntegrityDrift, event, false));
      auto it = firing_.find(drift);
      if (it != firing_.end() && it->second.instances.erase(event.instance) &&
          it->second.instances.empty()) {
        Resolve(drift, event, &changed);
      }
    }
  }
  return changed;
}

std::vector<Alert> AlertTracker::Firing() const {
  std::vector<Alert> out;
  for (const auto& [fingerprint, active] : firing_) out.push_back(active.alert);
  return out;
}

}  // namespace cairn::telemetry
