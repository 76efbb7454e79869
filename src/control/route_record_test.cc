// The published route table survives a restart as a record: every field round-trips, a
// damaged record is an error naming the field, and only instances adopted alive are served.
#include "control/route_record.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "state/temp_dir_for_test.h"

namespace cairn::control {
namespace {

using ::testing::HasSubstr;

router::RouteTable CanaryTable() {
  router::RouteTable t;
  t.generation = 42;
  t.listeners.push_back(
      {"web/http", "127.0.0.1", 8080, router::ListenerProtocol::kHttp, "web", true});
  t.listeners.push_back({"db/tcp", "127.0.0.1", 5432, router::ListenerProtocol::kTcp, "db", false});
  router::ServiceRoute web;
  web.service = "web";
  web.cohort = {router::CohortSource::kHeader, "X-User"};
  web.balancer = router::BalancerKind::kRoundRobin;
  web.versions.push_back(
      {"revision 1",
       9500,
       {{"web-1a", "127.0.0.1", 40001, true}, {"web-1b", "127.0.0.1", 40002, true}}});
  web.versions.push_back({"revision 2", 500, {{"web-2a", "127.0.0.1", 40003, true}}});
  t.services.push_back(web);
  router::ServiceRoute db;
  db.service = "db";
  db.versions.push_back({"revision 1", 10000, {{"db-1a", "127.0.0.1", 40004, true}}});
  t.services.push_back(db);
  return t;
}

TEST(RouteRecordTest, EveryFieldRoundTrips) {
  router::RouteTable t = CanaryTable();
  auto back = DecodeRouteTable(EncodeRouteTable(t));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->generation, 42u);
  ASSERT_EQ(back->listeners.size(), 2u);
  EXPECT_EQ(back->listeners[0].name, "web/http");
  EXPECT_EQ(back->listeners[0].port, 8080);
  EXPECT_TRUE(back->listeners[0].access_log);
  EXPECT_EQ(back->listeners[1].protocol, router::ListenerProtocol::kTcp);
  ASSERT_EQ(back->services.size(), 2u);
  const router::ServiceRoute& web = back->services[0];
  EXPECT_EQ(web.cohort.source, router::CohortSource::kHeader);
  EXPECT_EQ(web.cohort.name, "X-User");
  EXPECT_EQ(web.balancer, router::BalancerKind::kRoundRobin);
  ASSERT_EQ(web.versions.size(), 2u);
  EXPECT_EQ(web.versions[1].version, "revision 2");
  EXPECT_EQ(web.versions[1].weight_bp, 500u);
  ASSERT_EQ(web.versions[0].backends.size(), 2u);
  EXPECT_EQ(web.versions[0].backends[1].instance_id, "web-1b");
  EXPECT_EQ(web.versions[0].backends[1].port, 40002);
  EXPECT_EQ(EncodeRouteTable(*back), EncodeRouteTable(t));
}

TEST(RouteRecordTest, ADamagedRecordIsAnErrorNamingTheField) {
  auto garbage = DecodeRouteTable("not json");
  ASSERT_FALSE(garbage.ok());
  EXPECT_THAT(garbage.error().message, HasSubstr("not a JSON object"));

  std::string text = EncodeRouteTable(CanaryTable());
  std::string bad_weight = text;
  bad_weight.replace(bad_weight.find("9500"), 4, "90000");
  auto weight = DecodeRouteTable(bad_weight);
  ASSERT_FALSE(weight.ok());
  EXPECT_THAT(weight.error().message, HasSubstr(".services[0].versions[0].weight_bp"));

  std::string bad_port = text;
  bad_port.replace(bad_port.find("40003"), 5, "\"x\"");
  auto port = DecodeRouteTable(bad_port);
  ASSERT_FALSE(port.ok());
  EXPECT_THAT(port.error().message, HasSubstr(".services[0].versions[1].backends[0].port"));

  std::string other_version = text;
  other_version.replace(other_version.find("\"version\":1"), 11, "\"version\":7");
  auto version = DecodeRouteTable(other_version);
  ASSERT_FALSE(version.ok());
  EXPECT_THAT(version.error().message, HasSubstr("written by another cairn"));
}

TEST(RouteRecordTest, OnlyInstancesAliveOnTheSamePortStay) {
  // web-1b is gone; db-1a came back on another port (a different process): both drop out.
  router::RouteTable t =
      RestrictToAlive(CanaryTable(), {{"web-1a", 40001}, {"web-2a", 40003}, {"db-1a", 41000}});
  EXPECT_EQ(RoutedInstances(t), (std::map<std::string, int>{{"web-1a", 40001}, {"web-2a", 40003}}));
  EXPECT_EQ(t.listeners.size(), 2u) << "listeners stay: the port keeps answering";
  EXPECT_EQ(t.services[0].versions[0].weight_bp, 9500u) << "the published split holds";
  EXPECT_EQ(t.services[0].versions[1].weight_bp, 500u);
  EXPECT_TRUE(t.services[1].versions[0].backends.empty());
}

TEST(RouteRecordTest, SavedTableLoadsFromTheStore) {
  state::TempDirForTest dir;
  auto store = state::OpenSqliteStore(dir.path(), SystemClock::Get());
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  PublishedRoutes routes(**store);
  auto none = routes.Load();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value()) << "no table was ever published";
  ASSERT_TRUE(routes.Save(CanaryTable()).ok());
  auto loaded = routes.Load();
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ(EncodeRouteTable(**loaded), EncodeRouteTable(CanaryTable()));
}

}  // namespace
}  // namespace cairn::control
