#include "telemetry/alert_sender.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <optional>

namespace cairn::telemetry {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct WebhookSender::State {
  State(asio::io_context& io) : timer(io) {}
  std::string name;
  HttpUrl url;
  WebhookSenderOptions options;
  const Clock* clock = nullptr;
  std::function<void(const std::string&)> log;

  struct Item {
    std::string body;
    SteadyTime queued_at;
  };
  std::deque<Item> queue;
  bool running = false;                 // a delivery coroutine is working through the queue
  bool stopped = false;                 // the sender is gone: the coroutine ends at its next step
  asio::steady_timer timer;             // the back-off wait
  beast::tcp_stream* stream = nullptr;  // the attempt in flight, to cancel at shutdown
  WebhookStats stats;

  void Log(const std::string& line) {
    if (log) log("alerts: receiver " + name + ": " + line);
  }
};

namespace {

using State = WebhookSender::State;

struct AttemptResult {
  int status = 0;     // the HTTP status, 0 when there was no answer
  std::string error;  // why there was no answer
};

// One POST. Connecting, writing and reading the header share one deadline; resolving has
// none of its own (a receiver named by address, as on loopback, needs no lookup).
asio::awaitable<AttemptResult> Attempt(std::shared_ptr<State> state, const std::string& body) {
  auto executor = co_await asio::this_coro::executor;
  beast::error_code ec;
  tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(state->url.host, state->url.port,
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return AttemptResult{0, "cannot resolve " + state->url.host + ": " + ec.message()};
  if (state->stopped) co_return AttemptResult{0, "stopped"};
  beast::tcp_stream stream(executor);
  state->stream = &stream;
  struct Unregister {
    State* s;
    ~Unregister() { s->stream = nullptr; }
  } unregister{state.get()};
  stream.expires_after(state->options.attempt_timeout);
  co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec == beast::error::timeout) co_return AttemptResult{0, "connecting timed out"};
  if (ec) co_return AttemptResult{0, "cannot connect: " + ec.message()};

  http::request<http::string_body> req{http::verb::post, state->url.target, 11};
  req.set(http::field::host, state->url.host + ":" + state->url.port);
  req.set(http::field::user_agent, std::string("cairn/") + CAIRN_VERSION);
  req.set(http::field::content_type, "application/json");
  req.set(http::field::connection, "close");
  req.body() = body;
  req.prepare_payload();
  co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec == beast::error::timeout) co_return AttemptResult{0, "sending timed out"};
  if (ec) co_return AttemptResult{0, "sending: " + ec.message()};

  // Only the status matters; the header is read and the connection closed.
  beast::flat_buffer buffer;
  http::response_parser<http::empty_body> parser;
  co_await http::async_read_header(stream, buffer, parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec == beast::error::timeout) {
    co_return AttemptResult{0,
                            "no answer within " + FormatDuration(state->options.attempt_timeout)};
  }
  if (ec) co_return AttemptResult{0, "reading the answer: " + ec.message()};
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  co_return AttemptResult{static_cast<int>(parser.get().result_int()), ""};
}

// Works through the queue in order, one notification at a time, then ends.
asio::awaitable<void> Deliver(std::shared_ptr<State> state) {
  while (!state->stopped && !state->queue.empty()) {
    int attempt = 0;
    for (;;) {
      if (state->stopped || state->queue.empty()) break;
      State::Item& item = state->queue.front();
      ++attempt;
      ++state->stats.attempts;
      std::string body = item.body;  // the queue may move while the attempt is in flight
      SteadyTime queued_at = item.queued_at;
      AttemptResult result = co_await Attempt(state, body);
      if (state->stopped) co_return;
      // A full queue may have pushed this notification out while it was in flight.
      bool still_front = !state->queue.empty() && state->queue.front().queued_at == queued_at &&
                         state->queue.front().body == body;
      DeliveryOutcome outcome = ClassifyDelivery(result.status);
      if (outcome == DeliveryOutcome::kDelivered) {
        ++state->stats.delivered;
        if (attempt > 1) state->Log("delivered after " + std::to_string(attempt) + " attempts");
        if (still_front) state->queue.pop_front();
        break;
      }
      std::string why =
          result.status ? "answered HTTP " + std::to_string(result.status) : result.error;
      if (outcome == DeliveryOutcome::kDrop) {
        ++state->stats.given_up;
        state->Log(why + "; dropping the notification (sending it again would not help)");
        if (still_front) state->queue.pop_front();
        break;
      }
      if (!still_front) break;
      Duration delay = RetryDelay(attempt, state->options.backoff);
      if (state->clock->Now() + delay - queued_at > state->options.max_age) {
        ++state->stats.given_up;
        state->Log(why + "; giving the notification up after " + std::to_string(attempt) +
                   " attempts over " + FormatDuration(state->options.max_age));
        state->queue.pop_front();
        break;
      }
      state->Log(why + "; retrying in " + FormatDuration(delay) + " (attempt " +
                 std::to_string(attempt) + ")");
      beast::error_code ec;
      state->timer.expires_after(delay);
      co_await state->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
}

}  // namespace

WebhookSender::WebhookSender(asio::io_context& io, std::string name, HttpUrl url,
                             WebhookSenderOptions options, const Clock* clock,
                             std::function<void(const std::string&)> log)
    : io_(io), state_(std::make_shared<State>(io)) {
  state_->name = std::move(name);
  state_->url = std::move(url);
  state_->options = options;
  state_->clock = clock;
  state_->log = std::move(log);
}

WebhookSender::~WebhookSender() {
  state_->stopped = true;
  state_->timer.cancel();
  if (state_->stream) state_->stream->cancel();
}

void WebhookSender::Send(std::string body) {
  if (state_->queue.size() >= state_->options.queue_capacity) {
    ++state_->stats.given_up;
    state_->Log("queue full (" + std::to_string(state_->options.queue_capacity) +
                " notifications); giving the oldest up");
    state_->queue.pop_front();
  }
  state_->queue.push_back({std::move(body), state_->clock->Now()});
  if (state_->running) return;
  state_->running = true;
  // Ends with running = false whatever happens, so the next Send starts a new one.
  asio::co_spawn(io_, Deliver(state_),
                 [state = state_](std::exception_ptr) { state->running = false; });
}

WebhookStats WebhookSender::stats() const { return state_->stats; }
size_t WebhookSender::queued() const { return state_->queue.size(); }

}  // namespace cairn::telemetry
