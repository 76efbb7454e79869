#include "control/controller_metrics.h"

#include "control/controller.h"

namespace cairn::control {
namespace {

using telemetry::Labels;
using telemetry::MetricType;

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

constexpr InstancePhase kPhases[] = {InstancePhase::kStarting, InstancePhase::kHealthy,
                                     InstancePhase::kUnhealthy, InstancePhase::kCrashed,
                                     InstancePhase::kStopping};
constexpr RolloutState kServiceStates[] = {RolloutState::kProgressing, RolloutState::kComplete,
                                           RolloutState::kFailed};

void AddPerService(telemetry::MetricRegistry* r, const std::string& name, const char* help,
                   const std::map<std::string, uint64_t>& counts) {
  r->Family(name, help, MetricType::kCounter);
  for (const auto& [service, n] : counts) r->Add(name, {{"service", service}}, n);
}

void AddCounters(const ControllerMetrics& m, telemetry::MetricRegistry* r) {
  r->Family("cairn_revisions_total", "Revisions this server appended, by action.",
            MetricType::kCounter);
  for (const auto& [action, n] : m.revisions) {
    r->Add("cairn_revisions_total", {{"action", action}}, n);
  }
  r->Family("cairn_rollouts_started_total",
            "Rollouts (rolling replace, canary, blue-green) started or resumed by this server.",
            MetricType::kCounter);
  for (const auto& [key, n] : m.rollouts_started) {
    r->Add("cairn_rollouts_started_total", {{"service", key.first}, {"strategy", key.second}}, n);
  }
  r->Family("cairn_rollouts_finished_total",
            "Rollouts that ended, by outcome: completed, failed (rolled back by cairn), aborted "
            "(by a person), superseded (by a newer apply).",
            MetricType::kCounter);
  for (const auto& [key, n] : m.rollouts_finished) {
    const auto& [service, strategy, outcome] = key;
    r->Add("cairn_rollouts_finished_total",
           {{"service", service}, {"strategy", strategy}, {"outcome", outcome}}, n);
  }
  r->Family("cairn_rollout_verdicts_total",
            "Analysis verdicts of canary and blue-green rollouts, by result.",
            MetricType::kCounter);
  for (const auto& [key, n] : m.verdicts) {
    r->Add("cairn_rollout_verdicts_total", {{"service", key.first}, {"result", key.second}}, n);
  }
  r->Family("cairn_reconcile_duration_seconds",
            "Time one controller tick takes: observe, probe, reconcile, publish routes.",
            MetricType::kHistogram);
  r->AddHistogram("cairn_reconcile_duration_seconds", {}, m.tick_seconds);
  AddPerService(r, "cairn_instance_starts_total", "New instances started.", m.instance_starts);
  AddPerService(r, "cairn_instance_restarts_total", "Instances restarted after they exited.",
                m.instance_restarts);
  AddPerService(r, "cairn_instance_start_failures_total",
                "Starts and restarts that failed before the program ran (exec, image root).",
                m.start_failures);
  AddPerService(r, "cairn_instance_crash_loops_total",
                "Times an instance entered a crash loop (restart backoff at its longest).",
                m.crash_loops);
  r->Family("cairn_instance_start_duration_seconds",
            "From an instance's start or restart to its first healthy state.",
            MetricType::kHistogram);
  for (const auto& [service, h] : m.start_seconds) {
    r->AddHistogram("cairn_instance_start_duration_seconds", {{"service", service}}, h);
  }
}

void AddGauges(const StatusInfo& status, telemetry::MetricRegistry* r) {
  r->Family("cairn_head_revision", "Number of the head revision (0: none yet).",
            MetricType::kGauge);
  r->Add("cairn_head_revision", {}, status.head ? static_cast<double>(status.head->number) : 0);
  r->Family("cairn_service_desired_replicas", "Instances the service's target revision asks for.",
            MetricType::kGauge);
  r->Family("cairn_service_rollout_state",
            "1 for the state the service's rollout is in (progressing, complete, failed), 0 for "
            "the others.",
            MetricType::kGauge);
  r->Family("cairn_instances", "Instances by service, revision and state.", MetricType::kGauge);
  r->Family("cairn_instances_crash_looping", "Instances in a crash loop now.", MetricType::kGauge);
  r->Family("cairn_rollouts_in_progress",
            "1 for each service with a rollout in progress, labelled with its strategy and "
            "phase.",
            MetricType::kGauge);
  for (const ServiceInfo& s : status.services) {
    r->Add("cairn_service_desired_replicas", {{"service", s.name}}, s.replicas);
    for (RolloutState state : kServiceStates) {
      r->Add("cairn_service_rollout_state",
             {{"service", s.name}, {"state", RolloutStateName(state)}}, s.rollout == state ? 1 : 0);
    }
    // Every state for every revision running, zeros included: a query for healthy instances
    // finds 0, not nothing.
    std::map<int64_t, std::map<InstancePhase, int>> by_revision;
    by_revision[s.revision];
    int looping = 0;
    for (const InstanceInfo& i : s.instances) {
      ++by_revision[i.revision][i.phase];
      looping += i.crash_looping;
    }
    for (const auto& [revision, phases] : by_revision) {
      if (revision == 0) continue;  // a service with no target (being removed)
      for (InstancePhase phase : kPhases) {
        auto it = phases.find(phase);
        r->Add("cairn_instances",
               {{"service", s.name},
                {"revision", std::to_string(revision)},
                {"state", InstancePhaseName(phase)}},
               it == phases.end() ? 0 : it->second);
      }
    }
    r->Add("cairn_instances_crash_looping", {{"service", s.name}}, looping);
    if (s.progressive) {
      const ProgressiveInfo& p = *s.progressive;
      std::string phase = p.state.user_paused ? "paused" : rollout::RolloutPhaseName(p.state.phase);
      r->Add("cairn_rollouts_in_progress",
             {{"service", s.name}, {"strategy", p.strategy}, {"phase", phase}}, 1);
    }
  }
}

}  // namespace

void ControllerMetrics::ObserveTick(std::chrono::steady_clock::duration took) {
  tick_seconds.Observe(Seconds(took));
}

void ControllerMetrics::ObserveStartLatency(const std::string& service,
                                            std::chrono::steady_clock::duration took) {
  auto it = start_seconds.find(service);
  if (it == start_seconds.end()) {
    it =
        start_seconds.emplace(service, telemetry::Histogram(telemetry::SlowDurationBounds())).first;
  }
  it->second.Observe(Seconds(took));
}

void AddControllerMetrics(const ControllerMetrics& metrics, const StatusInfo& status,
                          telemetry::MetricRegistry* registry) {
  AddCounters(metrics, registry);
  AddGauges(status, registry);
}

}  // namespace cairn::control
