#include "router/route_table.h"

namespace cairn::router {

// A linear scan: a table holds a handful of services, and the data plane resolves a listener's
// service once per connection, not per request.
const ServiceRoute* RouteTable::FindService(const std::string& name) const {
  for (const ServiceRoute& service : services) {
    if (service.service == name) return &service;
  }
  return nullptr;
}

bool RouteTable::HasBackend(std::string_view instance_id) const {
  for (const ServiceRoute& service : services) {
    for (const VersionRoute& version : service.versions) {
      for (const Backend& backend : version.backends) {
        if (backend.instance_id == instance_id) return true;
      }
    }
  }
  return false;
}

}  // namespace cairn::router
