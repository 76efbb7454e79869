#include "router/router.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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
    std::vector<int> fds;  // the workers' acceptors' descriptors, open while the entry is
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

// An inherited descriptor as an acceptor of `io`, when it is a TCP socket bound to `port`
// (anything else was not what the earlier server said it was: not used, left to be closed).
std::unique_ptr<tcp::acceptor> AdoptAcceptor(asio::io_context& io, const asio::ip::address& address,
                                             int fd, int port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return nullptr;
  int bound = 0;
  if (addr.ss_family == AF_INET && !address.is_v6()) {
    bound = ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  } else if (addr.ss_family == AF_INET6 && address.is_v6()) {
    bound = ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  }
  if (bound != port) return nullptr;
  auto acceptor = std::make_unique<tcp::acceptor>(io);
  boost::system::error_code ec;
  acceptor->assign(address.is_v6() ? tcp::v6() : tcp::v4(), fd, ec);
  if (ec) return nullptr;
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

  if (draining_) return MakeError(ErrorCode::kUnavailable, "the router is draining");

  // Bind every new listener first, so a failure leaves the running state untouched.
  struct Pending {
    ListenerRoute route;
    int bound_port;
    std::vector<std::pair<size_t, std::unique_ptr<tcp::acceptor>>> acceptors;  // worker, socket
    std::vector<int> inherited;  // descriptors of `acceptors` taken from inherited_
  };
  std::vector<Pending> to_open;
  // A failure gives the inherited sockets back untouched (released, not closed): connections
  // may be queued on them, and the next table may take them.
  auto give_back = [&](Pending& p) {
    for (auto& [worker, acceptor] : p.acceptors) {
      int fd = acceptor->native_handle();
      if (std::find(p.inherited.begin(), p.inherited.end(), fd) == p.inherited.end()) continue;
      boost::system::error_code ignored;
      inherited_.push_back(InheritedSocket{p.route.host, p.route.port, acceptor->release(ignored)});
    }
  };
  auto fail = [&](Error e) {
    for (Pending& p : to_open) give_back(p);
    return e;
  };
  std::vector<std::string> to_close;
  for (const ListenerRoute& l : table->listeners) {
    auto it = listeners_->open.find(l.name);
    if (it != listeners_->open.end() && SameListener(it->second.route, l)) continue;
    if (it != listeners_->open.end()) to_close.push_back(l.name);
    boost::system::error_code ec;
    asio::ip::address address = asio::ip::make_address(l.host, ec);
    if (ec) {
      return fail(MakeError(ErrorCode::kInvalidArgument,
                            "listener host is not an IP address: " + l.host, l.name));
    }
    to_open.push_back(Pending{l, l.port, {}, {}});
    Pending& p = to_open.back();
    // Inherited sockets of this address first, spread over the workers.
    if (l.port != 0) {
      for (auto s = inherited_.begin(); s != inherited_.end();) {
        boost::system::error_code host_ec;
        bool same = s->port == l.port && asio::ip::make_address(s->host, host_ec) == address;
        std::unique_ptr<tcp::acceptor> acceptor;
        if (same && !host_ec) {
          size_t worker = p.acceptors.size() % workers_.size();
          acceptor = AdoptAcceptor(workers_[worker]->io(), address, s->fd, l.port);
          if (acceptor) {
            p.inherited.push_back(s->fd);
            p.acceptors.emplace_back(worker, std::move(acceptor));
            s = inherited_.erase(s);
            continue;
          }
        }
        ++s;
      }
    }
    // Workers an inherited socket is not left for accept on a copy of one: binding a fresh
    // member of the port's SO_REUSEPORT group instead would give it a queue of its own, and
    // whatever queued there when this server ends (a socket-activated restart) is reset.
    for (size_t k = 0, inherited = p.acceptors.size();
         inherited > 0 && p.acceptors.size() < workers_.size(); ++k) {
      size_t worker = p.acceptors.size();
      int copy = ::fcntl(p.inherited[k % inherited], F_DUPFD_CLOEXEC, 0);
      auto acceptor =
          copy < 0 ? nullptr : AdoptAcceptor(workers_[worker]->io(), address, copy, l.port);
      if (!acceptor) {
        if (copy >= 0) ::close(copy);
        return fail(MakeError(ErrorCode::kUnavailable,
                              "cannot share an inherited socket of port " + std::to_string(l.port),
                              l.name));
      }
      p.acceptors.emplace_back(worker, std::move(acceptor));
    }
    for (size_t worker = p.acceptors.size(); worker < workers_.size(); ++worker) {
      auto acceptor = OpenAcceptor(workers_[worker]->io(),
                                   tcp::endpoint(address, static_cast<uint16_t>(p.bound_port)));
      if (!acceptor.ok()) {
        Error e = acceptor.error();
        e.context = l.name;
        return fail(std::move(e));
      }
      // Port 0 on the first worker picks a port; the others share it through SO_REUSEPORT.
      p.bound_port = (*acceptor)->local_endpoint().port();
      p.acceptors.emplace_back(worker, std::move(*acceptor));
    }
  }
  // Sockets no listener of the first table wants: nobody would ever accept what queues there.
  for (const InheritedSocket& s : inherited_) ::close(s.fd);
  inherited_.clear();
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
    std::vector<int> fds;
    for (auto& [worker, acceptor] : p.acceptors) {
      fds.push_back(acceptor->native_handle());
      workers_[worker]->AddListener(p.route.name, p.route.protocol, p.route.service,
                                    std::move(acceptor), limit.get(), &limits_->total);
    }
    listeners_->open[p.route.name] = ListenerSet::Open{p.route, p.bound_port, std::move(fds)};
  }
  for (auto& w : workers_) w->Refresh();
  return OkStatus();
}

void Router::Inherit(std::vector<InheritedSocket> sockets) {
  std::lock_guard<std::mutex> lock(mu_);
  for (InheritedSocket& s : sockets) inherited_.push_back(std::move(s));
}

std::vector<ListenerSockets> Router::Sockets() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ListenerSockets> out;
  for (const auto& [name, open] : listeners_->open) {
    out.push_back(ListenerSockets{name, open.route.host, open.bound_port, open.fds});
  }
  return out;
}

void Router::Drain() {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_ || draining_) return;
  draining_ = true;
  for (auto& w : workers_) w->Drain();
  listeners_->open.clear();
}

void Router::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_) return;
  stopped_ = true;
  for (auto& w : workers_) w->Stop();
  listeners_->open.clear();
  for (const InheritedSocket& s : inherited_) ::close(s.fd);
  inherited_.clear();
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
