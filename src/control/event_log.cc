#include "control/event_log.h"

#include <cstdio>

namespace cairn::control {

EventLog::EventLog(const Clock* clock, size_t capacity, bool echo_to_stderr)
    : clock_(clock), capacity_(capacity), echo_(echo_to_stderr) {}

const Event& EventLog::Add(std::string type, std::string service, std::string instance,
                           std::string message) {
  Event e{next_seq_++,        clock_->WallNow(),   std::move(type),
          std::move(service), std::move(instance), std::move(message)};
  if (echo_) {
    std::fprintf(stderr, "%s %-20s %s\n", FormatWallTime(e.at).c_str(), e.type.c_str(),
                 e.message.c_str());
  }
  events_.push_back(std::move(e));
  if (events_.size() > capacity_) events_.pop_front();
  return events_.back();
}

std::vector<Event> EventLog::Since(int64_t after, const std::string& service) const {
  std::vector<Event> out;
  for (const auto& e : events_) {
    if (e.seq <= after) continue;
    if (!service.empty() && e.service != service) continue;
    out.push_back(e);
  }
  return out;
}

}  // namespace cairn::control
