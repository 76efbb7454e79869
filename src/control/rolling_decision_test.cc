#include "control/rolling_decision.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace cairn::control {
namespace {

std::vector<InstanceView> Instances(const std::string& hash, int n, InstancePhase phase,
                                    const std::string& prefix) {
  std::vector<InstanceView> out;
  for (int i = 0; i < n; ++i) out.push_back({prefix + std::to_string(i), hash, phase});
  return out;
}

int Count(const std::vector<InstanceView>& list, InstancePhase phase) {
  return static_cast<int>(std::count_if(list.begin(), list.end(),
                                        [&](const InstanceView& v) { return v.phase == phase; }));
}

// Plays decisions forward: stopped instances vanish, started ones become healthy one step
// later. Checks the invariants after every step and returns the number of steps taken.
int SimulateRollout(ServiceTarget target, std::vector<InstanceView> world, int min_healthy) {
  int next_id = 0;
  for (int step = 0; step < 100; ++step) {
    ServiceDecision d = DecideService(target, world);
    if (d.complete) return step;
    for (auto& inst : world) {
      if (inst.phase == InstancePhase::kStarting) inst.phase = InstancePhase::kHealthy;
    }
    std::erase_if(world, [&](const InstanceView& v) {
      return std::find(d.stop.begin(), d.stop.end(), v.id) != d.stop.end();
    });
    EXPECT_GE(Count(world, InstancePhase::kHealthy), min_healthy) << "step " << step;
    for (int i = 0; i < d.start; ++i) {
      world.push_back(
          {"n" + std::to_string(next_id++), target.template_hash, InstancePhase::kStarting});
    }
    EXPECT_LE(static_cast<int>(world.size()), target.replicas + target.max_surge);
  }
  ADD_FAILURE() << "rollout did not complete";
  return -1;
}

TEST(DecideService, CreatesAllReplicasOfANewService) {
  auto d = DecideService({"t1", 3, 1, 0}, {});
  EXPECT_EQ(d.start, 3);
  EXPECT_TRUE(d.stop.empty());
  EXPECT_FALSE(d.complete);
}

TEST(DecideService, IsCompleteWhenAllTargetInstancesAreHealthy) {
  auto d = DecideService({"t1", 3, 1, 0}, Instances("t1", 3, InstancePhase::kHealthy, "a"));
  EXPECT_EQ(d.start, 0);
  EXPECT_TRUE(d.stop.empty());
  EXPECT_TRUE(d.complete);
}

TEST(DecideService, SurgesOneNewInstanceBeforeStoppingAnyOld) {
  auto d = DecideService({"t2", 3, 1, 0}, Instances("t1", 3, InstancePhase::kHealthy, "a"));
  EXPECT_EQ(d.start, 1);
  EXPECT_TRUE(d.stop.empty());
}

TEST(DecideService, KeepsOldInstancesWhileNewOnesAreNotHealthy) {
  auto world = Instances("t1", 3, InstancePhase::kHealthy, "a");
  world.push_back({"b0", "t2", InstancePhase::kUnhealthy});
  auto d = DecideService({"t2", 3, 1, 0}, world);
  EXPECT_EQ(d.start, 0);
  EXPECT_TRUE(d.stop.empty());
  EXPECT_FALSE(d.complete);
}

TEST(DecideService, StopsOneOldInstanceOnceANewOneIsHealthy) {
  auto world = Instances("t1", 3, InstancePhase::kHealthy, "a");
  world.push_back({"b0", "t2", InstancePhase::kHealthy});
  auto d = DecideService({"t2", 3, 1, 0}, world);
  EXPECT_EQ(d.stop.size(), 1u);
  EXPECT_EQ(d.start, 1);  // the freed slot is used at once
}

TEST(DecideService, RemovesCrashedAndUnhealthyOldInstancesFirst) {
  std::vector<InstanceView> world = {{"a0", "t1", InstancePhase::kHealthy},
                                     {"a1", "t1", InstancePhase::kCrashed},
                                     {"a2", "t1", InstancePhase::kUnhealthy}};
  auto d = DecideService({"t2", 3, 1, 0}, world);
  EXPECT_EQ(d.stop, (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(d.start, 3);
}

TEST(DecideService, NeverStopsTheLastHealthyInstanceEvenWhenUnavailabilityAllowsIt) {
  auto d = DecideService({"t2", 1, 0, 1}, Instances("t1", 1, InstancePhase::kHealthy, "a"));
  EXPECT_TRUE(d.stop.empty());
  EXPECT_EQ(d.start, 0);  // no surge allowed, and the old one must stay: wait
}

TEST(DecideService, ScalesDownSurplusTargetInstancesUnhealthyFirst) {
  auto world = Instances("t1", 3, InstancePhase::kHealthy, "a");
  world.push_back({"a9", "t1", InstancePhase::kStarting});
  auto d = DecideService({"t1", 2, 1, 0}, world);
  ASSERT_EQ(d.stop.size(), 2u);
  EXPECT_EQ(d.stop[0], "a9");
  EXPECT_TRUE(d.complete == false);
}

TEST(DecideService, ScaleToZeroStopsEverything) {
  auto d = DecideService({"t1", 0, 1, 0}, Instances("t1", 2, InstancePhase::kHealthy, "a"));
  EXPECT_EQ(d.stop.size(), 2u);
  EXPECT_TRUE(DecideService({"t1", 0, 1, 0}, {}).complete);
}

TEST(DecideService, IgnoresInstancesAlreadyStopping) {
  auto world = Instances("t1", 3, InstancePhase::kHealthy, "a");
  world.push_back({"z0", "t0", InstancePhase::kStopping});
  auto d = DecideService({"t1", 3, 1, 0}, world);
  EXPECT_TRUE(d.complete);
}

TEST(DecideService, RollingReplaceKeepsEveryReplicaAvailableWithSurge) {
  EXPECT_GT(SimulateRollout({"t2", 3, 1, 0}, Instances("t1", 3, InstancePhase::kHealthy, "a"), 3),
            0);
}

TEST(DecideService, RollingReplaceWithoutSurgeStaysAboveMinimum) {
  EXPECT_GT(SimulateRollout({"t2", 4, 0, 1}, Instances("t1", 4, InstancePhase::kHealthy, "a"), 3),
            0);
}

TEST(DecideService, RollingReplaceWithLargeSurgeFinishesQuickly) {
  int steps =
      SimulateRollout({"t2", 10, 10, 0}, Instances("t1", 10, InstancePhase::kHealthy, "a"), 10);
  EXPECT_LE(steps, 3);
}

}  // namespace
}  // namespace cairn::control
