// TcpSession: a TCP listener picks a backend per connection (version by weight, backend by the
// service's balancer, retried on connect failure) and tunnels bytes both ways (tunnel.h) until
// both directions end, either side fails, or nothing moved for tcp_idle_timeout.
// clang-format off
// Before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format on
#include "router/io_util.h"
#include "router/tunnel.h"
#include "router/worker.h"

namespace cairn::router {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using boost::system::error_code;

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
  OpTimer timer(worker);
  std::vector<std::string> exclude;
  for (int attempt = 1; version; ++attempt) {
    const Backend* backend = worker.routing().ChooseBackend(*service, *version, exclude);
    if (!backend) break;
    BackendStats& stats =
        worker.stats().For(service->service, version->version, backend->instance_id);
    StatsHold hold(stats);  // held across the connect and the tunnel
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
    SteadyTime start = worker.clock()->Now();
    TunnelOptions tunnel;
    tunnel.idle_timeout = worker.options().tcp_idle_timeout;
    TunnelResult result = co_await RunTunnel(std::move(client), std::move(up), tunnel);
    if (result.end == TunnelEnd::kIdleTimeout) {
      worker.stats().CountTimeout(TimeoutKind::kTunnelIdle);
    }
    stats.bytes_in += result.client_to_upstream;
    stats.bytes_out += result.upstream_to_client;
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
