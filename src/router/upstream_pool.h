// UpstreamPool: one worker's idle keep-alive connections to backends, keyed by instance and
// address. Worker thread only. A connection is handed out at most once (LIFO, the freshest
// first), checked for a peer close before reuse, and closed when idle longer than the idle
// timeout or when its backend leaves the route table.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/units.h"
#include "router/route_table.h"
#include "router/router_stats.h"

namespace cairn::router {

struct UpstreamConn {
  UpstreamConn(boost::asio::ip::tcp::socket s, BackendStats* stats);
  ~UpstreamConn();
  boost::asio::ip::tcp::socket socket;
  BackendStats* stats;  // active_connections is decremented on destruction
  SteadyTime idle_since{};
  uint64_t uses = 0;
};

class UpstreamPool {
 public:
  UpstreamPool(Duration idle_timeout, size_t max_idle_per_backend)
      : idle_timeout_(idle_timeout), max_idle_(max_idle_per_backend) {}

  static std::string KeyOf(const Backend& backend);

  // An idle connection to `backend` that is still open, or nullptr.
  std::unique_ptr<UpstreamConn> Take(const std::string& key, SteadyTime now);
  // Returns a connection whose last exchange ended cleanly.
  void Put(const std::string& key, std::unique_ptr<UpstreamConn> conn, SteadyTime now);
  // Closes connections idle past the timeout and those whose backend `table` no longer has.
  void Prune(const RouteTable* table, SteadyTime now);
  void Clear() { idle_.clear(); }
  size_t IdleCount() const;

 private:
  Duration idle_timeout_;
  size_t max_idle_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<UpstreamConn>>> idle_;
};

}  // namespace cairn::router
