// EventLog: the environment's events in order, numbered across restarts. The newest are kept
// in memory for the API, the event stream and `cairn status`; every event is also written to
// an EventJournal (the state store in a server) in batches, so history survives a restart and
// `cairn events` can read further back than memory holds.
//
// Threading: called on the controller strand only, like the controller that owns it. Listeners
// run synchronously inside Add, on that strand: they must be quick and must not add events.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "telemetry/event.h"

namespace cairn::telemetry {

// Where the log persists events. Implementations need not be thread-safe.
class EventJournal {
 public:
  virtual ~EventJournal() = default;
  // Writes a batch, all or nothing, in seq order.
  virtual Status Write(const std::vector<Event>& events) = 0;
  // seq > after, oldest first, at most `limit` (0: all), only `service`'s when not empty.
  virtual Result<std::vector<Event>> Read(int64_t after, const std::string& service,
                                          size_t limit) = 0;
  // The newest `limit`, oldest first.
  virtual Result<std::vector<Event>> Last(size_t limit) = 0;
};

struct EventLogOptions {
  // Events kept in memory. 2000 covers hours of a busy environment; older ones come from the
  // journal.
  size_t memory_capacity = 2000;
  // Events not yet written are kept for the next Flush when the journal fails; past this many,
  // the oldest unwritten ones are given up (and counted in dropped()), so a broken disk cannot
  // grow the server's memory without bound.
  size_t max_unwritten = 10000;
  // Every event is also passed here as it is added (the server's log), or nowhere when empty.
  std::function<void(const Event&)> echo;
};

using EventListener = std::function<void(const Event&)>;
using EventListeners = std::map<int, EventListener>;

// A listener's registration: it is called until this is destroyed. Safe to destroy after the
// log is gone (an event stream's coroutine frame can outlive the controller at shutdown).
class EventSubscription {
 public:
  EventSubscription() = default;
  EventSubscription(std::weak_ptr<EventListeners> listeners, int handle)
      : listeners_(std::move(listeners)), handle_(handle) {}
  EventSubscription(EventSubscription&& other) noexcept
      : listeners_(std::move(other.listeners_)), handle_(other.handle_) {}
  EventSubscription& operator=(EventSubscription&& other) noexcept {
    Cancel();
    listeners_ = std::move(other.listeners_);
    handle_ = other.handle_;
    return *this;
  }
  ~EventSubscription() { Cancel(); }
  void Cancel() {
    if (auto listeners = listeners_.lock()) listeners->erase(handle_);
    listeners_.reset();
  }

 private:
  std::weak_ptr<EventListeners> listeners_;
  int handle_ = 0;
};

class EventLog {
 public:
  EventLog(const Clock* clock, EventLogOptions options = {});

  // Continues the numbering and the in-memory window from `journal` (not owned; must outlive
  // the log), and writes there from now on. Events added before this are renumbered after the
  // journal's newest.
  Status Attach(EventJournal* journal);

  const Event& Add(std::string type, std::string service, std::string instance, std::string message,
                   nlohmann::json data = nlohmann::json::object());

  // Writes the events added since the last flush in one batch (the controller calls it once a
  // tick). On failure they stay queued for the next call.
  Status Flush();

  // Events with seq > after, oldest first, at most `limit` (0: no limit), optionally only one
  // service's. Reads the journal when memory no longer holds the oldest asked for.
  std::vector<Event> Since(int64_t after, const std::string& service = {}, size_t limit = 0) const;
  // The newest `count` events (of one service when not empty), oldest first.
  std::vector<Event> Last(size_t count, const std::string& service = {}) const;
  int64_t last_seq() const { return next_seq_ - 1; }
  // Events given up unwritten because the journal kept failing.
  uint64_t dropped() const { return dropped_; }

  // Calls `listener` with every event added from now on, until the subscription is destroyed.
  // A listener may cancel its own subscription while it is called.
  [[nodiscard]] EventSubscription Subscribe(EventListener listener);

 private:
  const Clock* clock_;
  EventLogOptions options_;
  EventJournal* journal_ = nullptr;
  int64_t next_seq_ = 1;
  std::deque<Event> events_;      // the newest memory_capacity events
  std::vector<Event> unwritten_;  // added since the last successful flush
  uint64_t dropped_ = 0;
  int next_handle_ = 1;
  std::shared_ptr<EventListeners> listeners_ = std::make_shared<EventListeners>();
};

}  // namespace cairn::telemetry
