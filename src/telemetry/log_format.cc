#include "telemetry/log_format.h"

namespace cairn::telemetry {
namespace {

using nlohmann::json;

// The JSON dump of a value, but with invalid UTF-8 replaced rather than thrown: a message may
// carry bytes a user typed or a process printed.
std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool NeedsQuotes(std::string_view s) {
  if (s.empty()) return true;
  for (char c : s) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

}  // namespace

std::optional<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return std::nullopt;
}

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

std::string FormatLogLine(LogFormat format, WallTime at, LogLevel level, std::string_view msg,
                          const json& fields) {
  if (format == LogFormat::kJson) {
    json line = json::object();
    line["ts"] = FormatWallTime(at);
    line["level"] = LogLevelName(level);
    line["msg"] = std::string(msg);
    if (fields.is_object()) {
      for (const auto& [key, value] : fields.items()) {
        if (key != "ts" && key != "level" && key != "msg") line[key] = value;
      }
    }
    // nlohmann sorts keys; a log reader expects ts, level, msg first, so they go by hand.
    std::string out = "{\"ts\":" + Dump(line["ts"]) + ",\"level\":" + Dump(line["level"]) +
                      ",\"msg\":" + Dump(line["msg"]);
    for (const auto& [key, value] : line.items()) {
      if (key == "ts" || key == "level" || key == "msg") continue;
      out += "," + Dump(key) + ":" + Dump(value);
    }
    return out + "}";
  }
  std::string out = FormatWallTime(at) + " " + LogLevelName(level) + " " + std::string(msg);
  if (fields.is_object()) {
    for (const auto& [key, value] : fields.items()) {
      out += " " + key + "=";
      if (value.is_string() && !NeedsQuotes(value.get<std::string>())) {
        out += value.get<std::string>();
      } else {
        out += Dump(value);
      }
    }
  }
  return out;
}

std::string FormatEventLine(LogFormat format, const Event& e) {
  if (format == LogFormat::kText) return EventLogLine(e);
  return "{\"ts\":" + Dump(FormatWallTime(e.at)) +
         ",\"level\":\"info\",\"msg\":" + Dump(e.message) + ",\"event\":" + Dump(e.type) +
         ",\"service\":" + Dump(e.service) + ",\"instance\":" + Dump(e.instance) +
         ",\"seq\":" + std::to_string(e.seq) +
         ",\"data\":" + Dump(e.data.is_object() ? e.data : json::object()) + "}";
}

}  // namespace cairn::telemetry
