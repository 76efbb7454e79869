#include <cmath>

#include "spec/spec.h"

namespace cairn::spec {

int CountOrPercent::Resolve(int replicas, bool round_up) const {
  if (!is_percent) return count;
  double exact = replicas * percent / 100.0;
  // Guard against 0.1 + 0.2 style noise: a value within 1e-9 of a whole number is that number.
  double nearest = std::round(exact);
  if (std::abs(exact - nearest) < 1e-9) return static_cast<int>(nearest);
  return static_cast<int>(round_up ? std::ceil(exact) : std::floor(exact));
}

}  // namespace cairn::spec
