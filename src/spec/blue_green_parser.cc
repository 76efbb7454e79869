// services.<name>.strategy.blue_green: the new version comes up in full beside the old, is
// reachable on preview listeners, and takes all traffic in one route-table switch.
#include <optional>

#include "spec/parser_internal.h"

namespace cairn::spec {
namespace {

const std::vector<std::string> kBlueGreenFields = {"preview", "auto_promote", "analysis",
                                                   "scale_down_delay", "progress_deadline"};

void ParsePreview(YamlReader& reader, const Field& preview_field, BlueGreenSpec* blue_green,
                  StrategyFields* fields) {
  if (!reader.ExpectMap(preview_field)) return;
  // Port names are checked against the service's ports once they are all read.
  for (const Field& field : reader.AllFields(preview_field.value, preview_field.path)) {
    auto listen = reader.Int(field, 1, 65535);
    if (!listen) continue;
    blue_green->preview[field.key] = *listen;
    fields->preview_ports.push_back(field);
  }
}

// false, true, or a duration ("promote this long after the new version is ready").
void ParseAutoPromote(YamlReader& reader, const Field& field, AutoPromoteSpec* auto_promote) {
  constexpr const char* kRule =
      "true, false (wait for `cairn rollout promote`) or a delay such as 10m";
  if (field.value.IsScalar() && field.value.Tag() == "?") {
    const std::string& text = field.value.Scalar();
    if (text == "true" || text == "false") {
      *auto_promote = AutoPromoteSpec{text == "true", Duration(0)};
      return;
    }
    if (auto delay = ParseDuration(text); delay.ok()) {
      *auto_promote = AutoPromoteSpec{true, *delay};
      return;
    }
  }
  reader.Fail(field, std::string("expected ") + kRule + ", found " + Describe(field.value));
}

}  // namespace

void ParseBlueGreen(YamlReader& reader, const Field& blue_green_field, BlueGreenSpec* blue_green,
                    StrategyFields* fields) {
  if (!reader.ExpectMap(blue_green_field)) return;
  std::optional<Field> analysis_field;
  for (const Field& field :
       reader.KnownFields(blue_green_field.value, blue_green_field.path, kBlueGreenFields)) {
    if (field.key == "preview") {
      fields->preview = field;
      ParsePreview(reader, field, blue_green, fields);
    } else if (field.key == "auto_promote") {
      ParseAutoPromote(reader, field, &blue_green->auto_promote);
    } else if (field.key == "analysis") {
      if (!reader.ExpectMap(field)) continue;
      analysis_field = field;
      blue_green->analysis = ParseAnalysis(reader, field, AnalysisSpec{}, true);
    } else if (field.key == "scale_down_delay") {
      if (auto value = reader.DurationValue(field, Duration(0))) {
        blue_green->scale_down_delay = *value;
      }
    } else if (field.key == "progress_deadline") {
      if (auto value = reader.DurationValue(field, Duration(1))) {
        blue_green->progress_deadline = *value;
      }
    }
  }
  // Before the switch only preview traffic reaches the new version: the router's success
  // rate and latency of it need a preview listener. Prometheus checks need none.
  if (analysis_field && blue_green->analysis->HasRouterChecks() && !fields->preview) {
    reader.Fail(analysis_field->KeyMark(), analysis_field->path,
                "success_rate and latency are measured on preview traffic before the switch, "
                "and there is no preview listener; add preview: {<http port name>: <port>}");
  }
}

}  // namespace cairn::spec
