#include "control/route_builder.h"

#include <algorithm>
#include <map>
#include <numeric>

namespace cairn::control {

std::vector<uint32_t> ProportionalWeights(const std::vector<int>& counts) {
  std::vector<uint32_t> weights(counts.size(), 0);
  int64_t total = std::accumulate(counts.begin(), counts.end(), int64_t{0});
  if (total <= 0) return weights;
  std::vector<std::pair<int64_t, size_t>> remainders;  // (remainder, index)
  uint32_t assigned = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    int64_t scaled = int64_t{std::max(counts[i], 0)} * 10000;
    weights[i] = static_cast<uint32_t>(scaled / total);
    assigned += weights[i];
    remainders.push_back({scaled % total, i});
  }
  // Hand the basis points lost to rounding to the largest remainders, ties to the newest.
  std::sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second > b.second;
  });
  for (size_t k = 0; assigned < 10000 && k < remainders.size(); ++k) {
    ++weights[remainders[k].second];
    ++assigned;
  }
  return weights;
}

router::RouteTable BuildRouteTable(const spec::EnvironmentSpec& spec,
                                   const std::vector<RoutedInstance>& instances,
                                   uint64_t generation) {
  router::RouteTable table;
  table.generation = generation;
  for (const auto& [name, svc] : spec.services) {
    for (const auto& port : svc.ports) {
      router::ListenerRoute listener;
      listener.name = name + "/" + port.name;
      listener.port = port.listen;
      listener.protocol = port.protocol == spec::Protocol::kTcp ? router::ListenerProtocol::kTcp
                                                                : router::ListenerProtocol::kHttp;
      listener.service = name;
      table.listeners.push_back(std::move(listener));
    }
    if (svc.ports.empty()) continue;

    std::map<int64_t, router::VersionRoute> versions;  // by revision: oldest first
    for (const auto& inst : instances) {
      if (inst.service != name || !inst.healthy || inst.draining) continue;
      router::VersionRoute& v = versions[inst.revision];
      v.version = "revision " + std::to_string(inst.revision);
      v.backends.push_back(router::Backend{inst.id, "127.0.0.1", inst.port, true});
    }
    router::ServiceRoute route;
    route.service = name;
    std::vector<int> counts;
    for (auto& [revision, v] : versions) {
      std::sort(v.backends.begin(), v.backends.end(),
                [](const auto& a, const auto& b) { return a.instance_id < b.instance_id; });
      counts.push_back(static_cast<int>(v.backends.size()));
      route.versions.push_back(std::move(v));
    }
    std::vector<uint32_t> weights = ProportionalWeights(counts);
    for (size_t i = 0; i < route.versions.size(); ++i) route.versions[i].weight_bp = weights[i];
    table.services.push_back(std::move(route));
  }
  return table;
}

}  // namespace cairn::control
