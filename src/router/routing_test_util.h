// Builders for route tables in the routing unit tests (test-only; no .cc, not in the library).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "router/route_table.h"

namespace cairn::router::testing {

struct VersionSpec {
  std::string name;
  uint32_t weight_bp;
  int backends = 2;
  bool healthy = true;
};

// Versions in the order given (oldest first); backends are "<version>-<i>" on ports 9000+.
inline ServiceRoute MakeService(const std::string& name, const std::vector<VersionSpec>& specs,
                                BalancerKind balancer = BalancerKind::kLeastRequest) {
  ServiceRoute service;
  service.service = name;
  service.balancer = balancer;
  int port = 9000;
  for (const VersionSpec& spec : specs) {
    VersionRoute v;
    v.version = spec.name;
    v.weight_bp = spec.weight_bp;
    for (int i = 0; i < spec.backends; ++i) {
      Backend b;
      b.instance_id = spec.name + "-" + std::to_string(i);
      b.port = port++;
      b.healthy = spec.healthy;
      v.backends.push_back(b);
    }
    service.versions.push_back(std::move(v));
  }
  return service;
}

inline RouteTable MakeTable(uint64_t generation, std::vector<ServiceRoute> services) {
  RouteTable table;
  table.generation = generation;
  table.services = std::move(services);
  return table;
}

}  // namespace cairn::router::testing
