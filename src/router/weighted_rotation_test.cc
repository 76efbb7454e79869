#include "router/weighted_rotation.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace cairn::router {
namespace {

std::vector<int> Count(WeightedRotation& rotation, const std::vector<uint32_t>& weights, int n) {
  std::vector<int> counts(weights.size(), 0);
  for (int i = 0; i < n; ++i) {
    const int pick = rotation.Pick(weights);
    EXPECT_GE(pick, 0);
    if (pick >= 0) ++counts[pick];
  }
  return counts;
}

TEST(WeightedRotationTest, EveryWeightGetsExactlyItsShareOverOnePeriodFromAnyPhase) {
  std::mt19937_64 gen(7);
  for (int round = 0; round < 50; ++round) {
    std::vector<uint32_t> weights(1 + gen() % 5);
    uint32_t total = 0;
    for (uint32_t& w : weights) total += (w = static_cast<uint32_t>(gen() % 4000));
    if (total == 0) continue;
    FastRandom random(gen());
    WeightedRotation rotation;
    rotation.Reset(weights, random);
    const std::vector<int> counts = Count(rotation, weights, static_cast<int>(total));
    for (size_t i = 0; i < weights.size(); ++i) {
      EXPECT_EQ(counts[i], static_cast<int>(weights[i])) << "round " << round << " index " << i;
    }
  }
}

TEST(WeightedRotationTest, ZeroWeightsAreNeverPickedAndAllZeroPicksNothing) {
  WeightedRotation rotation;
  FastRandom random(1);
  const std::vector<uint32_t> weights = {0, 3, 0, 1};
  rotation.Reset(weights, random);
  const std::vector<int> counts = Count(rotation, weights, 400);
  EXPECT_EQ(counts, (std::vector<int>{0, 300, 0, 100}));
  const std::vector<uint32_t> none = {0, 0};
  EXPECT_EQ(rotation.Pick(none), -1);
}

TEST(WeightedRotationTest, ResetPhaseDependsOnTheRandomSource) {
  // At 1:3 the first pick after a reset is index 0 for a quarter of the phases.
  const std::vector<uint32_t> weights = {1, 3};
  int first_is_zero = 0;
  for (uint64_t seed = 0; seed < 400; ++seed) {
    FastRandom random(seed);
    WeightedRotation rotation;
    rotation.Reset(weights, random);
    if (rotation.Pick(weights) == 0) ++first_is_zero;
  }
  EXPECT_GT(first_is_zero, 60);
  EXPECT_LT(first_is_zero, 140);
}

}  // namespace
}  // namespace cairn::router
