#include "runtime/restart_policy.h"

#include <algorithm>

namespace cairn::runtime {

RestartTracker::RestartTracker(RestartPolicyOptions options)
    : options_(options), current_backoff_(options.initial_backoff) {}

SteadyTime RestartTracker::OnExit(SteadyTime started_at, SteadyTime exited_at) {
  ++restarts_;
  if (exited_at - started_at >= options_.stable_after) {
    consecutive_short_runs_ = 0;
    current_backoff_ = options_.initial_backoff;
    return exited_at + current_backoff_;
  }
  ++consecutive_short_runs_;
  // initial * 2^(n-1), doubling step by step so a long crash loop cannot overflow.
  Duration backoff = options_.initial_backoff;
  for (int i = 1; i < consecutive_short_runs_ && backoff < options_.max_backoff; ++i) {
    backoff *= 2;
  }
  current_backoff_ = std::min(backoff, options_.max_backoff);
  return exited_at + current_backoff_;
}

}  // namespace cairn::runtime
