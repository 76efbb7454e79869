// Version choice through RoutingState: exact shares, short runs, no first-pick bias, skipping
// versions that cannot serve, and a new split taking effect on the next request.
#include "router/routing_state.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "router/routing_test_util.h"

namespace cairn::router {
namespace {

using testing::MakeService;
using testing::MakeTable;

class VersionChoiceTest : public ::testing::Test {
 protected:
  // Picks `n` times and returns how often each version was chosen.
  std::map<std::string, int> Picks(RoutingState& state, const RouteTable& table, int n) {
    std::map<std::string, int> counts;
    for (int i = 0; i < n; ++i) {
      const VersionRoute* v = state.ChooseVersion(table, table.services[0], "");
      EXPECT_NE(v, nullptr);
      if (v != nullptr) ++counts[v->version];
    }
    return counts;
  }

  // The longest run of consecutive picks of `version` over `n` picks.
  int LongestRun(RoutingState& state, const RouteTable& table, const std::string& version, int n) {
    int longest = 0;
    int run = 0;
    for (int i = 0; i < n; ++i) {
      const VersionRoute* v = state.ChooseVersion(table, table.services[0], "");
      run = (v != nullptr && v->version == version) ? run + 1 : 0;
      longest = std::max(longest, run);
    }
    return longest;
  }

