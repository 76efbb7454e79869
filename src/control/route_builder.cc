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

std::string PreviewServiceName(const std::string& service) { return service + "@preview"; }

namespace {

// Weights by a rollout's split. A side with no routable instance gets nothing and the other
// side everything: the router never sends a request to an empty version, and a new version
// is never given traffic it has no instance for.
void ApplySplit(const TrafficSplit& split, std::map<int64_t, router::VersionRoute>& versions,
                router::ServiceRoute& route) {
  bool has_new = versions.count(split.new_revision) > 0;
  std::vector<int> stable_counts;
  for (const auto& [revision, v] : versions) {
    if (revision != split.new_revision)
      stable_counts.push_back(static_cast<int>(v.backends.size()));
  }
  uint32_t new_share = stable_counts.empty() ? 10000 : (has_new ? split.new_weight_bp : 0);
  std::vector<uint32_t> stable_weights = ProportionalWeights(stable_counts);
  size_t i = 0;
  for (auto& [revision, v] : versions) {
    if (revision == split.new_revision) {
      v.weight_bp = new_share;
    } else {
      // The stable share split by instances, scaled to what the new version leaves.
      v.weight_bp =
          static_cast<uint32_t>(uint64_t{stable_weights[i++]} * (10000 - new_share) / 10000);
    }
  }
  // Rounding in the scaling above may lose a few basis points: give them to the first stable.
  uint32_t sum = 0;
  for (const auto& [revision, v] : versions) sum += v.weight_bp;
  for (auto& [revision, v] : versions) {
    if (revision != split.new_revision && sum < 10000) {
      v.weight_bp += 10000 - sum;
      break;
    }
  }
  route.cohort = split.cohort;
}

}  // namespace

router::RouteTable BuildRouteTable(const spec::EnvironmentSpec& spec,
                                   const std::vector<RoutedInstance>& instances,
                                   uint64_t generation,
                                   const std::map<std::string, TrafficSplit>& splits) {
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
      listener.access_log = port.access_log;
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
    for (auto& [revision, v] : versions) {
      std::sort(v.backends.begin(), v.backends.end(),
                [](const auto& a, const auto& b) { return a.instance_id < b.instance_id; });
    }
    auto split = splits.find(name);
    if (split != splits.end()) {
      ApplySplit(split->second, versions, route);
    } else {
      std::vector<int> counts;
      for (const auto& [revision, v] : versions)
        counts.push_back(static_cast<int>(v.backends.size()));
      std::vector<uint32_t> weights = ProportionalWeights(counts);
      size_t i = 0;
      for (auto& [revision, v] : versions) v.weight_bp = weights[i++];
    }
    // Preview listeners: the new revision alone, under a service of its own.
    if (split != splits.end() && !split->second.preview_ports.empty()) {
      router::ServiceRoute preview;
      preview.service = PreviewServiceName(name);
      auto new_version = versions.find(split->second.new_revision);
      if (new_version != versions.end()) {
        router::VersionRoute v = new_version->second;
        v.weight_bp = 10000;
        preview.versions.push_back(std::move(v));
      }
      for (const auto& port : svc.ports) {
        auto p = split->second.preview_ports.find(port.name);
        if (p == split->second.preview_ports.end()) continue;
        router::ListenerRoute listener;
        listener.name = name + "/" + port.name + "/preview";
        listener.port = p->second;
        listener.protocol = port.protocol == spec::Protocol::kTcp ? router::ListenerProtocol::kTcp
                                                                  : router::ListenerProtocol::kHttp;
        listener.service = preview.service;
        listener.access_log = port.access_log;
        table.listeners.push_back(std::move(listener));
      }
      table.services.push_back(std::move(preview));
    }
    for (auto& [revision, v] : versions) route.versions.push_back(std::move(v));
    table.services.push_back(std::move(route));
  }
  return table;
}

}  // namespace cairn::control
