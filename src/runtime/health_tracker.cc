#include "runtime/health_tracker.h"

namespace cairn::runtime {

const char* HealthName(Health health) {
  switch (health) {
    case Health::kStarting:
      return "starting";
    case Health::kHealthy:
      return "healthy";
    case Health::kUnhealthy:
      return "unhealthy";
  }
  return "unknown";
}

HealthTracker::HealthTracker(HealthThresholds thresholds, SteadyTime started_at, Health initial)
    : thresholds_(thresholds), started_at_(started_at), state_(initial) {}

Health HealthTracker::Observe(bool ok, SteadyTime now) {
  if (ok) {
    consecutive_failures_ = 0;
    ++consecutive_successes_;
    if (state_ != Health::kHealthy && consecutive_successes_ >= thresholds_.healthy_after) {
      state_ = Health::kHealthy;
    }
    return state_;
  }
  consecutive_successes_ = 0;
  if (state_ == Health::kStarting && now - started_at_ < thresholds_.start_grace) {
    return state_;  // still booting: this failure does not count
  }
  ++consecutive_failures_;
  if (state_ != Health::kUnhealthy && consecutive_failures_ >= thresholds_.unhealthy_after) {
    state_ = Health::kUnhealthy;
  }
  return state_;
}

}  // namespace cairn::runtime
