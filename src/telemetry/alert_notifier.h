// AlertNotifier: the server's alerting, end to end. It listens to the controller's event log,
// feeds every event to an AlertTracker and hands each alert that fires (and, when a receiver
// wants them, each that resolves) to every receiver's WebhookSender in that receiver's format.
//
// Alerts are derived from events, so a restarted server finds them again: before the first
// event it sees, the notifier replays the log's newest kAlertReplayEvents (the journal's, after
// a restart) through its tracker without notifying anyone. An alert that fired before the
// restart is then resolved at the receiver when its condition ends, as if the server had never
// stopped. What is not redone: a notification still queued when the server died is not sent
// again, and an alert whose firing event is older than the replayed window is forgotten.
//
// Threading: construct, use and destroy on the controller strand (the thread running `io`).
// The event listener does no I/O: it queues and returns.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "telemetry/alert_payload.h"
#include "telemetry/alert_sender.h"
#include "telemetry/alert_tracker.h"
#include "telemetry/event_log.h"

namespace cairn::telemetry {

// How many of the newest events a starting server replays to find the alerts still firing:
// the event log's memory window, so no journal read is needed.
inline constexpr size_t kAlertReplayEvents = 2000;

struct AlertReceiverConfig {
  std::string name;  // in log lines and the payload's "receiver"
  std::string url;   // http://host[:port]/path
  AlertFormat format = AlertFormat::kAlertmanager;
  bool send_resolved = true;  // also notify when an alert resolves
};

struct AlertNotifierOptions {
  std::vector<AlertReceiverConfig> receivers;
  std::string external_url;  // the server's API, "http://127.0.0.1:7400"
  WebhookSenderOptions sender;
};

class AlertNotifier {
 public:
  // Fails when a receiver's URL is not one cairn can send to (https, no host, bad port).
  static Result<std::unique_ptr<AlertNotifier>> Create(boost::asio::io_context& io,
                                                       EventLog& events,
                                                       AlertNotifierOptions options,
                                                       const Clock* clock,
                                                       std::function<void(const std::string&)> log);

  // Sends `alert` to every receiver that wants it (exposed for tests; the listener calls it).
  void Notify(const Alert& alert);

  const AlertTracker& tracker() const { return tracker_; }
  const WebhookSender& sender(size_t i) const { return *senders_[i]; }

 private:
  explicit AlertNotifier(AlertNotifierOptions options) : options_(std::move(options)) {}

  // Observes the log's newest events before `seq` without notifying (once).
  void Replay(const EventLog& events, int64_t seq);

  AlertNotifierOptions options_;
  AlertTracker tracker_;
  bool replayed_ = false;
  std::vector<std::unique_ptr<WebhookSender>> senders_;  // one per receiver, same order
  EventSubscription subscription_;                       // last: unsubscribed first
};

}  // namespace cairn::telemetry
