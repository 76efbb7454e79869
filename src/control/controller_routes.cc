// The controller's side of routing: the table it publishes on every change, the copy it keeps
// in the state store, and the table a restarted server serves before its first probe round.
#include "control/controller.h"
#include "control/controller_internal.h"
#include "control/route_builder.h"
#include "control/route_record.h"

namespace cairn::control {

void Controller::PublishRoutes() {
  if (!options_.routes || !head_) return;
  auto spec = SpecOf(head_->number);
  if (!spec.ok()) return;
  std::vector<RoutedInstance> routed;
  std::string signature = std::to_string(head_->number);
  for (const auto& [id, live] : live_) {
    RoutedInstance r{id,
                     live->record.service,
                     live->record.revision,
                     live->record.port,
                     live->phase == InstancePhase::kHealthy,
                     live->phase == InstancePhase::kStopping};
    if (r.healthy && !r.draining) {
      signature += "|" + id + ":" + std::to_string(r.port) + ":" + std::to_string(r.revision);
    }
    routed.push_back(std::move(r));
  }
  for (const auto& [service, split] : splits_) {
    signature += "|split:" + service + ":" + std::to_string(split.new_revision) + ":" +
                 std::to_string(split.new_weight_bp) + ":" +
                 std::to_string(split.preview_ports.size());
  }
  if (signature == published_routes_) return;
  router::RouteTable table = BuildRouteTable(**spec, routed, ++route_generation_, splits_);
  std::string record = EncodeRouteTable(table);
  Status ok = options_.routes->Publish(std::move(table));
  if (!ok.ok()) {
    // Reported once per distinct table; tried again on every tick until the port frees up.
    if (signature != failed_routes_) {
      events_.Add("router.error", "", "",
                  "the router refused the new route table: " + ok.error().ToString());
    }
    failed_routes_ = signature;
    return;
  }
  published_routes_ = signature;
  SaveRoutes(record);
}

void Controller::SaveRoutes(const std::string& record) {
  // Kept after every table the router took, so the next server starts from what was served.
  // A failed write costs only that: the next server waits for its probes, as without a record.
  if (auto saved = store_->PutMeta(PublishedRoutes::kMetaKey, record); !saved.ok()) {
    events_.Add("state.error", "", "",
                "could not keep the route table for the next server: " + saved.error().ToString());
  }
}

void Controller::RestoreRoutes() {
  if (!options_.routes) return;
  auto loaded = PublishedRoutes(*store_).Load();
  if (!loaded.ok()) {
    // Not fatal: the table is rebuilt from probes within a round, as before records existed.
    events_.Add("state.error", "", "",
                "the last route table cannot be served: " + loaded.error().ToString());
    return;
  }
  if (!loaded->has_value()) return;
  // Adopted means alive with the pid and start time recorded at its start (Start checked
  // them); the port must match too, or the backend would be some other process.
  std::map<std::string, int> alive;
  for (const auto& [id, live] : live_) {
    if (live->adopted) alive[id] = live->record.port;
  }
  router::RouteTable table = RestrictToAlive(std::move(**loaded), alive);
  // What the earlier server's probes last said: its table routed these, so they count as
  // healthy until their own probes say otherwise (unhealthy_after failures in a row), and the
  // table built on the next tick keeps them instead of dropping them until a first answer.
  SteadyTime now = clock_->Now();
  for (const auto& [id, port] : RoutedInstances(table)) {
    Live& live = *live_.at(id);
    if (live.phase != InstancePhase::kStarting) continue;
    live.health = runtime::HealthTracker(Live::Thresholds(live.service.health), now,
                                         runtime::Health::kHealthy);
    live.phase = InstancePhase::kHealthy;
  }
  route_generation_ = std::max(route_generation_, table.generation);
  Status ok = options_.routes->Publish(std::move(table));
  if (!ok.ok()) {
    // The first tick builds and publishes the table again, and reports a refusal then.
    events_.Add("router.error", "", "",
                "the router refused the last published route table: " + ok.error().ToString());
  }
}

}  // namespace cairn::control
