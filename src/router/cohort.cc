#include "router/cohort.h"

#include "router/routing_state.h"

namespace cairn::router {

uint64_t CohortHash(std::string_view key) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  for (char c : key) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;  // FNV-1a 64 prime
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

uint32_t CohortBucket(std::string_view key) {
  return static_cast<uint32_t>(CohortHash(key) % kCohortBuckets);
}

size_t CohortVersionIndex(const std::vector<VersionRoute>& versions, uint32_t bucket) {
  uint64_t end = 0;
  for (size_t i = versions.size() - 1; i > 0; --i) {
    end += versions[i].weight_bp;
    if (bucket < end) return i;
  }
  return 0;
}

int IndexByHash(std::span<const uint32_t> weights, uint64_t hash) {
  uint64_t total = 0;
  for (uint32_t w : weights) total += w;
  if (total == 0) return -1;
  uint64_t point = hash % total;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (point < weights[i]) return static_cast<int>(i);
    point -= weights[i];
  }
  return -1;  // unreachable: point < total
}

std::string_view CookieValue(std::string_view cookies, std::string_view name) {
  while (!cookies.empty()) {
    size_t semi = cookies.find(';');
    std::string_view pair = cookies.substr(0, semi);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
    if (semi == std::string_view::npos) break;
    cookies.remove_prefix(semi + 1);
  }
  return {};
}

}  // namespace cairn::router
