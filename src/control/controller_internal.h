// Private to control/: the controller's per-instance and per-service bookkeeping.
#pragma once

#include "control/controller.h"

namespace cairn::control {

// Adopted instances get this long to answer a first probe before the controller decides
// without them (counting them as not healthy).
inline constexpr Duration kAdoptionSettle{5000};

struct Controller::Live {
  Live(state::InstanceRecord rec, spec::ServiceSpec svc, SteadyTime now,
       runtime::RestartPolicyOptions restart_options)
      : record(std::move(rec)),
        service(std::move(svc)),
        health(Thresholds(service.health), now),
        restarts(restart_options),
        started_steady(now),
        next_probe(now) {}

  static runtime::HealthThresholds Thresholds(const spec::HealthSpec& h) {
    return runtime::HealthThresholds{h.healthy_after, h.unhealthy_after, h.start_grace};
  }

  state::InstanceRecord record;
  spec::ServiceSpec service;  // the template it runs
  runtime::InstanceHandle handle;
  runtime::HealthTracker health;
  runtime::RestartTracker restarts;
  InstancePhase phase = InstancePhase::kStarting;
  SteadyTime started_steady;
  SteadyTime next_probe;
  SteadyTime restart_at{};
  SteadyTime stop_deadline{};
  bool kill_sent = false;
  bool draining = false;  // out of the route table, waiting for in-flight requests to end
  SteadyTime drain_started{};
  SteadyTime drain_deadline{};
  bool probe_in_flight = false;
  bool probed = false;      // has a health answer since (re)start
  bool adopted = false;     // taken over from an earlier server
  uint64_t generation = 0;  // bumped on every (re)start; stale probe answers are dropped
  std::string last_probe;
};

struct Controller::Rollout {
  int64_t revision = 0;
  std::string template_hash;
  int replicas = 0;
  bool fallback = false;  // running the last good revision after a failed rollout
  SteadyTime started_at{};
  RolloutState state = RolloutState::kProgressing;
  bool settled = false;  // the target was reached and reported; cleared if it is lost again
  std::string reason;
  // A rolling replace of the head over a stable revision runs under the rolling machine, so
  // people can pause, resume and abort it; persisted as meta rollout/<service>.
  std::optional<rollout::RolloutState> machine;
  int64_t stable_revision = 0;
  SteadyTime paused_since{};  // while paused: the progress deadline does not count it
  std::string saved;          // the record last persisted
};

// One service's canary or blue-green rollout: the engine and what it rolls between.
struct Controller::Progressive {
  Progressive(ServiceRollout r, RolloutSetup s) : rollout(std::move(r)), setup(std::move(s)) {}
  ServiceRollout rollout;
  RolloutSetup setup;
  int64_t stable_revision = 0;
  spec::ServiceSpec target;  // the new template
  spec::ServiceSpec stable;  // the stable template
  std::string target_hash;   // their ServiceTemplateHash, computed once
  std::string stable_hash;
  std::string saved;  // the record last persisted (meta rollout/<service>)
  // Progress deadline: new instances the last decision wanted, and since when fewer of them
  // have been healthy (zero while enough are).
  int wanted_new = 0;
  SteadyTime short_since{};
  // A person's `cairn rollout abort` (not cairn's own rollback): for /metrics' outcome.
  bool aborted_by_person = false;
};

}  // namespace cairn::control
