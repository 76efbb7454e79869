// ControllerMetrics: what the controller counts for GET /metrics, and the function that turns
// those counts and a status snapshot into Prometheus families (docs/metrics.md lists them).
//
// Threading: the struct is written by the controller and read by the /metrics handler, both on
// the controller strand only, so its fields are plain integers: no atomics, no locks.
// Counters start at zero with each server process, as Prometheus counters may.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>

#include "telemetry/metric_histogram.h"
#include "telemetry/metric_registry.h"

namespace cairn::control {

struct StatusInfo;  // controller.h, which holds a ControllerMetrics

struct ControllerMetrics {
  // Revisions this server appended, by how: "apply" or "rollback".
  std::map<std::string, uint64_t> revisions;
  // Rollouts (a rolling replace, a canary or a blue-green: what `cairn rollout` acts on) this
  // server started or resumed after a restart, by (service, strategy).
  std::map<std::pair<std::string, std::string>, uint64_t> rollouts_started;
  // Rollouts that ended, by (service, strategy, outcome): "completed"; "failed" (a progress
  // deadline missed or an analysis failed: cairn rolled back on its own); "aborted" (a person's
  // `cairn rollout abort`). A rollout superseded by a newer apply ends in none of them.
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t> rollouts_finished;
  // Analysis verdicts, by (service, "pass" | "fail" | "inconclusive").
  std::map<std::pair<std::string, std::string>, uint64_t> verdicts;
  // The time one controller tick takes (observe, probe, reconcile, publish routes), in seconds
  // of the controller's clock.
  telemetry::Histogram tick_seconds{telemetry::FastDurationBounds()};
  // By service: new instances started, restarts after a crash, and instances entering a crash
  // loop (restarted too often in a row; the restart backoff is at its longest).
  std::map<std::string, uint64_t> instance_starts;
  std::map<std::string, uint64_t> instance_restarts;
  std::map<std::string, uint64_t> start_failures;
  std::map<std::string, uint64_t> crash_loops;
  // By service: from an instance's (re)start to its first healthy state, in seconds.
  std::map<std::string, telemetry::Histogram> start_seconds;

  // The first two take steady-clock spans (nanoseconds), not Duration (milliseconds): a tick
  // takes microseconds.
  void ObserveTick(std::chrono::steady_clock::duration took);
  void ObserveStartLatency(const std::string& service, std::chrono::steady_clock::duration took);
};

// Adds the controller's families to `registry`: the counts in `metrics`, and gauges read from
// `status` (the head revision, instances by service, revision and state, desired replicas,
// rollouts in progress).
void AddControllerMetrics(const ControllerMetrics& metrics, const StatusInfo& status,
                          telemetry::MetricRegistry* registry);

}  // namespace cairn::control
