#include "api/verify_route.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "api/reply.h"

namespace cairn::api {
namespace {

namespace asio = boost::asio;

asio::awaitable<control::DriftReport> Check(control::DriftCheck& check) {
  return asio::async_initiate<decltype(asio::use_awaitable), void(control::DriftReport)>(
      [&check](auto handler) {
        // The completion handler is move-only; DriftCheck keeps a copyable callback.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        check.Check([shared](control::DriftReport report) { (*shared)(std::move(report)); });
      },
      asio::use_awaitable);
}

}  // namespace

asio::awaitable<Reply> VerifyRoute(control::DriftCheck* check) {
  if (!check) {
    co_return ErrorReply(MakeError(ErrorCode::kUnavailable, "this server runs no image instances"));
  }
  control::DriftReport report = co_await Check(*check);
  nlohmann::json images = nlohmann::json::array();
  for (const control::ImageDrift& i : report.images) {
    images.push_back({{"digest", i.digest},
                      {"intact", i.differences.empty() && i.error.empty()},
                      {"differences", i.differences},
                      {"error", i.error},
                      {"quarantined", i.quarantined},
                      {"replaced", i.replaced}});
  }
  co_return JsonReply({{"drifted", report.drifted()}, {"images", images}});
}

}  // namespace cairn::api
