// The controller keeps the router's table in step with instances, and drains an instance
// (out of the table, in-flight requests finished) before it is sent SIGTERM.
#include <gtest/gtest.h>

#include <map>

#include "control/controller_harness_for_test.h"
#include "control/route_record.h"

namespace cairn::control {
namespace {

class FakePublisher : public RoutePublisher {
 public:
  Status Publish(router::RouteTable table) override {
    if (refuse) return MakeError(ErrorCode::kUnavailable, "port 18080 is in use");
    tables.push_back(std::move(table));
    return OkStatus();
  }
  int InFlight(const std::string& instance_id) override { return in_flight[instance_id]; }
  router::RouterStats Stats() override { return stats; }

  // Instance ids routed by the latest table.
  std::vector<std::string> Routed() const {
    std::vector<std::string> ids;
    if (tables.empty()) return ids;
    for (const auto& svc : tables.back().services) {
      for (const auto& v : svc.versions) {
        for (const auto& b : v.backends) ids.push_back(b.instance_id);
      }
    }
    return ids;
  }

  std::vector<router::RouteTable> tables;
  std::map<std::string, int> in_flight;
  router::RouterStats stats;
  bool refuse = false;
};

const std::string kPorts = "    ports: { http: { listen: 18080 } }\n";

ControllerOptions WithRoutes(FakePublisher* publisher) {
  ControllerOptions options;
  options.routes = publisher;
  options.drain_timeout = Duration(5000);
  return options;
}

bool Contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

std::vector<telemetry::Event> EventsOfType(Controller& controller, const std::string& type) {
  std::vector<telemetry::Event> found;
  for (auto& e : controller.events().Since(0)) {
    if (e.type == type) found.push_back(std::move(e));
  }
  return found;
}

TEST(ControllerRoutesTest, PublishesHealthyInstancesAndOnlyWhenSomethingChanged) {
  FakePublisher routes;
  ControllerHarness h(WithRoutes(&routes));
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 2, kPorts)).ok());
  h.Ticks(3);
  ASSERT_FALSE(routes.tables.empty());
  EXPECT_EQ(routes.Routed().size(), 2u);
  EXPECT_EQ(routes.tables.back().listeners.at(0).port, 18080);
  size_t published = routes.tables.size();
  h.Ticks(5);
  EXPECT_EQ(routes.tables.size(), published) << "nothing changed, nothing published";
}

TEST(ControllerRoutesTest, ReplacedInstanceLeavesTheTableBeforeItIsStopped) {
  FakePublisher routes;
  ControllerHarness h(WithRoutes(&routes));
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 1, kPorts)).ok());
  h.Ticks(3);
  ASSERT_EQ(h.Service().instances.size(), 1u);
  std::string old_id = h.Service().instances[0].id;
  int old_pid = h.Service().instances[0].pid;
  routes.in_flight[old_id] = 1;  // a slow request is still being served

  ASSERT_TRUE(h.Apply(ServiceYaml("v2", 1, kPorts)).ok());
  h.Ticks(4);  // the new instance starts, turns healthy, the old one starts draining
  EXPECT_FALSE(Contains(routes.Routed(), old_id)) << "a draining instance gets no new requests";
  EXPECT_EQ(routes.Routed().size(), 1u);
  auto running = h.driver().RunningPids();
  EXPECT_TRUE(std::find(running.begin(), running.end(), old_pid) != running.end())
      << "not stopped while a request is in flight";
  bool old_is_stopping = false;
  for (const auto& inst : h.Service().instances) {
    if (inst.id == old_id) old_is_stopping = inst.phase == InstancePhase::kStopping;
  }
  EXPECT_TRUE(old_is_stopping) << "the old instance is draining";
  EXPECT_NE(h.Service().rollout, RolloutState::kComplete) << "not done while the old one drains";

  routes.in_flight[old_id] = 0;
  h.Advance(Duration(300));
  h.Ticks(3);
  running = h.driver().RunningPids();
  EXPECT_TRUE(std::find(running.begin(), running.end(), old_pid) == running.end())
      << "stopped once its requests were done";
  h.Ticks(2);
  EXPECT_EQ(h.Service().rollout, RolloutState::kComplete);
}

