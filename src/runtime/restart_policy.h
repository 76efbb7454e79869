// RestartTracker: when to restart an instance that exited on its own, with exponential backoff
// and a crash-loop state (like Kubernetes' CrashLoopBackOff). Pure: the caller supplies every
// time. Not thread-safe; one owner per instance slot.
#pragma once

#include "core/clock.h"
#include "core/units.h"

namespace cairn::runtime {

struct RestartPolicyOptions {
  // Delay before the first restart, and after a stable run.
  Duration initial_backoff{1000};
  // The delay doubles per consecutive short run up to this cap.
  Duration max_backoff{30000};
  // This many consecutive short runs mark the instance crash-looping. It is still restarted,
  // at the capped backoff.
  int crash_loop_after = 5;
  // A run at least this long is stable: it resets the backoff and the crash-loop state.
  Duration stable_after{60000};
};

class RestartTracker {
 public:
  explicit RestartTracker(RestartPolicyOptions options = {});

  // Records a run that started at `started_at` and ended at `exited_at`; returns when to start
  // the replacement.
  SteadyTime OnExit(SteadyTime started_at, SteadyTime exited_at);

  bool crash_looping() const { return consecutive_short_runs_ >= options_.crash_loop_after; }
  // Restarts scheduled so far (every OnExit).
  int restarts() const { return restarts_; }
  int consecutive_short_runs() const { return consecutive_short_runs_; }
  // The delay chosen by the last OnExit; initial_backoff before any.
  Duration current_backoff() const { return current_backoff_; }

 private:
  RestartPolicyOptions options_;
  int restarts_ = 0;
  int consecutive_short_runs_ = 0;
  Duration current_backoff_;
};

}  // namespace cairn::runtime
