#include "control/start_backoff.h"

#include <algorithm>

namespace cairn::control {
namespace {

bool IsPowerOfTwo(int n) { return n > 0 && (n & (n - 1)) == 0; }

}  // namespace

StartBackoff::Failure StartBackoff::OnFailure(SteadyTime now, WallTime wall_now,
                                              const std::string& error) {
  if (failures_ == 0) first_failed_at_ = wall_now;
  bool changed = failures_ > 0 && error != last_error_;
  ++failures_;
  // Doubling from the last delay rather than computing 2^n keeps a years-long failure from
  // overflowing.
  delay_ = failures_ == 1 ? options_.initial : std::min(delay_ * 2, options_.max);
  next_try_ = now + delay_;
  last_error_ = error;
  return Failure{
      .report = changed || IsPowerOfTwo(failures_), .failures = failures_, .retry_in = delay_};
}

void StartBackoff::OnSuccess() {
  failures_ = 0;
  delay_ = Duration{};
  next_try_ = SteadyTime{};
  last_error_.clear();
}

std::string DescribeStartFailure(const std::string& service, const std::string& error,
                                 const StartBackoff::Failure& failure) {
  std::string text = "could not start an instance of " + service + ": " + error;
  if (failure.failures > 1) text += "; failed " + std::to_string(failure.failures) + " times";
  return text + "; next try in " + FormatDuration(failure.retry_in);
}

}  // namespace cairn::control
