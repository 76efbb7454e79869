// The last route table the controller published, kept in the state store so a restarted
// server serves it at once instead of answering 503 until its first probe round: the record
// is written after every table the router accepted, read once at start, and cut down to the
// instances that were adopted alive (same pid, start time and port) before it is published.
//
// A typed record with one codec (the JSON below) and one place that reads and writes it
// (PublishedRoutes), stored as the meta key "routes/published". Pure but for PublishedRoutes,
// whose calls go to the store: controller strand only.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "router/route_table.h"
#include "state/state_store.h"

namespace cairn::control {

// {"version":1,"generation":N,"listeners":[...],"services":[...]}: every field of the table.
std::string EncodeRouteTable(const router::RouteTable& table);
// The table `text` holds; an error naming the field for anything that is not a table this
// code wrote (the record is input: a skewed or damaged one must not stop a server).
Result<router::RouteTable> DecodeRouteTable(std::string_view text);

// `table` with only the backends whose instance is in `alive` (instance id -> the port it
// listens on now) on that same port. Listeners, versions and their weights stay as they were
// published: a version left with no backend gets no traffic (the router skips it), so a
// canary's split holds until the controller corrects it.
router::RouteTable RestrictToAlive(router::RouteTable table,
                                   const std::map<std::string, int>& alive);

// Every instance id `table` routes to, with its port.
std::map<std::string, int> RoutedInstances(const router::RouteTable& table);

// Reads and writes the record in a state store (not owned; must outlive this).
class PublishedRoutes {
 public:
  static constexpr const char* kMetaKey = "routes/published";

  explicit PublishedRoutes(state::StateStore& store) : store_(store) {}

  Status Save(const router::RouteTable& table);
  // nullopt when no table was ever saved; an error when the record cannot be read or decoded.
  Result<std::optional<router::RouteTable>> Load();

 private:
  state::StateStore& store_;
};

}  // namespace cairn::control
