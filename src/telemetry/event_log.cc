#include "telemetry/event_log.h"

#include <algorithm>

namespace cairn::telemetry {

EventLog::EventLog(const Clock* clock, EventLogOptions options)
    : clock_(clock), options_(std::move(options)) {}

Status EventLog::Attach(EventJournal* journal) {
  journal_ = journal;
  Result<std::vector<Event>> last = journal_->Last(options_.memory_capacity);
  if (!last.ok()) return last.error();
  if (last->empty()) return OkStatus();
  int64_t stored = last->back().seq;
  // Anything added before the journal was attached is newer than what it holds.
  std::deque<Event> early = std::move(events_);
  events_.assign(last->begin(), last->end());
  next_seq_ = stored + 1;
  for (Event& e : early) {
    e.seq = next_seq_++;
    events_.push_back(e);
  }
  for (size_t i = 0; i < unwritten_.size(); ++i) unwritten_[i].seq = stored + 1 + i;
  while (events_.size() > options_.memory_capacity) events_.pop_front();
  return OkStatus();
}

const Event& EventLog::Add(std::string type, std::string service, std::string instance,
                           std::string message, nlohmann::json data) {
  Event e{next_seq_++,
          clock_->WallNow(),
          std::move(type),
          std::move(service),
          std::move(instance),
          std::move(message),
          data.is_object() ? std::move(data) : nlohmann::json::object()};
  if (options_.echo) options_.echo(e);
  unwritten_.push_back(e);
  if (unwritten_.size() > options_.max_unwritten) {
    unwritten_.erase(unwritten_.begin());
    ++dropped_;
  }
  events_.push_back(std::move(e));
  if (events_.size() > options_.memory_capacity) events_.pop_front();
  // A listener may unsubscribe itself (a stream that ended); iterate over a copy of the keys.
  std::vector<int> handles;
  for (const auto& [handle, listener] : *listeners_) handles.push_back(handle);
  for (int handle : handles) {
    auto it = listeners_->find(handle);
    if (it == listeners_->end()) continue;
    EventListener listener = it->second;  // a copy: the listener may cancel itself
    listener(events_.back());
  }
  return events_.back();
}

Status EventLog::Flush() {
  if (!journal_ || unwritten_.empty()) return OkStatus();
  Status written = journal_->Write(unwritten_);
  if (written.ok()) unwritten_.clear();
  return written;
}

std::vector<Event> EventLog::Since(int64_t after, const std::string& service, size_t limit) const {
  std::vector<Event> out;
  bool memory_has_all = events_.empty() || events_.front().seq <= after + 1;
  if (!memory_has_all && journal_) {
    // Older than memory: the journal has every event written so far; the unwritten ones are
    // the newest, and memory holds them.
    int64_t oldest_unwritten = unwritten_.empty() ? next_seq_ : unwritten_.front().seq;
    Result<std::vector<Event>> stored = journal_->Read(after, service, limit);
    if (stored.ok()) {
      for (Event& e : *stored) {
        if (e.seq >= oldest_unwritten) break;
        out.push_back(std::move(e));
      }
      if (limit && out.size() >= limit) return out;
      after = std::max(after, oldest_unwritten - 1);
    }
  }
  for (const Event& e : events_) {
    if (e.seq <= after) continue;
    if (!service.empty() && e.service != service) continue;
    out.push_back(e);
    if (limit && out.size() >= limit) break;
  }
  return out;
}

std::vector<Event> EventLog::Last(size_t count, const std::string& service) const {
  std::vector<Event> out;
  for (auto it = events_.rbegin(); it != events_.rend() && out.size() < count; ++it) {
    if (service.empty() || it->service == service) out.push_back(*it);
  }
  bool memory_has_all = events_.empty() || events_.front().seq == 1;
  if (out.size() < count && !memory_has_all && journal_) {
    // Rare (a quiet service, or more than memory holds): the journal has the rest.
    std::vector<Event> all = Since(0, service);
    size_t from = all.size() > count ? all.size() - count : 0;
    return std::vector<Event>(all.begin() + from, all.end());
  }
  return std::vector<Event>(out.rbegin(), out.rend());
}

EventSubscription EventLog::Subscribe(EventListener listener) {
  int handle = next_handle_++;
  listeners_->emplace(handle, std::move(listener));
  return EventSubscription(listeners_, handle);
}

}  // namespace cairn::telemetry
