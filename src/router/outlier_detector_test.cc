// Passive outlier detection through RoutingState, with time moved by hand.
#include "router/outlier_detector.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "router/routing_state.h"
#include "router/routing_test_util.h"

namespace cairn::router {
namespace {

using namespace std::chrono_literals;
using testing::MakeService;

class OutlierDetectionTest : public ::testing::Test {
 protected:
  OutlierDetectionTest() : web_(MakeService("web", {{"v1", 10000, 4}})) {}

  const Backend& backend(int i) const { return web_.versions[0].backends[i]; }

  // Lets the state learn the version of every backend, as the data plane does by choosing.
  void ChooseAll(RoutingState& state) {
    for (int i = 0; i < 50; ++i) state.ChooseBackend(web_, web_.versions[0]);
  }

  // `n` requests to `b` ending in `outcome`; true when one of them ejected it.
  bool Send(RoutingState& state, const Backend& b, RequestOutcome outcome, int n) {
    bool ejected = false;
    for (int i = 0; i < n; ++i) {
      state.OnRequestStart(b);
      ejected = state.OnRequestEnd(b, outcome) || ejected;
    }
    return ejected;
  }

  FakeClock clock_;
  ServiceRoute web_;
};

TEST_F(OutlierDetectionTest, ConsecutiveFailuresEjectUntilTheTimeIsUp) {
  RoutingState state({}, &clock_, 1);
  ChooseAll(state);
  EXPECT_FALSE(Send(state, backend(0), RequestOutcome::kServerError, 4));
  EXPECT_FALSE(state.IsEjected("v1-0"));
  state.OnRequestStart(backend(0));
  EXPECT_TRUE(state.OnRequestEnd(backend(0), RequestOutcome::kServerError));
  EXPECT_TRUE(state.IsEjected("v1-0"));
  for (int i = 0; i < 50; ++i) {
    EXPECT_NE(state.ChooseBackend(web_, web_.versions[0])->instance_id, "v1-0");
  }
  clock_.Advance(9999ms);
  EXPECT_TRUE(state.IsEjected("v1-0"));
  clock_.Advance(1ms);
  EXPECT_FALSE(state.IsEjected("v1-0"));
  bool chosen = false;
  for (int i = 0; i < 50 && !chosen; ++i) {
    chosen = state.ChooseBackend(web_, web_.versions[0])->instance_id == "v1-0";
  }
  EXPECT_TRUE(chosen);
}

TEST_F(OutlierDetectionTest, ConnectFailuresAndResetsCountAsFailures) {
  RoutingState state({}, &clock_, 2);
  ChooseAll(state);
  EXPECT_FALSE(Send(state, backend(1), RequestOutcome::kConnectFailure, 2));
  EXPECT_FALSE(Send(state, backend(1), RequestOutcome::kReset, 2));
  EXPECT_TRUE(Send(state, backend(1), RequestOutcome::kServerError, 1));
}

TEST_F(OutlierDetectionTest, ASuccessStartsTheCountAgain) {
  RoutingState state({}, &clock_, 3);
  ChooseAll(state);
  EXPECT_FALSE(Send(state, backend(0), RequestOutcome::kServerError, 4));
  EXPECT_FALSE(Send(state, backend(0), RequestOutcome::kSuccess, 1));
  EXPECT_FALSE(Send(state, backend(0), RequestOutcome::kServerError, 4));
  EXPECT_FALSE(state.IsEjected("v1-0"));
  EXPECT_TRUE(Send(state, backend(0), RequestOutcome::kServerError, 1));
}

TEST_F(OutlierDetectionTest, RepeatEjectionsDoubleUpToTheCap) {
  RoutingOptions options;
  options.base_ejection = 10s;
  options.max_ejection = 30s;
  RoutingState state(options, &clock_, 4);
  ChooseAll(state);
  for (auto expected : {10s, 20s, 30s, 30s}) {
    ASSERT_TRUE(Send(state, backend(2), RequestOutcome::kServerError, 5));
    clock_.Advance(expected - 1ms);
    EXPECT_TRUE(state.IsEjected("v1-2")) << expected.count();
    clock_.Advance(1ms);
    EXPECT_FALSE(state.IsEjected("v1-2")) << expected.count();
  }
}

TEST_F(OutlierDetectionTest, OutcomesWhileEjectedAreIgnored) {
  RoutingState state({}, &clock_, 5);
  ChooseAll(state);
  for (int i = 0; i < 5; ++i) state.OnRequestStart(backend(0));  // in flight when ejected
  EXPECT_TRUE(Send(state, backend(0), RequestOutcome::kServerError, 5));
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(state.OnRequestEnd(backend(0), RequestOutcome::kReset));
  EXPECT_EQ(state.Outstanding("v1-0"), 0);
  clock_.Advance(10s);
  // The late failures did not count toward the next ejection.
  EXPECT_FALSE(Send(state, backend(0), RequestOutcome::kServerError, 4));
}

TEST_F(OutlierDetectionTest, NeverEjectsMoreThanTheShareOfAVersion) {
  RoutingState state({}, &clock_, 6);  // 50% of 4 backends: 2
  ChooseAll(state);
  EXPECT_TRUE(Send(state, backend(0), RequestOutcome::kServerError, 5));
  EXPECT_TRUE(Send(state, backend(1), RequestOutcome::kServerError, 5));
  EXPECT_FALSE(Send(state, backend(2), RequestOutcome::kServerError, 20));
  EXPECT_FALSE(state.IsEjected("v1-2"));
  // When an ejection ends, the next failure of the still-failing backend ejects it.
  clock_.Advance(10s);
  EXPECT_TRUE(Send(state, backend(2), RequestOutcome::kServerError, 1));
}

TEST_F(OutlierDetectionTest, TheOnlyBackendOfAVersionIsNeverEjected) {
  const ServiceRoute single = MakeService("api", {{"v1", 10000, 1}});
  RoutingState state({}, &clock_, 7);
  const Backend* b = state.ChooseBackend(single, single.versions[0]);
  ASSERT_NE(b, nullptr);
  EXPECT_FALSE(Send(state, *b, RequestOutcome::kServerError, 50));
  EXPECT_EQ(state.ChooseBackend(single, single.versions[0]), b);
}

TEST_F(OutlierDetectionTest, TheShareIsPerVersion) {
  const ServiceRoute two = MakeService("web", {{"v1", 5000, 2}, {"v2", 5000, 2}});
  RoutingState state({}, &clock_, 8);
  for (int i = 0; i < 50; ++i) {
    state.ChooseBackend(two, two.versions[0]);
    state.ChooseBackend(two, two.versions[1]);
  }
  EXPECT_TRUE(Send(state, two.versions[0].backends[0], RequestOutcome::kServerError, 5));
  EXPECT_TRUE(Send(state, two.versions[1].backends[0], RequestOutcome::kServerError, 5));
  EXPECT_FALSE(Send(state, two.versions[1].backends[1], RequestOutcome::kServerError, 5));
}

TEST_F(OutlierDetectionTest, ANewTableDropsCountersOfInstancesItNoLongerHas) {
  RoutingState state({}, &clock_, 9);
  const RouteTable first = testing::MakeTable(1, {web_});
  state.ChooseVersion(first, first.services[0], "");
  ChooseAll(state);
  ASSERT_TRUE(Send(state, backend(0), RequestOutcome::kServerError, 5));
  for (int i = 0; i < 5; ++i) state.OnRequestStart(backend(1));  // in flight across the swap
  state.OnRequestStart(backend(0));
  ASSERT_TRUE(state.IsEjected("v1-0"));

  const RouteTable second = testing::MakeTable(2, {MakeService("web", {{"v2", 10000, 2}})});
  ASSERT_NE(state.ChooseVersion(second, second.services[0], ""), nullptr);
  EXPECT_EQ(state.Outstanding("v1-1"), 5);  // kept while requests are in flight
  // The in-flight request to the ejected backend still ends cleanly; its version is gone.
  EXPECT_FALSE(state.OnRequestEnd(backend(0), RequestOutcome::kServerError));
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(state.OnRequestEnd(backend(1), RequestOutcome::kServerError));
  }
  EXPECT_EQ(state.Outstanding("v1-1"), 0);
  clock_.Advance(10s);
  EXPECT_FALSE(state.IsEjected("v1-0"));

