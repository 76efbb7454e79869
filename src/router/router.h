// The router module's face: an HTTP/1.1 and TCP reverse proxy serving an immutable RouteTable.
//
// What it owns: listeners, client connections, upstream connection pools, per-worker routing
// state and counters. What it must never do: read a spec, block an event loop, share mutable
// state between workers, or cut a client keep-alive connection in the middle of a request.
//
// Threading: N workers, each one thread with its own io_context and its own SO_REUSEPORT
// acceptor per listener, so a connection lives and dies on one worker. Publish, Stats,
// ListenerPort and Stop may be called from any thread except a worker's.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/units.h"
#include "router/access_log.h"
#include "router/http_request.h"
#include "router/route_table.h"
#include "router/router_stats.h"
#include "router/routing_state.h"

namespace cairn::router {

struct RouterOptions {
  // Worker threads; 0 means std::thread::hardware_concurrency().
  int workers = 0;
  // Request head limits (64 KiB head, 100 headers, 8 KiB target).
  HttpLimits limits;
  // Connecting to an upstream; past it the request is retried or answered 502.
  Duration connect_timeout{2000};
  // From the request being sent to the first response byte, and between response body reads;
  // past it the answer is 504 (or the connection is cut mid-body).
  Duration first_byte_timeout{30000};
  // A keep-alive client connection waiting for its next request (also bounds client body
  // reads and writes to a stalled client): closed quietly.
  Duration client_idle_timeout{60000};
  // From the first byte of a request head to its end (slowloris): answered 408.
  Duration head_timeout{10000};
  // A pooled idle upstream connection is closed after this; below the keep-alive timeout of
  // typical backends (nginx 75 s, Node 5 s is the exception), so the router closes first.
  Duration upstream_idle_timeout{30000};
  // A TCP-listener connection, or an HTTP connection that switched protocols (WebSocket), on
  // which no byte moved either way for this long is closed at both ends and counted as
  // timeout_tunnel_idle; zero never closes it. Without it a peer that
  // vanished without a FIN or RST holds the connection forever. 10 min is nginx's stream
  // proxy_timeout default; HAProxy's `timeout tunnel` has none and its manual shows 1 h. It is
  // far above the keepalive pings of database, cache and SSH clients, so live connections that
  // merely wait are not cut, and a service moved from behind nginx keeps its behaviour.
  Duration tcp_idle_timeout{600000};
  // The counters of an instance whose version left the route table are kept this long (for
  // `cairn traffic` after a rollout), then dropped once nothing uses them, so a router that
  // served a thousand versions does not keep a thousand versions' counters.
  Duration stats_retention{600000};
  // Idle upstream connections kept per backend per worker.
  size_t max_idle_per_backend = 64;
  // Tries per request including the first (retries also need the RoutingState budget).
  int max_attempts = 3;
  // Outlier detection and retry budget, per worker.
  RoutingOptions routing;
  // Access lines of listeners with access_log on: format, destination, batching.
  AccessLogOptions access_log;
  // Seed of the per-worker routing randomness (worker i uses seed + i); 0 picks one at random.
  uint64_t seed = 0;
  // Client connections open at once over every listener, and on one listener; a connection
  // past either is refused at once (an HTTP one gets a 503) and counted as the violation
  // connection_limit. 0 is no cap. `cairn server` sets both from its descriptor budget
  // (core/descriptors.h), so a flood of idle connections on one port cannot take the
  // descriptors the other ports, the API and the health probes need.
  int64_t max_connections = 0;
  int64_t max_connections_per_listener = 0;
};

// A listening TCP socket an earlier cairn server handed over (cli/handoff.h), and the address
// it is bound to.
struct InheritedSocket {
  std::string host;
  int port = 0;
  int fd = -1;
};

// The sockets one open listener accepts on: one per worker, each a member of the port's
// SO_REUSEPORT group, each with its own queue of connections not yet accepted.
struct ListenerSockets {
  std::string name;
  std::string host;
  int port = 0;
  std::vector<int> fds;  // still the router's: a receiver gets duplicates (SCM_RIGHTS)
};

class Worker;
struct TableSlot;
struct ConnectionLimits;
struct ListenerSet;

class Router {
 public:
  // Starts the workers; no listener is open until the first Publish.
  Router(RouterOptions options, const Clock* clock);
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Makes `table` the one every new request is routed by (one atomic pointer store), opens the
  // listeners it adds and closes those it removes (their open connections finish). Backends
  // absent from `table` get no new requests; their idle pooled connections close. Fails, with
  // the previous table still in force, when a new listener cannot be bound.
  Status Publish(RouteTableSnapshot table);

  // Before the first Publish: listening sockets to accept on instead of binding anew. A
  // listener on the same host and port takes every one of them (each may hold queued
  // connections), spread over the workers; workers left without one bind a fresh socket into
  // the port's SO_REUSEPORT group. The first table published closes those no listener took.
  // The router owns the descriptors from here on.
  void Inherit(std::vector<InheritedSocket> sockets);

  // Every open listener's sockets, for handing over to a next server.
  std::vector<ListenerSockets> Sockets() const;

  // For a hand-over, once the next server holds the sockets: stops accepting (this process's
  // descriptors close, the sockets live on in the next server, so a new connection waits in
  // its queue instead of being refused), closes idle keep-alive connections (one whose next
  // request already arrived is served first) and answers every request in progress with
  // `Connection: close`. TCP sessions run until they end or Stop. Publish opens no listener
  // afterwards. Stats().active_client_connections says when every client is gone.
  void Drain();

  // Closes everything and joins the workers. Idempotent.
  void Stop();

  // The sum of every worker's counters.
  RouterStats Stats() const;

  // The port the listener named `name` is bound to (the real one when it asked for port 0);
  // 0 when no such listener is open.
  int ListenerPort(const std::string& name) const;

  int worker_count() const;

 private:
  RouterOptions options_;
  const Clock* clock_;
  std::unique_ptr<TableSlot> slot_;
  // Before workers_: the sessions a stopped worker's io_context destroys still hold places.
  std::unique_ptr<ConnectionLimits> limits_;
  std::vector<std::unique_ptr<Worker>> workers_;
  mutable std::mutex mu_;  // serializes Publish, Stop and the listener set
  std::unique_ptr<ListenerSet> listeners_;
  std::vector<InheritedSocket> inherited_;  // until the first Publish
  bool stopped_ = false;
  bool draining_ = false;
};

}  // namespace cairn::router
