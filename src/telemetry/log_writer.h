// Logger: writes the server's own lines — startup, shutdown, warnings and every event — to
// stderr in the format chosen with --log-format (see log_format.h).
//
// Threading: any thread. One mutex serializes whole lines; that is fine for the few lines a
// server writes a minute, and it is never taken on the request path (the router's access lines
// go through router/access_log.h, per worker, without a lock).
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "telemetry/event.h"
#include "telemetry/log_format.h"

namespace cairn::telemetry {

class Logger {
 public:
  // Writes to `fd` (not owned; stderr by default), one write(2) per line.
  explicit Logger(LogFormat format, int fd = 2, const Clock* clock = SystemClock::Get());

  LogFormat format() const { return format_; }

  void Log(LogLevel level, std::string_view msg,
           const nlohmann::json& fields = nlohmann::json::object());
  void Info(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
    Log(LogLevel::kInfo, msg, fields);
  }
  void Warn(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
    Log(LogLevel::kWarn, msg, fields);
  }
  void Error(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
    Log(LogLevel::kError, msg, fields);
  }
  void LogEvent(const Event& event);

 private:
  void WriteLine(std::string line);

  const LogFormat format_;
  const int fd_;
  const Clock* clock_;
  std::mutex mu_;  // one line at a time, so two threads' lines never interleave
};

}  // namespace cairn::telemetry