TEST(ControllerRoutesTest, DrainGivesUpAtTheDrainTimeout) {
  FakePublisher routes;
  ControllerHarness h(WithRoutes(&routes));
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 1, kPorts)).ok());
  h.Ticks(3);
  std::string old_id = h.Service().instances[0].id;
  int old_pid = h.Service().instances[0].pid;
  routes.in_flight[old_id] = 3;  // never finishes

  ASSERT_TRUE(h.Apply(ServiceYaml("v2", 1, kPorts)).ok());
  h.Ticks(4);
  h.Advance(Duration(5001));
  h.Ticks(3);
  auto running = h.driver().RunningPids();
  EXPECT_TRUE(std::find(running.begin(), running.end(), old_pid) == running.end());
}

TEST(ControllerRoutesTest, ARefusedTableIsReportedOnceAndRetried) {
  FakePublisher routes;
  routes.refuse = true;
  ControllerHarness h(WithRoutes(&routes));
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 1, kPorts)).ok());
  h.Ticks(5);
  int errors = 0;
  for (const auto& e : h.controller().events().Since(0)) {
    if (e.type == "router.error") {
      ++errors;
      EXPECT_NE(e.message.find("port 18080 is in use"), std::string::npos);
    }
  }
  EXPECT_EQ(errors, 1);
  routes.refuse = false;
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 2, kPorts)).ok());
  h.Ticks(4);
  EXPECT_EQ(routes.Routed().size(), 2u);
}

TEST(ControllerRoutesTest, AReplacedInstanceNamesTheRevisionThatTookItsPlace) {
  FakePublisher routes;
  ControllerHarness h(WithRoutes(&routes));
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 2, kPorts)).ok());
  h.Ticks(3);
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 1, kPorts)).ok());
  h.Ticks(3);
  auto stopping = EventsOfType(h.controller(), "instance.stopping");
  ASSERT_EQ(stopping.size(), 1u);
  EXPECT_NE(stopping[0].message.find("scaled down to 1 instances"), std::string::npos)
      << stopping[0].message;
  EXPECT_TRUE(EventsOfType(h.controller(), "instance.replaced").empty())
      << "a scale replaces nothing";

  std::string old_id;  // the one left running, still revision 1's: a scale starts nothing new
  for (const auto& inst : h.Service().instances) {
    if (inst.phase != InstancePhase::kStopping) old_id = inst.id;
  }
  ASSERT_TRUE(h.Apply(ServiceYaml("v2", 1, kPorts)).ok());
  h.Ticks(6);
  auto replaced = EventsOfType(h.controller(), "instance.replaced");
  ASSERT_EQ(replaced.size(), 1u);
  EXPECT_EQ(replaced[0].instance, old_id);
  EXPECT_EQ(replaced[0].service, "web");
  EXPECT_EQ(replaced[0].data["revision"], 1);
  EXPECT_EQ(replaced[0].data["replaced_by"], 3);
  EXPECT_EQ(replaced[0].message, "instance " + old_id + " of revision 1 replaced by revision 3");
}

TEST(ControllerRoutesTest, EveryEjectionTheRouterCountedBecomesOneEvent) {
  FakePublisher routes;
  ControllerHarness h(WithRoutes(&routes));
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 1, kPorts)).ok());
  h.Ticks(3);
  std::string id = h.Service().instances[0].id;
  router::BackendKey key{"web", "revision 1", id};
  routes.stats.backends[key].ejections = 2;  // both workers ejected it
  h.Advance(Duration(1000));
  h.Tick();
  auto ejected = EventsOfType(h.controller(), "instance.ejected");
  ASSERT_EQ(ejected.size(), 1u);
  EXPECT_EQ(ejected[0].instance, id);
  EXPECT_EQ(ejected[0].data["ejections"], 2);
  EXPECT_EQ(ejected[0].data["version"], "revision 1");

  h.Advance(Duration(1000));
  h.Tick();
  EXPECT_EQ(EventsOfType(h.controller(), "instance.ejected").size(), 1u) << "nothing new";

  routes.stats.backends[key].ejections = 3;
  h.Advance(Duration(300));
  h.Tick();
  EXPECT_EQ(EventsOfType(h.controller(), "instance.ejected").size(), 1u)
      << "the counters are read once a second";
  h.Advance(Duration(1000));
  h.Tick();
  ejected = EventsOfType(h.controller(), "instance.ejected");
  ASSERT_EQ(ejected.size(), 2u);
  EXPECT_EQ(ejected[1].data["total"], 3);
}