  FakeClock clock_;
};

TEST_F(VersionChoiceTest, OnePercentIsExactOverTenThousandRequestsForEverySeed) {
  const RouteTable table = MakeTable(1, {MakeService("web", {{"stable", 9900}, {"canary", 100}})});
  for (uint64_t seed = 0; seed < 20; ++seed) {
    RoutingState state({}, &clock_, seed);
    auto counts = Picks(state, table, 10000);
    EXPECT_GE(counts["canary"], 80);  // the requirement: 1% ± 0.2pp
    EXPECT_LE(counts["canary"], 120);
    EXPECT_EQ(counts["canary"], 100) << "seed " << seed;  // what SWRR achieves
    EXPECT_EQ(counts["stable"], 9900);
  }
}

TEST_F(VersionChoiceTest, HalfPercentIsExact) {
  const RouteTable table = MakeTable(1, {MakeService("web", {{"stable", 9950}, {"canary", 50}})});
  RoutingState state({}, &clock_, 42);
  auto counts = Picks(state, table, 10000);
  EXPECT_EQ(counts["canary"], 50);
  EXPECT_EQ(counts["stable"], 9950);
}

TEST_F(VersionChoiceTest, ThreeVersionsSplitTenThirtySixty) {
  const RouteTable table =
      MakeTable(1, {MakeService("web", {{"a", 1000}, {"b", 3000}, {"c", 6000}})});
  RoutingState state({}, &clock_, 3);
  auto counts = Picks(state, table, 10000);
  EXPECT_EQ(counts["a"], 1000);
  EXPECT_EQ(counts["b"], 3000);
  EXPECT_EQ(counts["c"], 6000);
  // Any ten consecutive picks already hold exactly one "a".
  auto ten = Picks(state, table, 10);
  EXPECT_EQ(ten["a"], 1);
}

TEST_F(VersionChoiceTest, HalfAndHalfAlternates) {
  const RouteTable table = MakeTable(1, {MakeService("web", {{"blue", 5000}, {"green", 5000}})});
  RoutingState state({}, &clock_, 9);
  EXPECT_EQ(LongestRun(state, table, "blue", 1000), 1);
  EXPECT_EQ(LongestRun(state, table, "green", 1000), 1);
}

TEST_F(VersionChoiceTest, TenPercentHasShortMajorityRunsAndNoMinorityRuns) {
  const RouteTable table = MakeTable(1, {MakeService("web", {{"stable", 9000}, {"canary", 1000}})});
  RoutingState state({}, &clock_, 11);
  EXPECT_LE(LongestRun(state, table, "stable", 10000), 10);
  EXPECT_EQ(LongestRun(state, table, "canary", 10000), 1);
}

TEST_F(VersionChoiceTest, OnePercentNeverSendsTwoCanaryRequestsInARow) {
  const RouteTable table = MakeTable(1, {MakeService("web", {{"stable", 9900}, {"canary", 100}})});
  RoutingState state({}, &clock_, 5);
  EXPECT_EQ(LongestRun(state, table, "canary", 10000), 1);
  EXPECT_LE(LongestRun(state, table, "stable", 10000), 100);
}

TEST_F(VersionChoiceTest, DifferentSeedsStartAtDifferentPhases) {
  const RouteTable half = MakeTable(1, {MakeService("web", {{"blue", 5000}, {"green", 5000}})});
  const RouteTable tenth = MakeTable(1, {MakeService("web", {{"stable", 9000}, {"canary", 1000}})});
  std::map<std::string, int> first_half;
  std::map<std::string, int> first_tenth;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    RoutingState a({}, &clock_, seed);
    ++first_half[a.ChooseVersion(half, half.services[0], "")->version];
    RoutingState b({}, &clock_, seed);
    ++first_tenth[b.ChooseVersion(tenth, tenth.services[0], "")->version];
  }
  EXPECT_GT(first_half["blue"], 25);
  EXPECT_GT(first_half["green"], 25);
  // About ten workers in a hundred send their first request to a 10% canary, not 0 or 100.
  EXPECT_GE(first_tenth["canary"], 3);
  EXPECT_LE(first_tenth["canary"], 25);
}

TEST_F(VersionChoiceTest, AVersionWithWeightButNoHealthyBackendIsSkipped) {
  const RouteTable table = MakeTable(
      1, {MakeService("web", {{"a", 2000}, {"b", 3000, 2, /*healthy=*/false}, {"c", 5000}})});
  RoutingState state({}, &clock_, 1);
  auto counts = Picks(state, table, 7000);
  EXPECT_EQ(counts["b"], 0);
  EXPECT_EQ(counts["a"], 2000);  // 2/7 of the traffic
  EXPECT_EQ(counts["c"], 5000);

  const RouteTable empty = MakeTable(2, {MakeService("web", {{"a", 5000, 0}, {"c", 5000}})});
  EXPECT_EQ(Picks(state, empty, 100)["c"], 100);
}

TEST_F(VersionChoiceTest, ZeroAndFullWeightAlwaysPicksTheFullOne) {
  const RouteTable table = MakeTable(1, {MakeService("web", {{"old", 0}, {"new", 10000}})});
  for (uint64_t seed = 0; seed < 10; ++seed) {
    RoutingState state({}, &clock_, seed);
    EXPECT_EQ(Picks(state, table, 100)["new"], 100);
  }
}

TEST_F(VersionChoiceTest, NothingToPickGivesNull) {
  RoutingState state({}, &clock_, 1);
  const RouteTable no_weight = MakeTable(1, {MakeService("web", {{"a", 0}, {"b", 0}})});
  EXPECT_EQ(state.ChooseVersion(no_weight, no_weight.services[0], ""), nullptr);
  const RouteTable unhealthy =
      MakeTable(2, {MakeService("web", {{"a", 5000, 2, false}, {"b", 5000, 1, false}})});
  EXPECT_EQ(state.ChooseVersion(unhealthy, unhealthy.services[0], ""), nullptr);
  const RouteTable no_versions = MakeTable(3, {MakeService("web", {})});
  EXPECT_EQ(state.ChooseVersion(no_versions, no_versions.services[0], ""), nullptr);
}

TEST_F(VersionChoiceTest, ANewSplitTakesEffectOnTheNextRequest) {
  RoutingState state({}, &clock_, 77);
  const RouteTable before = MakeTable(1, {MakeService("web", {{"blue", 5000}, {"green", 5000}})});
  Picks(state, before, 3);
  const RouteTable switched = MakeTable(2, {MakeService("web", {{"blue", 0}, {"green", 10000}})});
  EXPECT_EQ(Picks(state, switched, 50)["green"], 50);
  const RouteTable canary = MakeTable(3, {MakeService("web", {{"blue", 100}, {"green", 9900}})});
  EXPECT_EQ(Picks(state, canary, 10000)["blue"], 100);
}

TEST_F(VersionChoiceTest, ServicesRotateIndependently) {
  const RouteTable table = MakeTable(1, {MakeService("web", {{"a", 5000}, {"b", 5000}}),
                                         MakeService("api", {{"x", 5000}, {"y", 5000}})});
  RoutingState state({}, &clock_, 4);
  std::string last;
  for (int i = 0; i < 20; ++i) {
    const VersionRoute* web = state.ChooseVersion(table, table.services[0], "");
    state.ChooseVersion(table, table.services[1], "");
    EXPECT_NE(web->version, last);  // web still alternates though api picks in between
    last = web->version;
  }
}

TEST_F(VersionChoiceTest, AVersionWhoseBackendsAreAllEjectedIsSkipped) {
  RoutingOptions options;
  options.max_ejected_percent = 100;
  options.consecutive_failures_to_eject = 1;
  RoutingState state(options, &clock_, 2);
  const RouteTable table = MakeTable(1, {MakeService("web", {{"a", 5000, 1}, {"b", 5000, 1}})});
  const ServiceRoute& web = table.services[0];
  const Backend* b = state.ChooseBackend(web, web.versions[1]);
  ASSERT_NE(b, nullptr);
  state.OnRequestStart(*b);
  EXPECT_TRUE(state.OnRequestEnd(*b, RequestOutcome::kConnectFailure));
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(state.ChooseVersion(table, web, "")->version, "a");
  }
  clock_.Advance(options.base_ejection);
  EXPECT_EQ(Picks(state, table, 20)["b"], 10);
}

}  // namespace
}  // namespace cairn::router
