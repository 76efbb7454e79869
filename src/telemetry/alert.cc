#include "telemetry/alert.h"

#include <cstdint>
#include <cstdio>

namespace cairn::telemetry {

const char* AlertStatusName(AlertStatus status) {
  return status == AlertStatus::kFiring ? "firing" : "resolved";
}

std::string AlertFingerprint(const std::map<std::string, std::string>& labels) {
  // FNV-1a 64 over "k\xffv\xff..." in key order: stable and dependency-free; a fingerprint
  // only needs to tell this environment's alerts apart, not resist an attacker.
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](const std::string& s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;
    h *= 1099511628211ULL;
  };
  for (const auto& [k, v] : labels) {
    mix(k);
    mix(v);
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace cairn::telemetry
