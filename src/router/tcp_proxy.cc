// TcpSession: a TCP listener picks a backend per connection (version by weight, backend by the
// service's balancer, retried on connect failure) and splices bytes both ways until both
// directions end. A half-close is passed on as a half-close.
// clang-format off
// Before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format on
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "router/io_util.h"
#include "router/worker.h"

namespace cairn::router {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using boost::system::error_code;

struct Splice {
  Splice(tcp::socket c, tcp::socket u) : client(std::move(c)), upstream(std::move(u)) {}
  tcp::socket client;
  tcp::socket upstream;
  int open_directions = 2;
};

// Copies `from` to `to` until EOF (then half-closes `to`) or an error (then closes both).
awaitable<void> Pump(std::shared_ptr<Splice> splice, tcp::socket& from, tcp::socket& to,
                     uint64_t* bytes) {
  std::vector<char> buf(16 * 1024);
  for (;;) {
    error_code ec;
    size_t n = co_await from.async_read_some(asio::buffer(buf),
                                             asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::eof) {
      to.shutdown(tcp::socket::shutdown_send, ec);
      break;
    }
    if (ec) {
      splice->client.close(ec);
      splice->upstream.close(ec);
      break;
    }
    co_await asio::async_write(to, asio::buffer(buf.data(), n),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      splice->client.close(ec);
      splice->upstream.close(ec);
      break;
    }
    *bytes += n;
  }
}

awaitable<void> PumpAndSignal(std::shared_ptr<Splice> splice,
                              std::shared_ptr<asio::steady_timer> done, uint64_t* bytes) {
  co_await Pump(splice, splice->client, splice->upstream, bytes);
  if (--splice->open_directions == 0) done->cancel();
}

}  // namespace

awaitable<void> TcpSession(Worker& worker, tcp::socket client, std::string listener,
                           std::string service_name) {
  worker.stats().ClientOpened();
  RouteTableSnapshot table = worker.Table();
  const ServiceRoute* service = nullptr;
  if (table) {
    for (const ListenerRoute& l : table->listeners) {
      if (l.name == listener) service_name = l.service;
    }
    service = table->FindService(service_name);
  }
  const VersionRoute* version =
      service ? worker.routing().ChooseVersion(*table, *service, {}) : nullptr;
  OpTimer timer(client.get_executor());
  std::vector<std::string> exclude;
  for (int attempt = 1; version; ++attempt) {
    const Backend* backend = worker.routing().ChooseBackend(*service, *version, exclude);
    if (!backend) break;
    BackendStats& stats =
        worker.stats().For(service->service, version->version, backend->instance_id);
    worker.routing().OnRequestStart(*backend);
    error_code ec;
    tcp::socket up(client.get_executor());
    asio::ip::address address = asio::ip::make_address(backend->host, ec);
    if (!ec) {
      co_await Connect(up, tcp::endpoint(address, static_cast<uint16_t>(backend->port)), timer,
                       worker.options().connect_timeout, ec);
    }
    if (ec) {
      if (timer.fired()) worker.stats().CountTimeout(TimeoutKind::kConnect);
      if (worker.routing().OnRequestEnd(*backend, RequestOutcome::kConnectFailure)) {
        ++stats.ejections;
      }
      exclude.push_back(backend->instance_id);
      if (attempt < worker.options().max_attempts && worker.routing().TryAcquireRetry()) {
        ++stats.retries;
        continue;
      }
      ++stats.requests[static_cast<int>(StatusClass::kError)];
      break;
    }
    ++stats.active_connections;
    auto splice = std::make_shared<Splice>(std::move(client), std::move(up));
    SteadyTime start = worker.clock()->Now();
    // Both directions run on this worker; the second one runs inside this coroutine, the
    // first is spawned and keeps the splice alive through its own reference.
    uint64_t in = 0, out = 0;
    auto done = std::make_shared<asio::steady_timer>(splice->client.get_executor(),
                                                     asio::steady_timer::time_point::max());
    asio::co_spawn(splice->client.get_executor(), PumpAndSignal(splice, done, &in), asio::detached);
    co_await Pump(splice, splice->upstream, splice->client, &out);
    if (--splice->open_directions > 0) {
      error_code wait_ec;
      co_await done->async_wait(asio::redirect_error(asio::use_awaitable, wait_ec));
    }
    stats.bytes_in += in;
    stats.bytes_out += out;
    ++stats.requests[static_cast<int>(StatusClass::k2xx)];
    stats.latency.Record(
        std::chrono::duration_cast<std::chrono::microseconds>(worker.clock()->Now() - start));
    --stats.active_connections;
    worker.routing().OnRequestEnd(*backend, RequestOutcome::kSuccess);
    worker.stats().ClientClosed();
    co_return;
  }
  worker.stats().CountNoBackend();
  worker.stats().ClientClosed();
}

}  // namespace cairn::router
