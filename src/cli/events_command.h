// `cairn events [SERVICE] [-f] [--last N] [--after SEQ] [-o json]`: what happened to the
// environment, newest last; -f keeps following the server's event stream (and reconnects
// after a server restart without losing or repeating an event).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"

namespace cairn::cli {

struct EventsOptions {
  std::string service;  // only this service's events
  bool follow = false;
  int last = 50;       // how many of the newest to show first
  int64_t after = -1;  // instead: every event after this seq
};

int EventsCommand(const GlobalOptions& g, const EventsOptions& o);

// One event as a line: "05:01:02.123  rollout.verdict      web  step analysis: pass ...".
std::string EventLine(const nlohmann::json& event);

}  // namespace cairn::cli
