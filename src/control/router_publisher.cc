#include "control/router_publisher.h"

#include <memory>

namespace cairn::control {

Status RouterPublisher::Publish(router::RouteTable table) {
  return router_.Publish(std::make_shared<const router::RouteTable>(std::move(table)));
}

int RouterPublisher::InFlight(const std::string& instance_id) {
  int64_t active = 0;
  for (const auto& [key, stats] : router_.Stats().backends) {
    if (key.instance == instance_id) active += stats.active_connections;
  }
  return static_cast<int>(active);
}

}  // namespace cairn::control
