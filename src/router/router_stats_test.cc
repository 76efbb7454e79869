// WorkerStats::Retire: the counters of versions that left the route table go after the
// retention, never while a session holds them or an upstream connection is open.
#include "router/router_stats.h"

#include <gtest/gtest.h>

namespace cairn::router {
namespace {

using std::chrono::seconds;

class RetireTest : public ::testing::Test {
 protected:
  // Routed: every backend of `routed_version`.
  size_t Retire(SteadyTime now, Duration retention = Duration(60000)) {
    return stats_.Retire([this](const BackendKey& k) { return k.version == routed_version_; }, now,
                         retention);
  }
  WorkerStats stats_;
  std::string routed_version_ = "revision 2";
  SteadyTime t0_ = SteadyTime{} + seconds(1000);
};

TEST_F(RetireTest, AnUnroutedVersionGoesAfterTheRetentionAndARoutedOneStays) {
  stats_.For("web", "revision 1", "web-1").requests[1] = 7;
  stats_.For("web", "revision 2", "web-2").requests[1] = 3;
  EXPECT_EQ(Retire(t0_), 0u) << "first seen unrouted now";
  EXPECT_EQ(Retire(t0_ + seconds(59)), 0u) << "inside the retention";
  EXPECT_EQ(Retire(t0_ + seconds(60)), 1u);
  ASSERT_EQ(stats_.size(), 1u);
  RouterStats merged;
  stats_.MergeInto(&merged);
  EXPECT_EQ(merged.backends.begin()->first.instance, "web-2");
}

TEST_F(RetireTest, AHeldEntryOrOneWithAnOpenConnectionStaysUntilReleased) {
  BackendStats& held = stats_.For("web", "revision 1", "web-1");
  BackendStats& connected = stats_.For("web", "revision 1", "web-1b");
  connected.active_connections = 1;  // a pooled upstream connection still points at it
  {
    StatsHold hold(held);
    EXPECT_EQ(Retire(t0_, Duration(0)), 0u);
    EXPECT_EQ(held.holders, 1);
  }
  EXPECT_EQ(held.holders, 0);
  EXPECT_EQ(Retire(t0_ + seconds(1), Duration(0)), 1u) << "released: it goes";
  connected.active_connections = 0;
  EXPECT_EQ(Retire(t0_ + seconds(2), Duration(0)), 1u);
  EXPECT_EQ(stats_.size(), 0u);
}

TEST_F(RetireTest, AVersionRoutedAgainStartsItsRetentionOver) {
  stats_.For("web", "revision 1", "web-1");
  EXPECT_EQ(Retire(t0_), 0u);
  routed_version_ = "revision 1";  // an undo routes it again
  EXPECT_EQ(Retire(t0_ + seconds(50)), 0u);
  routed_version_ = "revision 2";
  EXPECT_EQ(Retire(t0_ + seconds(70)), 0u) << "unrouted again only since 70 s";
  EXPECT_EQ(Retire(t0_ + seconds(130)), 1u);
}

TEST_F(RetireTest, HoldersAreNotMerged) {
  BackendStats& s = stats_.For("web", "revision 2", "web-2");
  StatsHold hold(s);
  RouterStats merged;
  stats_.MergeInto(&merged);
  EXPECT_EQ(merged.backends.begin()->second.holders, 0);
}

}  // namespace
}  // namespace cairn::router
