// Tunnel: copies bytes both ways between two connected sockets until both directions have
// ended, for TCP listeners (tcp_proxy.cc) and HTTP connections that switched protocols (an
// upstream's 101 to an Upgrade such as websocket: http_proxy.cc's SwitchProtocols). A
// half-close (EOF) read from one side is passed on as shutdown(send) to the other and the other
// direction keeps flowing; a read or write error on either side closes both. When no byte has
// moved either way for the idle timeout, both sockets are closed.
//
// The idle timeout costs one steady_timer per tunnel, not one per read: each read and write
// stores the time it completed, and the timer wakes at last activity + idle timeout, re-arming
// itself when something moved since it was set. On the HTTP path a timer armed and cancelled
// around every read is part of each read's measured round trip (docs/benchmarks.md, Router,
// Profile); a long-lived tunnel would pay it on every chunk.
//
// Threading: runs on the sockets' executor (one worker's io_context); both sockets must belong
// to it. Nothing is shared with other threads.
#pragma once

// clang-format off
// Before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format on
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <string_view>

#include "core/units.h"

namespace cairn::router {

struct TunnelOptions {
  // Both sockets are closed when no byte has moved in either direction for this long; zero
  // means never (a dead peer then holds the tunnel until the kernel notices, if ever).
  Duration idle_timeout{0};
  // Bytes the caller already read from one side and that belong to the other, e.g. what
  // followed an HTTP Upgrade head. They are sent before anything the tunnel reads itself and
  // count in the byte totals. Copied when the tunnel starts, so they must stay valid until the
  // awaitable returned by RunTunnel is first awaited (not until it completes).
  std::string_view to_upstream;
  std::string_view to_client;
};

enum class TunnelEnd {
  kClosed,       // both directions reached EOF and were passed on
  kError,        // a read or write failed on either side; both sockets were closed
  kIdleTimeout,  // nothing moved for idle_timeout; both sockets were closed
};
const char* TunnelEndName(TunnelEnd end);

struct TunnelResult {
  TunnelEnd end = TunnelEnd::kClosed;
  uint64_t client_to_upstream = 0;  // bytes written to the upstream, initial bytes included
  uint64_t upstream_to_client = 0;  // bytes written to the client, initial bytes included
};

// Runs the tunnel and completes once both directions have ended; the sockets are closed when
// it returns. `client` and `upstream` are symmetric except for the names of the counters and
// initial bytes. REQUIRES: both sockets open, connected and on the awaiting coroutine's
// executor.
boost::asio::awaitable<TunnelResult> RunTunnel(boost::asio::ip::tcp::socket client,
                                               boost::asio::ip::tcp::socket upstream,
                                               TunnelOptions options);

}  // namespace cairn::router
