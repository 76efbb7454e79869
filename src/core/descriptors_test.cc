#include "core/descriptors.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

namespace cairn {
namespace {

TEST(PlanDescriptorsTest, ALargeLimitKeepsTheOptionsAndAReserve) {
  DescriptorBudget b = PlanDescriptors(1 << 20, DescriptorOptions{});
  EXPECT_EQ(b.reserve, 4096);
  EXPECT_EQ(b.api_connections, 512);
  EXPECT_EQ(b.router_connections, (1 << 20) - 4096 - 512);
  EXPECT_EQ(b.listener_connections, 10000);
}

TEST(PlanDescriptorsTest, ASmallLimitIsSplitSoNoConsumerCanTakeItAll) {
  DescriptorBudget b = PlanDescriptors(1024, DescriptorOptions{});
  EXPECT_EQ(b.reserve, 256);
  EXPECT_EQ(b.api_connections, 96);           // an eighth of the 768 left
  EXPECT_EQ(b.router_connections, 768 - 96);  // 672
  EXPECT_EQ(b.listener_connections, 336);     // half of the router's share
  EXPECT_LE(b.reserve + b.api_connections + b.router_connections, b.limit);
}

TEST(PlanDescriptorsTest, ZeroPerListenerMeansHalfTheRouterShare) {
  DescriptorOptions o;
  o.router_max_connections_per_listener = 0;
  DescriptorBudget b = PlanDescriptors(1 << 20, o);
  EXPECT_EQ(b.listener_connections, b.router_connections / 2);
}

TEST(PlanDescriptorsTest, TinyLimitsStillGiveEveryoneOne) {
  for (int64_t limit : {0, 1, 16, 64, 100}) {
    DescriptorBudget b = PlanDescriptors(limit, DescriptorOptions{});
    EXPECT_GE(b.api_connections, 1) << limit;
    EXPECT_GE(b.router_connections, 1) << limit;
    EXPECT_GE(b.listener_connections, 1) << limit;
  }
}

TEST(RaiseDescriptorLimitTest, RaisesTheSoftLimitToTheHardOne) {
  auto limit = RaiseDescriptorLimit();
  ASSERT_TRUE(limit.ok());
  EXPECT_GE(*limit, 64);
}

TEST(ConnectionLimitTest, RefusesPastItsCapAndFreesOnRelease) {
  ConnectionLimit limit(2);
  EXPECT_TRUE(limit.TryAcquire());
  EXPECT_TRUE(limit.TryAcquire());
  EXPECT_FALSE(limit.TryAcquire());
  limit.Release();
  EXPECT_TRUE(limit.TryAcquire());
  EXPECT_EQ(limit.open(), 2);
}

TEST(ConnectionSlotTest, HoldsBothPlacesOrNeither) {
  ConnectionLimit listener(1), total(10);
  {
    ConnectionSlot a = ConnectionSlot::Acquire(&listener, &total);
    EXPECT_TRUE(a.held());
    ConnectionSlot b = ConnectionSlot::Acquire(&listener, &total);
    EXPECT_FALSE(b.held());
    EXPECT_EQ(total.open(), 1);  // the refused one gave its total place back
    ConnectionSlot moved = std::move(a);
    EXPECT_EQ(listener.open(), 1);
  }
  EXPECT_EQ(listener.open(), 0);
  EXPECT_EQ(total.open(), 0);
  ConnectionLimit full(0);
  EXPECT_FALSE(ConnectionSlot::Acquire(&listener, &full).held());
  EXPECT_EQ(listener.open(), 0);
}

TEST(AcceptOutOfResourcesTest, OnlyShortagesMeanWait) {
  for (int e : {EMFILE, ENFILE, ENOBUFS, ENOMEM}) EXPECT_TRUE(AcceptOutOfResources(e)) << e;
  for (int e : {ECONNABORTED, EINTR, EAGAIN, EPROTO}) EXPECT_FALSE(AcceptOutOfResources(e)) << e;
}

TEST(AcceptBackoffTest, DoublesToASecondAndStartsOverAfterASuccess) {
  AcceptBackoff backoff;
  std::vector<int64_t> delays;
  for (int i = 0; i < 10; ++i) delays.push_back(backoff.NextDelayMs());
  EXPECT_EQ(delays, (std::vector<int64_t>{10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000}));
  backoff.Reset();
  EXPECT_EQ(backoff.NextDelayMs(), 10);
}

}  // namespace
}  // namespace cairn
