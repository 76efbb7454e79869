// HealthTracker: turns a stream of probe results into an instance's health. Pure: the caller
// supplies every time, so tests need neither clocks nor sleeps. Not thread-safe; one owner.
#pragma once

#include "core/clock.h"
#include "core/units.h"

namespace cairn::runtime {

enum class Health { kStarting, kHealthy, kUnhealthy };

// "starting", "healthy", "unhealthy".
const char* HealthName(Health health);

struct HealthThresholds {
  // Consecutive successes that make a starting or unhealthy instance healthy. >= 1.
  int healthy_after = 1;
  // Consecutive failures that make a starting or healthy instance unhealthy. >= 1.
  int unhealthy_after = 3;
  // After start, failures of a still-starting instance are not counted for this long, so a
  // slow boot is not judged unhealthy.
  Duration start_grace{0};
};

class HealthTracker {
 public:
  // `initial` is kHealthy only for an instance known healthy from elsewhere: one adopted
  // from an earlier server whose route table served it. Its failures then count against
  // unhealthy_after like those of any healthy instance, instead of the instance waiting
  // unrouted for a first answer.
  HealthTracker(HealthThresholds thresholds, SteadyTime started_at,
                Health initial = Health::kStarting);

  // Records one probe result observed at `now` and returns the resulting state.
  Health Observe(bool ok, SteadyTime now);

  Health state() const { return state_; }
  int consecutive_failures() const { return consecutive_failures_; }
  int consecutive_successes() const { return consecutive_successes_; }

 private:
  HealthThresholds thresholds_;
  SteadyTime started_at_;
  Health state_ = Health::kStarting;
  int consecutive_failures_ = 0;
  int consecutive_successes_ = 0;
};

}  // namespace cairn::runtime
