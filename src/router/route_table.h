// RouteTable: everything the router knows about where traffic goes — listeners, services,
// versions with their weights, and the instances of each version. It is an immutable
// snapshot: the controller builds a new one and publishes it with one atomic pointer swap
// (Router::Publish), so a weight change, a blue-green switch or an instance removal never
// reloads anything and never drops a connection. The router never sees a spec.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::router {

enum class ListenerProtocol { kHttp, kTcp };

// One address the router accepts connections on, and the service it serves.
struct ListenerRoute {
  std::string name;  // "<service>/<port name>", e.g. "web/http"
  std::string host = "127.0.0.1";
  int port = 0;
  ListenerProtocol protocol = ListenerProtocol::kHttp;
  std::string service;
  // One access log line per HTTP request (router/access_log.h). Read per request, so turning it
  // on or off takes effect with the next table, without reopening the listener.
  bool access_log = false;
};

// One upstream instance.
struct Backend {
  std::string instance_id;
  std::string host = "127.0.0.1";
  int port = 0;
  // Health as the controller last pushed it; unhealthy backends get no new requests.
  bool healthy = true;
};

// A version of a service ("revision 7") and the share of its traffic.
struct VersionRoute {
  std::string version;
  uint32_t weight_bp = 0;  // basis points, 0..10000; a service's versions sum to 10000
  std::vector<Backend> backends;
};

enum class CohortSource { kNone, kHeader, kCookie };

// When set, the same key (a user id header or cookie) always lands on the same version while
// weights only grow.
struct CohortPolicy {
  CohortSource source = CohortSource::kNone;
  std::string name;  // header or cookie name
};

enum class BalancerKind { kLeastRequest, kRoundRobin };

struct ServiceRoute {
  std::string service;
  // Ordered oldest first (stable, then newer). Cohort hashing gives the newest version the
  // lowest hash range, so users admitted at a small weight stay as the weight grows.
  std::vector<VersionRoute> versions;
  CohortPolicy cohort;
  BalancerKind balancer = BalancerKind::kLeastRequest;
};

struct RouteTable {
  uint64_t generation = 0;  // increases with every publish
  std::vector<ListenerRoute> listeners;
  std::vector<ServiceRoute> services;

  // nullptr when absent.
  const ServiceRoute* FindService(const std::string& name) const;
  // Whether any version of any service still routes to the instance.
  bool HasBackend(std::string_view instance_id) const;
};

using RouteTableSnapshot = std::shared_ptr<const RouteTable>;

}  // namespace cairn::router
