// Backend choice within one version: round robin, or power of two random choices on
// outstanding requests (least request). Both skip backends the caller's `usable` predicate
// rejects (unhealthy, ejected, already tried by this request) and never allocate.
//
// Templates so the predicate and the load lookup inline on the data path; RoutingState
// supplies them from its per-worker counters, tests supply plain lambdas.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "router/fast_random.h"
#include "router/route_table.h"

namespace cairn::router {

// The first usable backend at or after `*cursor` (wrapping), and moves `*cursor` past it.
// O(1) when the next backend is usable, O(n) at worst. nullptr when none is usable.
template <typename Usable>
const Backend* PickRoundRobin(const std::vector<Backend>& backends, uint64_t* cursor,
                              Usable&& usable) {
  const size_t n = backends.size();
  for (size_t step = 0; step < n; ++step) {
    const size_t i = (*cursor + step) % n;
    if (usable(backends[i])) {
      *cursor = i + 1;
      return &backends[i];
    }
  }
  return nullptr;
}

namespace internal {

inline constexpr int kSampleTries = 4;

// A usable index drawn uniformly from those other than `skip` (pass n for none): a few random
// draws first (almost always enough: most backends are usable), then an exact count-and-index
// scan when many are not. n when there is none.
template <typename Usable>
size_t SampleUsable(const std::vector<Backend>& backends, size_t skip, FastRandom& random,
                    Usable& usable) {
  const size_t n = backends.size();
  for (int t = 0; t < kSampleTries; ++t) {
    const size_t i = random.Below(n);
    if (i != skip && usable(backends[i])) return i;
  }
  size_t count = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i != skip && usable(backends[i])) ++count;
  }
  if (count == 0) return n;
  size_t k = random.Below(count);
  for (size_t i = 0; i < n; ++i) {
    if (i != skip && usable(backends[i]) && k-- == 0) return i;
  }
  return n;  // unreachable unless `usable` changed its mind mid-call
}

}  // namespace internal

// Power of two random choices: two distinct usable backends drawn uniformly, the one with fewer
// outstanding requests wins, a tie goes to a coin flip. `load(backend)` returns the backend's
// outstanding requests. nullptr when none is usable; the only usable one when there is one.
template <typename Usable, typename Load>
const Backend* PickLeastRequest(const std::vector<Backend>& backends, FastRandom& random,
                                Usable&& usable, Load&& load) {
  const size_t n = backends.size();
  if (n == 0) return nullptr;
  const size_t first = internal::SampleUsable(backends, n, random, usable);
  if (first == n) return nullptr;
  const size_t second = internal::SampleUsable(backends, first, random, usable);
  if (second == n) return &backends[first];
  const auto load_first = load(backends[first]);
  const auto load_second = load(backends[second]);
  if (load_first != load_second) {
    return load_first < load_second ? &backends[first] : &backends[second];
  }
  return random.Coin() ? &backends[first] : &backends[second];
}

}  // namespace cairn::router
