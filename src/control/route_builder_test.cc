#include "control/route_builder.h"

#include <gtest/gtest.h>

#include <numeric>

namespace cairn::control {
namespace {

spec::EnvironmentSpec WebSpec() {
  spec::EnvironmentSpec env;
  env.environment = "shop";
  spec::ServiceSpec web;
  web.name = "web";
  web.command = "web";
  web.replicas = 3;
  web.ports.push_back({"http", 8080, spec::Protocol::kHttp});
  web.ports.push_back({"raw", 9000, spec::Protocol::kTcp});
  env.services["web"] = web;
  spec::ServiceSpec worker;
  worker.name = "worker";
  worker.command = "worker";
  env.services["worker"] = worker;
  return env;
}

TEST(ProportionalWeights, AlwaysSumsToTenThousand) {
  for (const auto& counts :
       std::vector<std::vector<int>>{{1}, {1, 2}, {1, 1, 1}, {3, 1}, {7, 5, 1}}) {
    auto w = ProportionalWeights(counts);
    EXPECT_EQ(std::accumulate(w.begin(), w.end(), 0u), 10000u);
  }
  EXPECT_EQ(ProportionalWeights({1, 1, 1}), (std::vector<uint32_t>{3333, 3333, 3334}));
  EXPECT_EQ(ProportionalWeights({3, 1}), (std::vector<uint32_t>{7500, 2500}));
  EXPECT_EQ(ProportionalWeights({0, 0}), (std::vector<uint32_t>{0, 0}));
}

TEST(BuildRouteTable, OneListenerPerDeclaredPort) {
  auto table = BuildRouteTable(WebSpec(), {}, 7);
  EXPECT_EQ(table.generation, 7u);
  ASSERT_EQ(table.listeners.size(), 2u);
  EXPECT_EQ(table.listeners[0].name, "web/http");
  EXPECT_EQ(table.listeners[0].port, 8080);
  EXPECT_EQ(table.listeners[1].protocol, router::ListenerProtocol::kTcp);
  ASSERT_EQ(table.services.size(), 1u) << "services without ports are not routed";
  EXPECT_TRUE(table.services[0].versions.empty());
}

TEST(BuildRouteTable, WeighsRevisionsByTheirHealthyInstancesDuringARollingReplace) {
  std::vector<RoutedInstance> instances = {
      {"web-a", "web", 1, 4001, true, false}, {"web-b", "web", 1, 4002, true, false},
      {"web-c", "web", 1, 4003, true, true},  // draining: no new requests
      {"web-d", "web", 2, 4004, true, false}, {"web-e", "web", 2, 4005, false, false},
  };
  auto table = BuildRouteTable(WebSpec(), instances, 1);
  const auto& versions = table.services[0].versions;
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0].version, "revision 1");
  ASSERT_EQ(versions[0].backends.size(), 2u);
  EXPECT_EQ(versions[0].weight_bp, 6667u);
  EXPECT_EQ(versions[1].version, "revision 2");
  ASSERT_EQ(versions[1].backends.size(), 1u);
  EXPECT_EQ(versions[1].backends[0].port, 4004);
  EXPECT_EQ(versions[1].weight_bp, 3333u);
}

TEST(BuildRouteTable, ARolloutSplitSetsTheWeightsExactly) {
  std::vector<RoutedInstance> instances = {{"web-a", "web", 1, 4001, true, false},
                                           {"web-b", "web", 1, 4002, true, false},
                                           {"web-c", "web", 1, 4003, true, false},
                                           {"web-d", "web", 2, 4004, true, false}};
  TrafficSplit split;
  split.new_revision = 2;
  split.new_weight_bp = 500;  // 5 %, though the canary is one instance of four
  split.cohort = {router::CohortSource::kHeader, "X-User-Id"};
  auto table = BuildRouteTable(WebSpec(), instances, 1, {{"web", split}});
  const auto& versions = table.services[0].versions;
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0].weight_bp, 9500u);
  EXPECT_EQ(versions[1].weight_bp, 500u);
  EXPECT_EQ(table.services[0].cohort.name, "X-User-Id");
}

TEST(BuildRouteTable, TheStableShareSpansEveryOlderRevisionOfTheStableTemplate) {
  // Revision 3 changed another service, so web's stable instances carry revisions 1 and 3.
  std::vector<RoutedInstance> instances = {{"web-a", "web", 1, 4001, true, false},
                                           {"web-b", "web", 3, 4002, true, false},
                                           {"web-c", "web", 4, 4003, true, false}};
  TrafficSplit split;
  split.new_revision = 4;
  split.new_weight_bp = 1001;
  auto table = BuildRouteTable(WebSpec(), instances, 1, {{"web", split}});
  const auto& v = table.services[0].versions;
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[2].weight_bp, 1001u);
  EXPECT_EQ(v[0].weight_bp + v[1].weight_bp, 8999u);
  EXPECT_NEAR(v[0].weight_bp, v[1].weight_bp, 1u);
}

TEST(BuildRouteTable, ASplitNeverRoutesToASideWithoutInstances) {
  TrafficSplit split;
  split.new_revision = 2;
  split.new_weight_bp = 2000;
  // The canary's only instance is not healthy yet: everything stays on stable.
  auto table = BuildRouteTable(
      WebSpec(), {{"web-a", "web", 1, 4001, true, false}, {"web-d", "web", 2, 4004, false, false}},
      1, {{"web", split}});
  ASSERT_EQ(table.services[0].versions.size(), 1u);
  EXPECT_EQ(table.services[0].versions[0].weight_bp, 10000u);
  // A blue-green switch after the old version is gone: the new one takes all.
  split.new_weight_bp = 10000;
  table = BuildRouteTable(WebSpec(), {{"web-d", "web", 2, 4004, true, false}}, 2, {{"web", split}});
  EXPECT_EQ(table.services[0].versions[0].weight_bp, 10000u);
}

TEST(BuildRouteTable, PreviewListenersServeOnlyTheNewRevision) {
  std::vector<RoutedInstance> instances = {{"web-a", "web", 1, 4001, true, false},
                                           {"web-d", "web", 2, 4004, true, false}};
  TrafficSplit split;
  split.new_revision = 2;
  split.new_weight_bp = 0;
  split.preview_ports = {{"http", 8081}};
  auto table = BuildRouteTable(WebSpec(), instances, 1, {{"web", split}});
  ASSERT_EQ(table.listeners.size(), 3u);
  EXPECT_EQ(table.listeners[2].name, "web/http/preview");
  EXPECT_EQ(table.listeners[2].port, 8081);
  const router::ServiceRoute* preview = table.FindService(PreviewServiceName("web"));
  ASSERT_NE(preview, nullptr);
  ASSERT_EQ(preview->versions.size(), 1u);
  EXPECT_EQ(preview->versions[0].version, "revision 2");
  EXPECT_EQ(preview->versions[0].weight_bp, 10000u);
  const router::ServiceRoute* main = table.FindService("web");
  ASSERT_NE(main, nullptr);
  EXPECT_EQ(main->versions[0].weight_bp, 10000u);  // all users still on revision 1
  EXPECT_EQ(main->versions[1].weight_bp, 0u);
}

}  // namespace
}  // namespace cairn::control