  const RouteTable third = testing::MakeTable(3, {MakeService("api", {{"a", 10000, 1}})});
  ASSERT_NE(state.ChooseVersion(third, third.services[0], ""), nullptr);
  EXPECT_EQ(state.Outstanding("v1-1"), 0);
  EXPECT_FALSE(state.IsEjected("v1-0"));
  // An instance that comes back starts over: a first ejection lasts the base time again.
  const RouteTable fourth = testing::MakeTable(4, {web_});
  state.ChooseVersion(fourth, fourth.services[0], "");
  ChooseAll(state);
  ASSERT_TRUE(Send(state, backend(0), RequestOutcome::kServerError, 5));
  clock_.Advance(10s);
  EXPECT_FALSE(state.IsEjected("v1-0"));
}

TEST(OutlierDetectorTest, EjectionTimeDoublesAndCaps) {
  RoutingOptions options;
  options.base_ejection = Duration(1000);
  options.max_ejection = Duration(5000);
  FakeClock clock;
  OutlierDetector detector(options, &clock);
  EXPECT_EQ(detector.EjectionTime(0), Duration(1000));
  EXPECT_EQ(detector.EjectionTime(2), Duration(4000));
  EXPECT_EQ(detector.EjectionTime(3), Duration(5000));
  EXPECT_EQ(detector.EjectionTime(1000), Duration(5000));
}

}  // namespace
}  // namespace cairn::router
