// Clock: the one source of time for decisions. Production code uses SystemClock; tests use
// FakeClock and move time by hand, so every timeout and backoff is tested without sleeping.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace cairn {

using SteadyTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time for timeouts, deadlines and backoff.
  virtual SteadyTime Now() const = 0;
  // Wall-clock time for records a person reads (revision and audit times).
  virtual WallTime WallNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  SteadyTime Now() const override { return std::chrono::steady_clock::now(); }
  WallTime WallNow() const override { return std::chrono::system_clock::now(); }
  // The process-wide instance.
  static SystemClock* Get();
};

// A clock that moves only when told to. Thread-safe so a test may advance it from any thread.
class FakeClock final : public Clock {
 public:
  FakeClock();
  SteadyTime Now() const override;
  WallTime WallNow() const override;
  void Advance(std::chrono::milliseconds d);

 private:
  mutable std::mutex mu_;
  SteadyTime steady_;
  WallTime wall_;
};

// RFC 3339 UTC with millisecond precision: "2026-11-25T07:55:43.123Z".
std::string FormatWallTime(WallTime t);
// Milliseconds since the Unix epoch.
int64_t ToUnixMillis(WallTime t);
WallTime FromUnixMillis(int64_t ms);

}  // namespace cairn
