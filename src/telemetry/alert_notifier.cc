#include "telemetry/alert_notifier.h"

namespace cairn::telemetry {

Result<std::unique_ptr<AlertNotifier>> AlertNotifier::Create(
    boost::asio::io_context& io, EventLog& events, AlertNotifierOptions options, const Clock* clock,
    std::function<void(const std::string&)> log) {
  std::unique_ptr<AlertNotifier> notifier(new AlertNotifier(std::move(options)));
  for (const AlertReceiverConfig& receiver : notifier->options_.receivers) {
    auto url = ParseWebhookUrl(receiver.url);
    if (!url.ok()) {
      Error error = url.error();
      error.context = "alert receiver " + receiver.name;
      return error;
    }
    notifier->senders_.push_back(std::make_unique<WebhookSender>(
        io, receiver.name, *url, notifier->options_.sender, clock, log));
  }
  AlertNotifier* self = notifier.get();
  // The history is read at the first event, not now: the server attaches the journal (and so
  // the history) after the notifier subscribes, and before its first event.
  notifier->subscription_ = events.Subscribe([self, &events](const Event& event) {
    self->Replay(events, event.seq);
    for (const Alert& alert : self->tracker_.Observe(event)) self->Notify(alert);
  });
  return notifier;
}

void AlertNotifier::Replay(const EventLog& events, int64_t seq) {
  if (replayed_) return;
  replayed_ = true;
  for (const Event& past : events.Last(kAlertReplayEvents + 1)) {
    if (past.seq < seq) (void)tracker_.Observe(past);
  }
}

void AlertNotifier::Notify(const Alert& alert) {
  for (size_t i = 0; i < senders_.size(); ++i) {
    const AlertReceiverConfig& receiver = options_.receivers[i];
    if (alert.status == AlertStatus::kResolved && !receiver.send_resolved) continue;
    PayloadContext context{receiver.name, options_.external_url};
    senders_[i]->Send(AlertPayload(receiver.format, alert, context).dump());
  }
}

}  // namespace cairn::telemetry
