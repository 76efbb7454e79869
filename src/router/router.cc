#include "router/router.h"

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <map>
#include <random>
#include <thread>

#include "router/worker.h"

namespace cairn::router {

namespace asio = boost::asio;
using asio::ip::tcp;

// The open listeners, by name. Guarded by Router::mu_.
struct ListenerSet {
  struct Open {
    ListenerRoute route;  // as published (port may be 0)
    int bound_port = 0;
  };
  std::map<std::string, Open> open;
};

// The connection caps (RouterOptions::max_connections*). A listener's limit stays when the
// listener closes, for the connections it still has; there is one per listener name ever
// published, a handful. Guarded by Router::mu_ (the map; the limits are atomic).
struct ConnectionLimits {
  explicit ConnectionLimits(int64_t total_max) : total(total_max) {}
  ConnectionLimit total;
  std::map<std::string, std::unique_ptr<ConnectionLimit>> per_listener;
};

namespace {

using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

Result<std::unique_ptr<tcp::acceptor>> OpenAcceptor(asio::io_context& io, const tcp::endpoint& ep) {
  auto acceptor = std::make_unique<tcp::acceptor>(io);
  boost::system::error_code ec;
  acceptor->open(ep.protocol(), ec);
  if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor->set_option(ReusePort(true), ec);
  if (!ec) acceptor->bind(ep, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return MakeError(ErrorCode::kUnavailable, "cannot listen on " + ep.address().to_string() + ":" +
                                                  std::to_string(ep.port()) + ": " + ec.message());
  }
  return acceptor;
}

bool SameListener(const ListenerRoute& a, const ListenerRoute& b) {
  return a.host == b.host && a.port == b.port && a.protocol == b.protocol && a.service == b.service;
}

}  // namespace

Router::Router(RouterOptions options, const Clock* clock)
    : options_(std::move(options)),
      clock_(clock),
      slot_(std::make_unique<TableSlot>()),
      limits_(std::make_unique<ConnectionLimits>(
          options_.max_connections > 0 ? options_.max_connections : INT64_MAX)),
      listeners_(std::make_unique<ListenerSet>()) {
  if (options_.workers <= 0) {
    options_.workers = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  }
  if (options_.seed == 0) options_.seed = std::random_device{}() | 1;
  for (int i = 0; i < options_.workers; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, options_, clock_, slot_.get()));
  }
  for (auto& w : workers_) w->Start();
}

Router::~Router() { Stop(); }

int Router::worker_count() const { return static_cast<int>(workers_.size()); }

Status Router::Publish(RouteTableSnapshot table) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_) return MakeError(ErrorCode::kUnavailable, "the router is stopped");
  if (!table) return MakeError(ErrorCode::kInvalidArgument, "no route table to publish");

  // Bind every new listener first, so a failure leaves the running state untouched.
  struct Pending {
    ListenerRoute route;
    int bound_port;
    std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  };
  std::vector<Pending> to_open;
  std::vector<std::string> to_close;
  for (const ListenerRoute& l : table->listeners) {
    auto it = listeners_->open.find(l.name);
    if (it != listeners_->open.end() && SameListener(it->second.route, l)) continue;
    if (it != listeners_->open.end()) to_close.push_back(l.name);
    boost::system::error_code ec;
    asio::ip::address address = asio::ip::make_address(l.host, ec);
    if (ec) {
      return MakeError(ErrorCode::kInvalidArgument, "listener host is not an IP address: " + l.host,
                       l.name);
    }
    Pending p{l, l.port, {}};
    for (auto& w : workers_) {
      auto acceptor =
          OpenAcceptor(w->io(), tcp::endpoint(address, static_cast<uint16_t>(p.bound_port)));
      if (!acceptor.ok()) {
        Error e = acceptor.error();
        e.context = l.name;
        return e;
      }
      // Port 0 on the first worker picks a port; the others share it through SO_REUSEPORT.
      p.bound_port = (*acceptor)->local_endpoint().port();
      p.acceptors.push_back(std::move(*acceptor));
    }
    to_open.push_back(std::move(p));
  }
  for (const auto& [name, _] : listeners_->open) {
    bool kept = false;
    for (const ListenerRoute& l : table->listeners) kept = kept || l.name == name;
    if (!kept) to_close.push_back(name);
  }

  slot_->table.store(table, std::memory_order_release);
  slot_->generation.fetch_add(1, std::memory_order_acq_rel);

  for (const std::string& name : to_close) {
    for (auto& w : workers_) w->RemoveListener(name);
    listeners_->open.erase(name);
  }
  for (Pending& p : to_open) {
    std::unique_ptr<ConnectionLimit>& limit = limits_->per_listener[p.route.name];
    if (!limit) {
      int64_t max = options_.max_connections_per_listener;
      limit = std::make_unique<ConnectionLimit>(max > 0 ? max : INT64_MAX);
    }
    for (size_t i = 0; i < workers_.size(); ++i) {
      workers_[i]->AddListener(p.route.name, p.route.protocol, p.route.service,
                               std::move(p.acceptors[i]), limit.get(), &limits_->total);
    }
    listeners_->open[p.route.name] = ListenerSet::Open{p.route, p.bound_port};
  }
  for (auto& w : workers_) w->Refresh();
  return OkStatus();
}

void Router::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_) return;
  stopped_ = true;
  for (auto& w : workers_) w->Stop();
  listeners_->open.clear();
}

RouterStats Router::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  RouterStats out;
  for (auto& w : workers_) w->CollectStats(&out);
  return out;
}

int Router::ListenerPort(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = listeners_->open.find(name);
  return it == listeners_->open.end() ? 0 : it->second.bound_port;
}

}  // namespace cairn::router
