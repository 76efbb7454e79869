// WebhookSender: delivers alert notifications to one webhook receiver over HTTP/1.1, in
// order, retrying with back-off, without ever blocking the thread that runs its io_context.
//
// Each notification is POSTed as application/json. One attempt (connect, send, read the
// answer's header) has `attempt_timeout`; a connect error, a timeout, 5xx or 429 is retried
// after RetryDelay (1 s doubling to 60 s by default), a 2xx is delivered, any other answer is
// dropped with a log line, and a notification still undelivered `max_age` after it was queued
// is given up with a log line. Notifications wait in a bounded queue; when it is full the
// oldest is given up (logged), so a receiver that is down cannot grow the server's memory.
// A receiver that accepts connections and never answers only holds this sender's socket and
// timer: later notifications wait behind it in this sender's queue, nothing else does.
//
// Threading: construct, Send and destroy on the thread running `io` (the controller strand in
// the server). The log callback runs there too. Destroying the sender cancels its work; the
// io_context must outlive it (it may still hold the sender's finished coroutine frames).
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/units.h"
#include "telemetry/alert_delivery.h"

namespace cairn::telemetry {

struct WebhookSenderOptions {
  // Connect + send + read the answer's header, per attempt. 5 s: a receiver on the team's
  // network answers in milliseconds; longer only delays the retry of a stuck one.
  Duration attempt_timeout{5000};
  BackoffOptions backoff;
  // Give a notification up this long after it was queued: an alert an hour late is news no
  // longer, and a later one (its resolution) is already queued behind it.
  Duration max_age{3600000};
  // Notifications waiting per receiver; the oldest is given up past this.
  size_t queue_capacity = 256;
};

struct WebhookStats {
  uint64_t delivered = 0;
  uint64_t attempts = 0;
  uint64_t given_up = 0;  // dropped (4xx), expired (max_age) or pushed out of a full queue
};

class WebhookSender {
 public:
  // `url` must have passed ParseWebhookUrl. `name` appears in log lines.
  WebhookSender(boost::asio::io_context& io, std::string name, HttpUrl url,
                WebhookSenderOptions options, const Clock* clock,
                std::function<void(const std::string&)> log);
  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // Queues `body` (JSON) for delivery and returns at once.
  void Send(std::string body);

  WebhookStats stats() const;
  size_t queued() const;

  struct State;  // shared with the delivery coroutine, which may outlive the sender briefly

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<State> state_;
};

}  // namespace cairn::telemetry
