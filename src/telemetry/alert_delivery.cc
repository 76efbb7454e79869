#include "telemetry/alert_delivery.h"

namespace cairn::telemetry {

Result<HttpUrl> ParseWebhookUrl(const std::string& url) {
  auto bad = [&url](const std::string& why) {
    return MakeError(ErrorCode::kInvalidArgument, "webhook URL \"" + url + "\" " + why);
  };
  if (url.starts_with("https://")) {
    return bad(
        "uses https, which cairn does not send alerts over; use http:// to a receiver on "
        "this host or network (a local Alertmanager or bridge can forward over TLS)");
  }
  auto parsed = ParseHttpUrl(url);
  if (!parsed.ok()) return bad(parsed.error().message);
  return parsed;
}

DeliveryOutcome ClassifyDelivery(int status) {
  if (status >= 200 && status < 300) return DeliveryOutcome::kDelivered;
  if (status == 0 || status == 429 || status >= 500) return DeliveryOutcome::kRetry;
  return DeliveryOutcome::kDrop;
}

Duration RetryDelay(int attempt, const BackoffOptions& options) {
  Duration delay = options.initial;
  for (int i = 1; i < attempt && delay < options.max; ++i) delay *= 2;
  return std::min(delay, options.max);
}

}  // namespace cairn::telemetry
