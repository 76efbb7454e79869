// AlertTracker: turns the environment's events into alerts that fire once and resolve when
// their condition ends. Pure: no I/O; an alert starts and ends at the time of the event that
// fired or resolved it, so replaying past events gives the same alerts.
//
// The rules (alertname{labels}: fires on -> resolves on):
//   CairnRolloutAborted{service}: rollout.failed with cause "analysis" or "aborted"
//       -> the service's next rollout.completed, or service.removed.
//       The fallback to the stable revision does not resolve it: the head still is not what
//       runs, as `cairn status` says, until a good apply completes.
//   CairnRolloutStuck{service}: rollout.failed with cause "deadline" (past its progress
//       deadline) -> as CairnRolloutAborted.
//   CairnCrashLoop{service,instance}: instance.crashed with data.crash_looping true
//       -> instance.healthy, instance.stopped or instance.lost of that instance, or
//       service.removed.
//   CairnIntegrityDrift{service}: instance.drift (an instance's image root changed)
//       -> once every instance reported drifted has stopped (or was lost): the replacement is
//       done; or the service's next rollout.completed (which the controller
//       only reports once the replaced instances are gone); or service.removed.
// A condition already firing does not fire again (a second drifted instance of the service,
// another crash of a looping instance); it fires anew only after it resolved.
//
// Threading: not thread-safe; the server calls it on the controller strand only.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "telemetry/alert.h"
#include "telemetry/event.h"

namespace cairn::telemetry {

inline constexpr char kAlertRolloutAborted[] = "CairnRolloutAborted";
inline constexpr char kAlertRolloutStuck[] = "CairnRolloutStuck";
inline constexpr char kAlertCrashLoop[] = "CairnCrashLoop";
inline constexpr char kAlertIntegrityDrift[] = "CairnIntegrityDrift";

class AlertTracker {
 public:
  // The alerts `event` changed, in order: newly firing ones (status kFiring, starts_at the
  // event's time) and newly resolved ones (kResolved, ends_at the event's time). Empty for
  // most events.
  std::vector<Alert> Observe(const Event& event);

  // The alerts firing now, ordered by fingerprint.
  std::vector<Alert> Firing() const;

 private:
  struct Active {
    Alert alert;
    std::set<std::string> instances;  // CairnIntegrityDrift: drifted instances not yet gone
  };

  std::map<std::string, std::string> Labels(const char* name, const Event& event,
                                            bool with_instance) const;
  // Fires `name` for `event` unless that alert is already firing; returns the fingerprint.
  std::string Fire(const char* name, const char* severity, const Event& event, bool with_instance,
                   std::vector<Alert>* changed);
  void Resolve(const std::string& fingerprint, const Event& event, std::vector<Alert>* changed);
  // Resolves every firing alert of `service` whose name is in `names` (all names when empty).
  void ResolveService(const std::string& service, const std::set<std::string>& names,
                      const Event& event, std::vector<Alert>* changed);

  // The environment's name from the newest revision.applied: every alert fired after it has
  // an "environment" label (none before the first revision).
  std::string environment_;
  std::map<std::string, Active> firing_;  // by fingerprint
};

}  // namespace cairn::telemetry
