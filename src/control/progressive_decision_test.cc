#include "control/progressive_decision.h"

#include <gtest/gtest.h>

namespace cairn::control {
namespace {

using P = InstancePhase;

ProgressiveTarget Target(int new_replicas, int stable_replicas) {
  return {"new", new_replicas, "old", stable_replicas};
}

TEST(DecideProgressiveTest, StartsTheCanaryBesideAFullStableVersion) {
  std::vector<InstanceView> now = {{"o1", "old", P::kHealthy}, {"o2", "old", P::kHealthy}};
  ProgressiveDecision d = DecideProgressive(Target(1, 2), now);
  EXPECT_EQ(d.start_new, 1);
  EXPECT_EQ(d.start_stable, 0);
  EXPECT_TRUE(d.stop.empty());
  EXPECT_EQ(d.stable_healthy, 2);
  EXPECT_EQ(d.new_healthy, 0);
}

TEST(DecideProgressiveTest, SurplusGoesNonServingFirstAndThirdTemplatesGo) {
  std::vector<InstanceView> now = {{"n1", "new", P::kHealthy},  {"n2", "new", P::kCrashed},
                                   {"n3", "new", P::kStarting}, {"x1", "older-canary", P::kHealthy},
                                   {"o1", "old", P::kHealthy},  {"o2", "old", P::kStopping}};
  ProgressiveDecision d = DecideProgressive(Target(1, 1), now);
  EXPECT_EQ(d.stop, (std::vector<std::string>{"x1", "n2", "n3"}));
  EXPECT_EQ(d.start_new, 0);
  EXPECT_EQ(d.start_stable, 0);
  EXPECT_EQ(d.new_healthy, 1);
  EXPECT_EQ(d.stable_healthy, 1);
}

TEST(DecideProgressiveTest, AnAbortStopsEveryCanaryAndACompletionEveryStable) {
  std::vector<InstanceView> now = {{"n1", "new", P::kHealthy}, {"o1", "old", P::kHealthy}};
  EXPECT_EQ(DecideProgressive(Target(0, 1), now).stop, (std::vector<std::string>{"n1"}));
  EXPECT_EQ(DecideProgressive(Target(1, 0), now).stop, (std::vector<std::string>{"o1"}));
}

}  // namespace
}  // namespace cairn::control
