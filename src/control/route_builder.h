// BuildRouteTable: the controller's view of the world turned into what the router serves.
// Pure: the controller calls it whenever instances or health change and publishes the result.
//
// One listener per declared service port; one version per revision that has routable
// instances, oldest first; a backend per instance that is healthy and not draining. With the
// rolling strategy every healthy instance takes an equal share, so a version's weight is its
// share of the service's routable instances (in basis points, summing to exactly 10000). A
// progressive rollout sets its split explicitly (TrafficSplit).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "router/route_table.h"
#include "spec/spec.h"

namespace cairn::control {

struct RoutedInstance {
  std::string id;
  std::string service;
  int64_t revision = 0;
  int port = 0;  // the instance's own $PORT
  bool healthy = false;
  bool draining = false;  // about to be stopped: no new requests
};

// A progressive rollout's split of one service (canary, blue-green), as its machine decided
// (src/rollout): instead of weights proportional to instance counts, the new revision gets
// exactly `new_weight_bp`, and every other revision (the stable template's instances may carry
// several revision numbers when later revisions left the service unchanged) shares the rest
// in proportion to its routable instances.
struct TrafficSplit {
  int64_t new_revision = 0;
  uint32_t new_weight_bp = 0;
  // Sticky users (a header or cookie), so a user moved to the new version stays there.
  router::CohortPolicy cohort;
  // Port name -> preview listen port: a listener that serves only the new revision.
  std::map<std::string, int> preview_ports;
};

// `splits` by service name; services without one are weighed by healthy instances.
router::RouteTable BuildRouteTable(const spec::EnvironmentSpec& spec,
                                   const std::vector<RoutedInstance>& instances,
                                   uint64_t generation,
                                   const std::map<std::string, TrafficSplit>& splits = {});

// The name of the route-table service that serves a service's preview listeners.
std::string PreviewServiceName(const std::string& service);

// Splits 10000 basis points in proportion to `counts` (largest remainder), so the parts
// always sum to 10000 when any count is positive, and to 0 when all are zero.
std::vector<uint32_t> ProportionalWeights(const std::vector<int>& counts);

}  // namespace cairn::control
