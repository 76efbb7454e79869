#include "telemetry/event.h"

#include <cstdio>

namespace cairn::telemetry {

nlohmann::json EventToJson(const Event& e) {
  return {{"seq", e.seq},
          {"at", FormatWallTime(e.at)},
          {"type", e.type},
          {"service", e.service},
          {"instance", e.instance},
          {"message", e.message},
          {"data", e.data.is_object() ? e.data : nlohmann::json::object()}};
}

std::string EventLogLine(const Event& e) {
  char line[64];
  std::snprintf(line, sizeof(line), "%-20s ", e.type.c_str());
  return FormatWallTime(e.at) + " " + line + e.message;
}

}  // namespace cairn::telemetry
