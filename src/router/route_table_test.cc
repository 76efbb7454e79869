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

}  // namespace
}  // namespace cairn::router
