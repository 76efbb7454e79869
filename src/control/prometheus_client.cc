#include "control/prometheus_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "control/prometheus_query.h"

namespace cairn::control {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Answers bigger than this are not one number: refuse them rather than buffer them.
constexpr uint64_t kMaxAnswerBytes = 1 << 20;

rollout::MetricReading Failed(const std::string& name, const std::string& why) {
  return {name, std::nullopt, why};
}

// One request, start to end; every failure becomes a reading with its reason. The deadline
// covers resolving, connecting, writing and reading together.
asio::awaitable<rollout::MetricReading> Run(MetricRequest request) {
  auto address = ParseHttpAddress(request.address);
  if (!address.ok()) co_return Failed(request.name, address.error().message);
  auto executor = co_await asio::this_coro::executor;
  beast::error_code ec;
  tcp::resolver resolver(executor);
  beast::tcp_stream stream(executor);
  stream.expires_after(request.timeout);
  // The resolver has no timeout of its own; a name that takes long to resolve is rare for a
  // Prometheus on the team's own network and bounded by the system resolver's timeout.
  auto endpoints = co_await resolver.async_resolve(address->host, address->port,
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return Failed(request.name, "cannot resolve " + address->host + ": " + ec.message());
  }
  co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  std::string where = request.address;
  if (ec)
    co_return Failed(request.name, "cannot reach Prometheus at " + where + ": " + ec.message());

  http::request<http::string_body> req{http::verb::post, address->base_path + "/api/v1/query", 11};
  req.set(http::field::host, address->host + ":" + address->port);
  req.set(http::field::user_agent, "cairn");
  req.set(http::field::content_type, "application/x-www-form-urlencoded");
  req.set(http::field::accept, "application/json");
  req.body() = QueryFormBody(request.query);
  req.prepare_payload();
  co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Failed(request.name, "sending the query to " + where + ": " + ec.message());

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxAnswerBytes);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec == beast::error::timeout) {
    co_return Failed(request.name, "Prometheus at " + where + " did not answer within " +
                                       FormatDuration(request.timeout));
  }
  if (ec) co_return Failed(request.name, "reading the answer of " + where + ": " + ec.message());
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);

  const auto& res = parser.get();
  auto value = ParseQueryResponse(res.result_int(), res.body());
  if (!value.ok()) co_return Failed(request.name, value.error().message);
  co_return rollout::MetricReading{request.name, *value, ""};
}

}  // namespace

void PrometheusClient::Query(const MetricRequest& request,
                             std::function<void(rollout::MetricReading)> done) {
  asio::co_spawn(io_, Run(request),
                 [done = std::move(done), name = request.name](std::exception_ptr error,
                                                               rollout::MetricReading reading) {
                   if (error) {
                     done(Failed(name, "the query failed unexpectedly"));
                     return;
                   }
                   done(std::move(reading));
                 });
}

}  // namespace cairn::control
