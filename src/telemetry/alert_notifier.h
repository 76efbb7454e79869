// AlertNotifier: the server's alerting, end to end. It listens to the controller's event log,
// feeds every event to an AlertTracker and hands each alert that fires (and, when a receiver
// wants them, each that resolves) to every receiver's WebhookSender in that receiver's format.
//
// Alerts live in memory: a restarted server starts with none firing. A condition that still
// holds fires again when its next event comes (the next crash of a looping instance, the next
// failed rollout); one that ended while the server was down is not resolved at the receiver,
// where it times out as receivers do for a source that went quiet.
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
  AlertNotifier(const Clock* clock, AlertNotifierOptions options)
      : options_(std::move(options)), tracker_(clock) {}

  AlertNotifierOptions options_;
  AlertTracker tracker_;
  std::vector<std::unique_ptr<WebhookSender>> senders_;  // one per receiver, same order
  EventSubscription subscription_;                       // last: unsubscribed first
};

}  // namespace cairn::telemetry