TEST(ControllerRoutesTest, EveryPublishedTableIsKeptInTheStore) {
  FakePublisher routes;
  ControllerHarness h(WithRoutes(&routes));
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 2, kPorts)).ok());
  h.Ticks(3);
  ASSERT_FALSE(routes.tables.empty());
  auto kept = PublishedRoutes(h.controller().store()).Load();
  ASSERT_TRUE(kept.ok()) << kept.error().ToString();
  ASSERT_TRUE(kept->has_value());
  EXPECT_EQ(EncodeRouteTable(**kept), EncodeRouteTable(routes.tables.back()));
}

TEST(ControllerRoutesTest, ARestartedServerServesTheLastTableBeforeItsFirstTick) {
  FakePublisher routes;
  ControllerHarness h(WithRoutes(&routes));
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 3, kPorts)).ok());
  h.Ticks(3);
  ASSERT_EQ(routes.Routed().size(), 3u);
  uint64_t last_generation = routes.tables.back().generation;
  // One instance dies with the server: it must not be served by the next one.
  const InstanceInfo victim = h.Service().instances.at(0);
  h.driver().CrashOnNextInspect(victim.pid);

  h.RestartController();
  routes.tables.clear();
  ASSERT_TRUE(h.Start().ok());
  ASSERT_EQ(routes.tables.size(), 1u) << "published at start, with no tick and no probe";
  EXPECT_EQ(routes.Routed().size(), 2u);
  EXPECT_FALSE(Contains(routes.Routed(), victim.id)) << "only instances adopted alive";
  EXPECT_EQ(routes.tables.back().listeners.at(0).port, 18080);
  EXPECT_GE(routes.tables.back().generation, last_generation);
  h.Tick();
  EXPECT_EQ(routes.Routed().size(), 2u) << "the rebuilt table keeps the adopted instances";
  EXPECT_GT(routes.tables.back().generation, last_generation) << "generations keep increasing";
}

TEST(ControllerRoutesTest, AdoptedInstancesTheLastTableRoutedAreHealthyBeforeAnyProbe) {
  // A service with a health check, whose instances the earlier server's table routed: they
  // are served at once instead of waiting, unrouted, for a first probe answer.
  const std::string health =
      kPorts + "    health: { http: { path: /healthz, interval: 1s, timeout: 500ms } }\n";
  FakePublisher routes;
  ControllerHarness h(WithRoutes(&routes));
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 2, health)).ok());
  // Two running instances as the earlier server recorded them, and the table it published.
  router::RouteTable table;
  table.generation = 7;
  table.listeners.push_back(
      {"web/http", "127.0.0.1", 18080, router::ListenerProtocol::kHttp, "web", false});
  router::ServiceRoute web{"web", {{"revision 1", 10000, {}}}, {}, {}};
  for (int i = 0; i < 2; ++i) {
    runtime::InstanceConfig config;
    config.argv = {"sh"};
    auto handle = h.driver().Start(config);
    ASSERT_TRUE(handle.ok());
    state::InstanceRecord rec;
    rec.id = "web-" + std::to_string(i);
    rec.service = "web";
    rec.revision = 1;
    rec.template_hash = "t";
    rec.pid = handle->pid;
    rec.start_ticks = handle->start_ticks;
    rec.port = 40000 + i;
    ASSERT_TRUE(h.controller().store().PutInstance(rec).ok());
    web.versions[0].backends.push_back({rec.id, "127.0.0.1", rec.port, true});
  }
  table.services.push_back(web);
  ASSERT_TRUE(PublishedRoutes(h.controller().store()).Save(table).ok());

  h.RestartController();
  ASSERT_TRUE(h.Start().ok());
  EXPECT_EQ(routes.Routed(), (std::vector<std::string>{"web-0", "web-1"}));
  // The apply also started the service's own two instances, which no table routed yet: they
  // wait for their probes as usual.
  int healthy = 0, starting = 0;
  for (const auto& inst : h.Service().instances) {
    bool routed = inst.id == "web-0" || inst.id == "web-1";
    EXPECT_EQ(inst.phase, routed ? InstancePhase::kHealthy : InstancePhase::kStarting) << inst.id;
    ++(routed ? healthy : starting);
  }
  EXPECT_EQ(healthy, 2);
  EXPECT_EQ(starting, 2);
}

}  // namespace
}  // namespace cairn::control
