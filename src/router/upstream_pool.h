// UpstreamPool: one worker's idle keep-alive connections to backends, keyed by instance (and
// checked against the instance's address, should a table ever move it). Worker thread only. A
// connection is handed out at most once (LIFO, the freshest first), checked for a peer close before
// reuse, and closed when idle longer than the idle timeout or when its backend leaves the route
// table.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <string_view>
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
  // The address it was opened to.
  std::string host;
  int port = 0;
};

class UpstreamPool {
 public:
  UpstreamPool(Duration idle_timeout, size_t max_idle_per_backend)
      : idle_timeout_(idle_timeout), max_idle_(max_idle_per_backend) {}

  // An idle connection to `backend` that is still open, or nullptr. Whether the peer closed it
  // costs a syscall to ask; `retriable` says the request can go elsewhere if the connection
  // turns out dead, and then a connection idle for less than kFreshIdle is not asked: under
  // load that is most requests, and a backend does not time out a connection it used a
  // moment ago.
  std::unique_ptr<UpstreamConn> Take(const Backend& backend, SteadyTime now, bool retriable);
  static constexpr Duration kFreshIdle{250};
  // Returns a connection to `backend` whose last exchange ended cleanly.
  void Put(const Backend& backend, std::unique_ptr<UpstreamConn> conn, SteadyTime now);
  // Closes connections idle past the timeout and those whose backend `table` no longer has.
  void Prune(const RouteTable* table, SteadyTime now);
  void Clear() { idle_.clear(); }
  size_t IdleCount() const;

 private:
  Duration idle_timeout_;
  size_t max_idle_;
  // Looked up by string_view: a request costs no key string.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::vector<std::unique_ptr<UpstreamConn>>, KeyHash,
                     std::equal_to<>>
      idle_;
};

}  // namespace cairn::router
