// FastRandom: the router's per-worker source of randomness (phase of the version rotation,
// power-of-two-choices samples, tie breaks). SplitMix64: one add and three multiply-xor-shift
// steps per draw, no allocation, good enough statistically for load balancing, and different
// seeds give unrelated streams. Not for anything secret. Not thread-safe: one per worker.
#pragma once

#include <cstdint>

namespace cairn::router {

class FastRandom {
 public:
  explicit FastRandom(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n); REQUIRES: n > 0. Lemire's multiply-shift: the bias is below n / 2^64.
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }

  bool Coin() { return (Next() >> 63) != 0; }

 private:
  uint64_t state_;
};

}  // namespace cairn::router
