// The pure decisions of delivering an alert to a webhook: where to (the URL), what an answer
// means, and how long to wait before trying again. WebhookSender (alert_sender.h) does the I/O.
#pragma once

#include <string>

#include "core/http_url.h"
#include "core/result.h"
#include "core/units.h"

namespace cairn::telemetry {

// A receiver's URL (core/http_url.h), its errors prefixed with the URL. https:// is refused
// with a sentence saying so: cairn sends alerts in plain HTTP to a receiver on its own network
// (a local bridge or Alertmanager).
Result<HttpUrl> ParseWebhookUrl(const std::string& url);

enum class DeliveryOutcome {
  kDelivered,  // 2xx
  kRetry,      // no connection, no answer in time, 5xx, 429 (the receiver may take it later)
  kDrop,       // any other answer: the receiver refuses this body, sending it again will not help
};
// `status` 0 means no HTTP answer (connect error, timeout, broken connection).
DeliveryOutcome ClassifyDelivery(int status);

struct BackoffOptions {
  // Wait before the first retry; doubled after every failed attempt. 1 s lets a receiver that
  // is restarting come back without a long gap.
  Duration initial{1000};
  // The longest wait between attempts: a receiver that is down for an hour is tried once a
  // minute, not once an hour.
  Duration max{60000};
};

// The wait after failed attempt number `attempt` (1 for the first): initial * 2^(attempt-1),
// at most `max`.
Duration RetryDelay(int attempt, const BackoffOptions& options = {});

}  // namespace cairn::telemetry
