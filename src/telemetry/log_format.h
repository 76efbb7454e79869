// The server's log line formats. Text is for a person at a terminal ("2026-12-03T05:00:00.000Z
// info listening on ..."; events keep their EventLogLine look); JSON is one object per line for a
// log shipper: {"ts","level","msg", ...fields}, and for an event {"ts","level":"info","msg",
// "event","service","instance","seq","data"}. Pure functions: no I/O, no clock.
//
// The router's per-request access lines are formatted by router/access_log.h, which follows the
// same format choice without depending on nlohmann (it runs on the request path).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "telemetry/event.h"

namespace cairn::telemetry {

enum class LogFormat { kText, kJson };
enum class LogLevel { kInfo, kWarn, kError };

// "text" or "json"; nullopt for anything else.
std::optional<LogFormat> ParseLogFormat(std::string_view name);
const char* LogLevelName(LogLevel level);

// One line without its newline. Text: "<ts> <level> <msg>" then " key=value" per field (values
// that are strings with spaces or quotes are JSON-quoted). JSON: {"ts","level","msg",...fields};
// a field named ts, level or msg is dropped rather than allowed to hide the real one.
std::string FormatLogLine(LogFormat format, WallTime at, LogLevel level, std::string_view msg,
                          const nlohmann::json& fields = nlohmann::json::object());

// An event as a log line. Text: EventLogLine. JSON: {"ts","level":"info","msg","event",
// "service","instance","seq","data"}; `ts` is when the event happened.
std::string FormatEventLine(LogFormat format, const Event& event);

}  // namespace cairn::telemetry
