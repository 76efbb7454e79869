#include "telemetry/log_writer.h"

#include <errno.h>
#include <unistd.h>

namespace cairn::telemetry {

using nlohmann::json;

Logger::Logger(LogFormat format, int fd, const Clock* clock)
    : format_(format), fd_(fd), clock_(clock) {}

void Logger::Log(LogLevel level, std::string_view msg, const json& fields) {
  WriteLine(FormatLogLine(format_, clock_->WallNow(), level, msg, fields));
}

void Logger::LogEvent(const Event& event) { WriteLine(FormatEventLine(format_, event)); }

void Logger::WriteLine(std::string line) {
  line += '\n';
  std::lock_guard<std::mutex> lock(mu_);
  std::string_view left = line;
  while (!left.empty()) {
    ssize_t n = ::write(fd_, left.data(), left.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr is gone: nothing better to do with a log line
    left.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace cairn::telemetry
