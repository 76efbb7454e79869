// Event: one thing that happened to the environment — a revision applied, a rollout step, a
// verdict with its numbers, an instance started or crashed — as cairn records, streams and
// alerts on it. A plain value; `data` holds the typed figures a machine reads (a verdict's
// success rate, a revision's hash), `message` the sentence a person reads.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/clock.h"

namespace cairn::telemetry {

struct Event {
  int64_t seq = 0;  // increasing from 1 over the life of the data dir (across restarts)
  WallTime at;
  std::string type;      // "revision.applied", "instance.crashed", "rollout.verdict", ...
  std::string service;   // empty for environment-wide events
  std::string instance;  // empty when not about one instance
  std::string message;   // a sentence for a person
  nlohmann::json data = nlohmann::json::object();  // figures; an object, maybe empty
};

// The API's and the journal's JSON form: {seq, at, type, service, instance, message, data}.
nlohmann::json EventToJson(const Event& event);

// The server's human log line for an event: "2026-12-03T05:00:00.000Z rollout.verdict  ...".
std::string EventLogLine(const Event& event);

}  // namespace cairn::telemetry
