// services.<name>.strategy: how a replace proceeds. Only `rolling` exists today; canary and
// blue_green join kStrategies when they are implemented.
#include <optional>

#include "spec/parser_internal.h"

namespace cairn::spec {
namespace {

const std::vector<std::string> kStrategies = {"rolling"};
const std::vector<std::string> kRollingFields = {"max_surge", "max_unavailable",
                                                 "progress_deadline"};

bool IsZero(const CountOrPercent& value) {
  return value.is_percent ? value.percent == 0 : value.count == 0;
}

void ParseRolling(YamlReader& reader, const Field& rolling_field, RollingSpec* rolling) {
  if (!reader.ExpectMap(rolling_field)) return;
  std::optional<Field> last_bound;  // the later of max_surge / max_unavailable, as written
  for (const Field& field :
       reader.KnownFields(rolling_field.value, rolling_field.path, kRollingFields)) {
    if (field.key == "max_surge" || field.key == "max_unavailable") {
      auto value = reader.CountOrPercentValue(field);
      if (!value) continue;
      (field.key == "max_surge" ? rolling->max_surge : rolling->max_unavailable) = *value;
      last_bound = field;
    } else if (field.key == "progress_deadline") {
      if (auto value = reader.DurationValue(field, Duration(1))) {
        rolling->progress_deadline = *value;
      }
    }
  }
  if (last_bound && IsZero(rolling->max_surge) && IsZero(rolling->max_unavailable)) {
    reader.Fail(*last_bound,
                "max_surge and max_unavailable cannot both be 0: the replace could never "
                "make progress");
  }
}

}  // namespace

void ParseStrategy(YamlReader& reader, const Field& field, RollingSpec* rolling) {
  if (!reader.ExpectMap(field)) return;
  for (const Field& strategy :
       reader.KnownFields(field.value, field.path, kStrategies, "strategy")) {
    if (strategy.key == "rolling") ParseRolling(reader, strategy, rolling);
  }
}

}  // namespace cairn::spec
