// Backend choice within a version, through RoutingState and on the bare pickers.
#include "router/backend_picker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "router/routing_state.h"
#include "router/routing_test_util.h"

namespace cairn::router {
namespace {

using testing::MakeService;

class BackendChoiceTest : public ::testing::Test {
 protected:
  std::map<std::string, int> Picks(RoutingState& state, const ServiceRoute& service, int n,
                                   const std::vector<std::string>& exclude = {}) {
    std::map<std::string, int> counts;
    for (int i = 0; i < n; ++i) {
      const Backend* b = state.ChooseBackend(service, service.versions[0], exclude);
      EXPECT_NE(b, nullptr);
      if (b != nullptr) ++counts[b->instance_id];
    }
    return counts;
  }

  FakeClock clock_;
};

TEST_F(BackendChoiceTest, LeastRequestAvoidsABusyBackend) {
  const ServiceRoute web = MakeService("web", {{"v1", 10000, 3}});
  RoutingState state({}, &clock_, 1);
  const Backend& busy = web.versions[0].backends[0];
  for (int i = 0; i < 10; ++i) state.OnRequestStart(busy);
  EXPECT_EQ(state.Outstanding("v1-0"), 10);
  // Two distinct samples: the busy one loses every comparison.
  auto counts = Picks(state, web, 300);
  EXPECT_EQ(counts["v1-0"], 0);
  EXPECT_NEAR(counts["v1-1"], 150, 40);
  for (int i = 0; i < 10; ++i) state.OnRequestEnd(busy, RequestOutcome::kSuccess);
  EXPECT_EQ(state.Outstanding("v1-0"), 0);
  EXPECT_GT(Picks(state, web, 300)["v1-0"], 50);
}

TEST_F(BackendChoiceTest, LeastRequestKeepsOutstandingBalanced) {
  const ServiceRoute web = MakeService("web", {{"v1", 10000, 8}});
  RoutingState state({}, &clock_, 2);
  for (int i = 0; i < 800; ++i) {
    const Backend* b = state.ChooseBackend(web, web.versions[0]);
    ASSERT_NE(b, nullptr);
    state.OnRequestStart(*b);
  }
  int low = 1 << 30;
  int high = 0;
  for (const Backend& b : web.versions[0].backends) {
    low = std::min(low, state.Outstanding(b.instance_id));
    high = std::max(high, state.Outstanding(b.instance_id));
  }
  // Uniform random choice would leave a gap of about 25 here; two choices keep it to a few.
  EXPECT_LE(high - low, 5);
}

TEST_F(BackendChoiceTest, LeastRequestBreaksTiesRandomly) {
  const ServiceRoute web = MakeService("web", {{"v1", 10000, 2}});
  RoutingState state({}, &clock_, 3);
  auto counts = Picks(state, web, 1000);
  EXPECT_NEAR(counts["v1-0"], 500, 80);
  EXPECT_NEAR(counts["v1-1"], 500, 80);
}

TEST_F(BackendChoiceTest, RoundRobinCyclesAndSkipsUnhealthy) {
  ServiceRoute web = MakeService("web", {{"v1", 10000, 3}}, BalancerKind::kRoundRobin);
  RoutingState state({}, &clock_, 4);
  std::vector<std::string> order;
  for (int i = 0; i < 6; ++i)
    order.push_back(state.ChooseBackend(web, web.versions[0])->instance_id);
  EXPECT_EQ(order[0], order[3]);
  EXPECT_EQ(order[1], order[4]);
  EXPECT_EQ(order[2], order[5]);
  EXPECT_NE(order[0], order[1]);
  EXPECT_NE(order[1], order[2]);
  EXPECT_NE(order[0], order[2]);

  web.versions[0].backends[1].healthy = false;
  auto counts = Picks(state, web, 100);
  EXPECT_EQ(counts["v1-1"], 0);
  EXPECT_EQ(counts["v1-0"], 50);
  EXPECT_EQ(counts["v1-2"], 50);
}

TEST_F(BackendChoiceTest, ExcludedBackendsAreNotChosen) {
  for (BalancerKind kind : {BalancerKind::kLeastRequest, BalancerKind::kRoundRobin}) {
    const ServiceRoute web = MakeService("web", {{"v1", 10000, 3}}, kind);
    RoutingState state({}, &clock_, 5);
    auto counts = Picks(state, web, 100, {"v1-0", "v1-2"});
    EXPECT_EQ(counts["v1-1"], 100);
    EXPECT_EQ(state.ChooseBackend(web, web.versions[0], {"v1-0", "v1-1", "v1-2"}), nullptr);
  }
}

TEST_F(BackendChoiceTest, NothingUsableGivesNull) {
  for (BalancerKind kind : {BalancerKind::kLeastRequest, BalancerKind::kRoundRobin}) {
    RoutingState state({}, &clock_, 6);
    const ServiceRoute sick = MakeService("web", {{"v1", 10000, 4, false}}, kind);
    EXPECT_EQ(state.ChooseBackend(sick, sick.versions[0]), nullptr);
    const ServiceRoute none = MakeService("web", {{"v1", 10000, 0}}, kind);
    EXPECT_EQ(state.ChooseBackend(none, none.versions[0]), nullptr);
  }
}

TEST_F(BackendChoiceTest, EjectedBackendsAreNotChosen) {
  RoutingOptions options;
  options.consecutive_failures_to_eject = 1;
  for (BalancerKind kind : {BalancerKind::kLeastRequest, BalancerKind::kRoundRobin}) {
    const ServiceRoute web = MakeService("web", {{"v1", 10000, 2}}, kind);
    RoutingState state(options, &clock_, 7);
    const Backend* b = state.ChooseBackend(web, web.versions[0]);
    state.OnRequestStart(*b);
    ASSERT_TRUE(state.OnRequestEnd(*b, RequestOutcome::kServerError));
    auto counts = Picks(state, web, 50);
    EXPECT_EQ(counts[b->instance_id], 0);
  }
}

TEST(BackendPickerTest, LeastRequestFindsTheOneUsableBackendAmongMany) {
  std::vector<Backend> backends(50);
  for (size_t i = 0; i < backends.size(); ++i) backends[i].instance_id = std::to_string(i);
  FastRandom random(8);
  for (int i = 0; i < 100; ++i) {
    const Backend* b = PickLeastRequest(
        backends, random, [](const Backend& b) { return b.instance_id == "37"; },
        [](const Backend&) { return 0; });
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->instance_id, "37");
  }
}

TEST(BackendPickerTest, LeastRequestSpreadsEvenlyOverUsableBackends) {
  std::vector<Backend> backends(10);
  for (size_t i = 0; i < backends.size(); ++i) backends[i].instance_id = std::to_string(i);
  FastRandom random(9);
  std::map<std::string, int> counts;
  auto usable = [](const Backend& b) { return b.instance_id != "0" && b.instance_id != "1"; };
  for (int i = 0; i < 8000; ++i) {
    ++counts[PickLeastRequest(backends, random, usable, [](const Backend&) {
               return 0;
             })->instance_id];
  }
  EXPECT_EQ(counts.size(), 8u);
  for (const auto& [id, count] : counts) EXPECT_NEAR(count, 1000, 150) << id;
}

TEST(BackendPickerTest, RoundRobinWrapsPastTheEnd) {
  std::vector<Backend> backends(3);
  for (size_t i = 0; i < backends.size(); ++i) backends[i].instance_id = std::to_string(i);
  uint64_t cursor = 2;
  auto all = [](const Backend&) { return true; };
  EXPECT_EQ(PickRoundRobin(backends, &cursor, all), &backends[2]);
  EXPECT_EQ(PickRoundRobin(backends, &cursor, all), &backends[0]);
  EXPECT_EQ(PickRoundRobin(backends, &cursor, [](const Backend&) { return false; }), nullptr);
}

}  // namespace
}  // namespace cairn::router
