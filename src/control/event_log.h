// EventLog: what happened to the environment, in order — revisions applied, instances started,
// crashed, replaced, rollouts completed or failed — for `cairn status`, the API and the
// server's log. Kept in memory with a bounded length; issue "Observability" persists it.
// Called on the controller strand only.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "core/clock.h"

namespace cairn::control {

struct Event {
  int64_t seq = 0;  // increasing from 1
  WallTime at;
  std::string type;      // "revision.applied", "instance.crashed", "rollout.failed", ...
  std::string service;   // empty for environment-wide events
  std::string instance;  // empty when not about one instance
  std::string message;   // a sentence for a person
};

class EventLog {
 public:
  EventLog(const Clock* clock, size_t capacity = 2000, bool echo_to_stderr = true);
  const Event& Add(std::string type, std::string service, std::string instance,
                   std::string message);
  // Events with seq > after, oldest first, optionally only one service's.
  std::vector<Event> Since(int64_t after, const std::string& service = {}) const;
  int64_t last_seq() const { return next_seq_ - 1; }

 private:
  const Clock* clock_;
  size_t capacity_;
  bool echo_;
  int64_t next_seq_ = 1;
  std::deque<Event> events_;
};

}  // namespace cairn::control
