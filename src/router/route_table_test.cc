#include "router/route_table.h"

#include <gtest/gtest.h>

#include "router/routing_test_util.h"

namespace cairn::router {
namespace {

using testing::MakeService;
using testing::MakeTable;

TEST(RouteTableTest, FindServiceReturnsTheNamedServiceOrNull) {
  RouteTable table =
      MakeTable(1, {MakeService("web", {{"v1", 10000}}), MakeService("api", {{"v7", 10000}})});
  ASSERT_NE(table.FindService("api"), nullptr);
  EXPECT_EQ(table.FindService("api")->versions[0].version, "v7");
  EXPECT_EQ(table.FindService("web"), &table.services[0]);
  EXPECT_EQ(table.FindService("db"), nullptr);
  EXPECT_EQ(RouteTable{}.FindService("web"), nullptr);
}

TEST(RouteTableTest, HasBackendLooksThroughEveryServiceAndVersion) {
  RouteTable table = MakeTable(
      1, {MakeService("web", {{"v1", 5000}, {"v2", 5000}}), MakeService("api", {{"v7", 10000}})});
  EXPECT_TRUE(table.HasBackend("v2-0"));
  EXPECT_TRUE(table.HasBackend("v7-0"));
  EXPECT_FALSE(table.HasBackend("v3-0"));
  EXPECT_FALSE(RouteTable{}.HasBackend("v1-0"));
}

}  // namespace
}  // namespace cairn::router
