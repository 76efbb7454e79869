#include "router/weighted_rotation.h"

#include <numeric>

namespace cairn::router {

void WeightedRotation::Reset(std::span<const uint32_t> weights, FastRandom& random) {
  credit_.assign(weights.size(), 0);
  uint64_t total = 0;
  uint64_t divisor = 0;
  for (uint32_t w : weights) {
    total += w;
    divisor = std::gcd(divisor, static_cast<uint64_t>(w));
  }
  if (total == 0) return;
  // The sequence for weights w and w/g is the same (credit scales), so one period is total/g.
  const uint64_t phase = random.Below(total / divisor);
  for (uint64_t i = 0; i < phase; ++i) Pick(weights);
}

int WeightedRotation::Pick(std::span<const uint32_t> weights) {
  if (credit_.size() < weights.size()) credit_.resize(weights.size(), 0);
  int best = -1;
  int64_t total = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] == 0) continue;
    total += weights[i];
    credit_[i] += weights[i];
    if (best < 0 || credit_[i] > credit_[best]) best = static_cast<int>(i);
  }
  if (best >= 0) credit_[best] -= total;
  return best;
}

}  // namespace cairn::router
