// services.<name>.strategy.canary: the new version takes a growing share of the traffic, step
// by step (weight, pause, judged analysis), while an optional background analysis watches it.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "core/terminal_text.h"
#include "spec/limits.h"
#include "spec/parser_internal.h"

namespace cairn::spec {
namespace {

const std::vector<std::string> kCanaryFields = {"steps", "cohort", "replicas", "analysis",
                                                "progress_deadline"};
const std::vector<std::string> kStepKinds = {"weight", "pause", "analysis"};
const std::vector<std::string> kPauseFields = {"duration"};

constexpr const char* kWeightRule =
    "a percent of traffic greater than 0 and at most 100, in steps of 0.01, such as 5, 0.5 or "
    "\"25%\"";

// `weight: 5`, `weight: 0.5` or `weight: "5%"` -> basis points (500, 50, 500).
std::optional<int> ReadWeight(YamlReader& reader, const Field& field) {
  if (!field.value.IsScalar()) {
    reader.Fail(field, std::string("expected ") + kWeightRule + ", found " + Describe(field.value));
    return std::nullopt;
  }
  std::string text = field.value.Scalar();
  bool percent_sign = text.ends_with('%');
  if (percent_sign) text.pop_back();
  char* end = nullptr;
  double percent = std::strtod(text.c_str(), &end);
  bool is_number = !text.empty() && end == text.c_str() + text.size() &&
                   text.find_first_not_of("0123456789.") == std::string::npos;
  // A quoted number without '%' is text, as everywhere else in the file.
  if (!is_number || (!percent_sign && field.value.Tag() != "?")) {
    reader.Fail(field, std::string("expected ") + kWeightRule + ", found " + Describe(field.value));
    return std::nullopt;
  }
  double basis_points = percent * 100;
  double whole = std::round(basis_points);
  if (percent <= 0 || percent > 100 || std::abs(basis_points - whole) > 1e-6) {
    reader.Fail(field,
                std::string("must be ") + kWeightRule + ", found " + Bare(field.value.Scalar()));
    return std::nullopt;
  }
  return static_cast<int>(whole);
}

// `pause: 30s`, `pause: {duration: 30s}` (as Argo writes it) or `pause: {}` (until promoted).
// nullopt on error; a value holding nullopt for "wait for a person".
std::optional<std::optional<Duration>> ReadPause(YamlReader& reader, const Field& field) {
  if (field.value.IsNull()) {
    reader.Fail(field,
                "expected a duration such as 30s, or {} to wait for `cairn rollout promote`, "
                "found nothing");
    return std::nullopt;
  }
  if (!field.value.IsMap()) {
    auto duration = reader.DurationValue(field, Duration(1));
    if (!duration) return std::nullopt;
    return std::optional<Duration>(*duration);
  }
  std::optional<Duration> timed;
  bool ok = true;
  for (const Field& inner : reader.KnownFields(field.value, field.path, kPauseFields)) {
    auto duration = reader.DurationValue(inner, Duration(1));
    if (duration) {
      timed = *duration;
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return timed;
}

void ParseStep(YamlReader& reader, const Field& item, const AnalysisSpec& base,
               bool canary_has_analysis, CanaryStep* step, bool* ok) {
  *ok = false;
  if (!item.value.IsMap() || item.value.size() == 0) {
    reader.Fail(item,
                "expected a step: a mapping with one of weight, pause or analysis, found " +
                    (item.value.IsMap() ? std::string("an empty mapping") : Describe(item.value)));
    return;
  }
  const Field* chosen = nullptr;
  std::vector<Field> kinds = reader.KnownFields(item.value, item.path, kStepKinds, "step");
  for (const Field& kind : kinds) {
    if (chosen != nullptr) {
      reader.Fail(kind.KeyMark(), kind.path,
                  "a step is exactly one of weight, pause or analysis, found both " + chosen->key +
                      " and " + kind.key + "; write them as two steps");
      *ok = false;
      continue;
    }
    chosen = &kind;
    if (kind.key == "weight") {
      step->kind = CanaryStepKind::kWeight;
      if (auto weight = ReadWeight(reader, kind)) {
        step->weight_bp = *weight;
        *ok = true;
      }
    } else if (kind.key == "pause") {
      step->kind = CanaryStepKind::kPause;
      if (auto pause = ReadPause(reader, kind)) {
        step->pause = *pause;
        *ok = true;
      }
    } else {
      step->kind = CanaryStepKind::kAnalysis;
      if (!reader.ExpectMap(kind)) continue;
      // Without a canary-level analysis the step must bring its own checks; with one, a
      // missing check is reported there, not again at every step.
      step->analysis = ParseAnalysis(reader, kind, base, /*require_checks=*/!canary_has_analysis);
      *ok = true;
    }
  }
}

void ParseSteps(YamlReader& reader, const Field& field, const AnalysisSpec& base,
                bool canary_has_analysis, std::vector<CanaryStep>* steps) {
  if (!field.value.IsSequence()) {
    reader.Fail(field, "expected a list of steps (weight, pause or analysis), found " +
                           Describe(field.value));
    return;
  }
  if (field.value.size() == 0) {
    reader.Fail(field, "must not be empty: give at least one weight step, such as [{weight: 10}]");
    return;
  }
  if (!reader.CheckCount(field, field.value.size(), kMaxCanarySteps, "steps")) return;
  bool all_ok = true;
  std::optional<Field> first_weight, early_analysis;
  for (size_t i = 0; i < field.value.size(); ++i) {
    Field item = ItemField(field, i);
    CanaryStep step;
    bool ok = false;
    ParseStep(reader, item, base, canary_has_analysis, &step, &ok);
    all_ok = all_ok && ok;
    if (!ok) continue;
    if (step.kind == CanaryStepKind::kWeight && !first_weight) first_weight = item;
    if (step.kind == CanaryStepKind::kAnalysis && !first_weight && !early_analysis) {
      early_analysis = item;
    }
    steps->push_back(std::move(step));
  }
  if (!all_ok) return;  // the list is incomplete: whole-list checks would mislead
  if (!first_weight) {
    reader.Fail(field,
                "no weight step: the canary would get no traffic before it is promoted; add "
                "a step such as {weight: 10} (or use blue_green to switch at once)");
  } else if (early_analysis) {
    reader.Fail(early_analysis->ValueMark(), early_analysis->path,
                "an analysis step before the first weight step would judge a canary that "
                "receives no traffic; move it after a weight step");
  }
}

// "header:X-User-Id" or "cookie:session".
void ParseCohort(YamlReader& reader, const Field& field, CohortSpec* cohort) {
  constexpr const char* kRule =
      "header:NAME or cookie:NAME, such as \"header:X-User-Id\" (NAME: letters, digits and "
      "!#$%&'*+-.^_`|~)";
  auto text = reader.String(field);
  if (!text) return;
  size_t colon = text->find(':');
  std::string source = colon == std::string::npos ? "" : text->substr(0, colon);
  std::string name = colon == std::string::npos ? "" : text->substr(colon + 1);
  // An HTTP token (RFC 9110): both header and cookie names are one.
  bool is_token = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
  if ((source != "header" && source != "cookie") || !is_token) {
    reader.Fail(field, std::string("expected ") + kRule + ", found " + Describe(field.value));
    return;
  }
  if (source == "header") {
    cohort->source = CohortSource::kHeader;
    // HTTP header names are case-insensitive: one spelling, so equal files hash the same.
    std::transform(name.begin(), name.end(), name.begin(), [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
  } else {
    cohort->source = CohortSource::kCookie;
  }
  cohort->name = name;
}

}  // namespace

Field ItemField(const Field& list, size_t index) {
  YAML::Node item = list.value[index];
  return Field{"", list.path + "[" + std::to_string(index) + "]",
               item.Mark().is_null() ? list.key_node : item, item};
}

void ParseCanary(YamlReader& reader, const Field& canary_field, CanarySpec* canary) {
  if (!reader.ExpectMap(canary_field)) return;
  std::optional<Field> steps_field, analysis_field;
  for (const Field& field :
       reader.KnownFields(canary_field.value, canary_field.path, kCanaryFields)) {
    if (field.key == "steps") {
      steps_field = field;
    } else if (field.key == "analysis") {
      analysis_field = field;
    } else if (field.key == "cohort") {
      ParseCohort(reader, field, &canary->cohort);
    } else if (field.key == "replicas") {
      if (auto replicas = reader.Int(field, 1, 1000)) canary->replicas = *replicas;
    } else if (field.key == "progress_deadline") {
      if (auto value = reader.DurationValue(field, Duration(1))) {
        canary->progress_deadline = *value;
      }
    }
  }
  // The background analysis first, whatever the order in the file: judged steps start from it.
  if (analysis_field && reader.ExpectMap(*analysis_field)) {
    canary->analysis = ParseAnalysis(reader, *analysis_field, AnalysisSpec{}, true);
  }
  if (!steps_field) {
    reader.Fail(canary_field.KeyMark(), JoinPath(canary_field.path, "steps"),
                "required field is missing: the steps, such as [{weight: 10}, {pause: 1m}, "
                "{weight: 50}, {pause: {}}]");
    return;
  }
  ParseSteps(reader, *steps_field, canary->analysis.value_or(AnalysisSpec{}),
             analysis_field.has_value(), &canary->steps);
}

}  // namespace cairn::spec
