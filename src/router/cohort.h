// Cohorts: a user's key (a header or cookie value) hashes to a fixed bucket in [0, 10000), and
// the bucket picks the version. The newest version owns the lowest buckets, so a user admitted
// to a canary at 5% is still on it at 25% and 50%: weights only ever grow a version's range.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "router/route_table.h"

namespace cairn::router {

inline constexpr uint32_t kCohortBuckets = 10000;  // one bucket per basis point

// FNV-1a 64 over the key's bytes, then the MurmurHash3 fmix64 finalizer so that short and
// similar keys ("user-1", "user-2") spread over all 64 bits. Fixed forever: changing it moves
// every user to a new bucket. CohortBucket (routing_state.h) is this modulo kCohortBuckets.
uint64_t CohortHash(std::string_view key);

// The version whose bucket range holds `bucket`: ranges run newest first, [0, w_newest),
// [w_newest, w_newest + w_next), ..., and the oldest version (index 0) takes the rest.
// REQUIRES: !versions.empty().
size_t CohortVersionIndex(const std::vector<VersionRoute>& versions, uint32_t bucket);

// A weighted choice that is fixed for a given hash: the index whose share of the total of
// `weights` holds `hash` modulo that total. Used when a user's version has no usable backend,
// so the user still lands on one version (weighted by share) rather than a different one per
// request. -1 when every weight is 0.
int IndexByHash(std::span<const uint32_t> weights, uint64_t hash);

// The value of cookie `name` in a Cookie header's `cookies` ("a=1; b=2"); empty when absent.
// A cookie cohort's key.
std::string_view CookieValue(std::string_view cookies, std::string_view name);

}  // namespace cairn::router
