// BuildRouteTable: the controller's view of the world turned into what the router serves.
// Pure: the controller calls it whenever instances or health change and publishes the result.
//
// One listener per declared service port; one version per revision that has routable
// instances, oldest first; a backend per instance that is healthy and not draining. With the
// rolling strategy every healthy instance takes an equal share, so a version's weight is its
// share of the service's routable instances (in basis points, summing to exactly 10000).
#pragma once

#include <cstdint>
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

router::RouteTable BuildRouteTable(const spec::EnvironmentSpec& spec,
                                   const std::vector<RoutedInstance>& instances,
                                   uint64_t generation);

// Splits 10000 basis points in proportion to `counts` (largest remainder), so the parts
// always sum to 10000 when any count is positive, and to 0 when all are zero.
std::vector<uint32_t> ProportionalWeights(const std::vector<int>& counts);

}  // namespace cairn::control
