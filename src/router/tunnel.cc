#include "router/tunnel.h"

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <string>

namespace cairn::router {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using boost::system::error_code;
// Activity is stamped with the timer's own clock, not the injected Clock: the deadline is
// waited for by a real steady_timer, which a fake Clock could not move.
using TimerClock = asio::steady_timer::clock_type;

constexpr size_t kBufferSize = 16 * 1024;

struct Direction {
  std::string initial;  // sent before the first read; freed once sent
  std::array<char, kBufferSize> buffer;
  uint64_t bytes = 0;
};

// Shared by the two pumps and the watcher (RunTunnel). Each holds a reference, so whichever
// frame the io_context destroys last (on worker shutdown) frees it.
struct TunnelState {
  TunnelState(tcp::socket c, tcp::socket u)
      : client(std::move(c)), upstream(std::move(u)), timer(client.get_executor()) {}

  void CloseBoth() {
    error_code ignored;
    client.close(ignored);
    upstream.close(ignored);
  }
  // A pump saw an error: the tunnel cannot be trusted either way any more.
  void Fail() {
    failed = true;
    CloseBoth();
  }

  tcp::socket client;
  tcp::socket upstream;
  // The one timer: wakes the watcher at the idle deadline, and is cancelled by the last pump
  // to end so the watcher returns.
  asio::steady_timer timer;
  TimerClock::time_point last_activity;
  int open_directions = 2;
  bool failed = false;
  bool idle = false;
  Direction to_upstream;
  Direction to_client;
};

// Sends `d.initial`, then copies `from` to `to` until EOF (passed on as shutdown(send)) or an
// error (both sockets closed). Stamps last_activity after every read and write.
awaitable<void> Pump(std::shared_ptr<TunnelState> s, tcp::socket& from, tcp::socket& to,
                     Direction& d) {
  error_code ec;
  if (!d.initial.empty()) {
    d.bytes += co_await asio::async_write(to, asio::buffer(d.initial),
                                          asio::redirect_error(asio::use_awaitable, ec));
    s->last_activity = TimerClock::now();
    std::string().swap(d.initial);
    if (ec) s->Fail();
  }
  while (!ec) {
    size_t n = co_await from.async_read_some(asio::buffer(d.buffer),
                                             asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::eof) {
      error_code ignored;  // a peer already gone shows up as an error on the other pump
      to.shutdown(tcp::socket::shutdown_send, ignored);
      break;
    }
    if (ec) {
      s->Fail();
      break;
    }
    s->last_activity = TimerClock::now();
    d.bytes += co_await asio::async_write(to, asio::buffer(d.buffer.data(), n),
                                          asio::redirect_error(asio::use_awaitable, ec));
    s->last_activity = TimerClock::now();
    if (ec) s->Fail();
  }
  if (--s->open_directions == 0) s->timer.cancel();
}

}  // namespace

const char* TunnelEndName(TunnelEnd end) {
  switch (end) {
    case TunnelEnd::kClosed:
      return "closed";
    case TunnelEnd::kError:
      return "error";
    case TunnelEnd::kIdleTimeout:
      return "idle_timeout";
  }
  return "unknown";
}

awaitable<TunnelResult> RunTunnel(tcp::socket client, tcp::socket upstream, TunnelOptions options) {
  auto s = std::make_shared<TunnelState>(std::move(client), std::move(upstream));
  s->to_upstream.initial.assign(options.to_upstream);
  s->to_client.initial.assign(options.to_client);
  s->last_activity = TimerClock::now();
  auto ex = co_await asio::this_coro::executor;
  asio::co_spawn(ex, Pump(s, s->client, s->upstream, s->to_upstream), asio::detached);
  asio::co_spawn(ex, Pump(s, s->upstream, s->client, s->to_client), asio::detached);

  // The watcher: sleeps until the idle deadline, moving it forward while the pumps report
  // activity, and returns once both pumps have ended (the last one cancels the wait).
  const bool has_timeout = options.idle_timeout.count() > 0;
  while (s->open_directions > 0) {
    TimerClock::time_point deadline = TimerClock::time_point::max();
    if (has_timeout && !s->idle) deadline = s->last_activity + options.idle_timeout;
    if (deadline <= TimerClock::now()) {
      s->idle = true;
      s->CloseBoth();  // the pumps end with operation_aborted and the loop waits for them
      continue;
    }
    s->timer.expires_at(deadline);
    error_code ec;
    co_await s->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  s->CloseBoth();

  TunnelResult result;
  result.end = s->idle     ? TunnelEnd::kIdleTimeout
               : s->failed ? TunnelEnd::kError
                           : TunnelEnd::kClosed;
  result.client_to_upstream = s->to_upstream.bytes;
  result.upstream_to_client = s->to_client.bytes;
  co_return result;
}

}  // namespace cairn::router
