// StartBackoff: when to try again to start instances of a service template that could not
// start at all (the program cannot be executed, the image's root cannot be unpacked, the
// environment is too large for exec), and which of those failures to report. Such a failure
// repeats until a person changes something, so trying every second only burns CPU, unpacks
// the image again and floods the event log: the delay doubles per failure up to minutes, and
// only the first failure, a changed error and every power-of-two count are reported
// ("failed 8 times; next try in 2m8s"). A start that succeeds resets it.
//
// Pure: the caller supplies every time. One per (service, template).
#pragma once

#include <string>

#include "core/clock.h"
#include "core/units.h"

namespace cairn::control {

struct StartBackoffOptions {
  Duration initial{1000};
  // Five minutes, as Kubernetes caps its image-pull and crash-loop backoffs.
  Duration max{300000};
};

class StartBackoff {
 public:
  explicit StartBackoff(StartBackoffOptions options = {}) : options_(options) {}

  struct Failure {
    bool report = false;  // worth an event: the first failure, a new error, a power-of-two count
    int failures = 0;     // consecutive failures, this one included
    Duration retry_in{};  // until the next try
  };

  // Whether a start may be tried at `now`.
  bool Allows(SteadyTime now) const { return failures_ == 0 || now >= next_try_; }
  // Records a failed start at `now` that said `error`.
  Failure OnFailure(SteadyTime now, WallTime wall_now, const std::string& error);
  // A start succeeded: the next failure is a first one again.
  void OnSuccess();

  int failures() const { return failures_; }
  const std::string& last_error() const { return last_error_; }
  SteadyTime next_try() const { return next_try_; }
  WallTime first_failed_at() const { return first_failed_at_; }

 private:
  StartBackoffOptions options_;
  int failures_ = 0;
  Duration delay_{};
  SteadyTime next_try_{};
  WallTime first_failed_at_{};
  std::string last_error_;
};

// "could not start an instance of web: <error>", for a repeat "; failed 8 times", and always
// "; next try in 2m8s".
std::string DescribeStartFailure(const std::string& service, const std::string& error,
                                 const StartBackoff::Failure& failure);

}  // namespace cairn::control
