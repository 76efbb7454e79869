// WeightedRotation: smooth weighted round robin (the nginx algorithm) over a service's
// versions. Each pick adds every eligible weight to its running credit, takes the largest
// credit and charges it the eligible total. Over one period (the eligible total divided by the
// weights' gcd) every version gets exactly its share, and picks of a version are spread evenly:
// at 1% over 10,000 picks the minority gets exactly 100, never two in a row, and at 50/50 the
// picks alternate.
//
// The rotation starts at a phase drawn from the caller's FastRandom, so workers that reset at
// the same moment (a new route table) do not all send their first request to the same version.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "router/fast_random.h"

namespace cairn::router {

class WeightedRotation {
 public:
  // Forgets all credit and fast-forwards to a phase drawn uniformly from one period of
  // `weights`. Costs O(period × weights.size()) once, at most 10,000 steps for basis points.
  void Reset(std::span<const uint32_t> weights, FastRandom& random);

  // The index of the next pick; a weight of 0 means "not eligible now". -1 when every weight
  // is 0. `weights` may differ from call to call (a version loses its last usable backend); an
  // ineligible entry keeps its credit for when it returns. No allocation unless the number of
  // weights grows.
  int Pick(std::span<const uint32_t> weights);

  size_t size() const { return credit_.size(); }

 private:
  std::vector<int64_t> credit_;
};

}  // namespace cairn::router
