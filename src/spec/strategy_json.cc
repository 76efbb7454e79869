// Canonical JSON of `strategy:` and its inverse. Only the strategy in use is written, under
// its own key, so plan/ shows "strategy.canary.steps[1].pause" and a rolling service's JSON
// (and hash) is what it was before canary and blue_green existed.
#include <cmath>

#include "core/terminal_text.h"
#include "spec/json_internal.h"
#include "spec/threshold.h"

namespace cairn::spec::json_internal {
namespace {

constexpr int kLatencyQuantiles[] = {50, 90, 95, 99};

std::string LatencyKey(int quantile) { return "latency_p" + std::to_string(quantile); }

json RollingToJson(const RollingSpec& rolling) {
  return {{"max_surge", CountOrPercentToJson(rolling.max_surge)},
          {"max_unavailable", CountOrPercentToJson(rolling.max_unavailable)},
          {"progress_deadline", FormatDuration(rolling.progress_deadline)}};
}

json AnalysisToJson(const AnalysisSpec& analysis) {
  json prometheus = json::array();
  for (const PrometheusCheckSpec& check : analysis.prometheus) {
    prometheus.push_back({{"name", check.name},
                          {"address", check.address},
                          {"query", check.query},
                          {"condition", FormatCondition(check.condition)}});
  }
  json out = {
      {"interval", FormatDuration(analysis.interval)},
      {"success_rate",
       analysis.success_rate ? json(FormatSuccessRate(*analysis.success_rate)) : json(nullptr)},
      {"baseline", analysis.baseline == Baseline::kCompare ? "compare" : "none"},
      {"min_requests", analysis.min_requests},
      {"failure_limit", analysis.failure_limit},
      {"inconclusive_limit", analysis.inconclusive_limit},
      {"count", analysis.count},
      {"prometheus", std::move(prometheus)}};
  for (int quantile : kLatencyQuantiles) {
    auto it = analysis.latency.find(quantile);
    out[LatencyKey(quantile)] =
        it == analysis.latency.end() ? json(nullptr) : json(FormatLatency(it->second));
  }
  return out;
}

// A percent as people write it: 5 (not 5.0) when whole, else 0.5.
json WeightToJson(int weight_bp) {
  if (weight_bp % 100 == 0) return weight_bp / 100;
  return weight_bp / 100.0;
}

json StepToJson(const CanaryStep& step) {
  switch (step.kind) {
    case CanaryStepKind::kWeight:
      return {{"weight", WeightToJson(step.weight_bp)}};
    case CanaryStepKind::kPause:
      return {{"pause", step.pause ? json(FormatDuration(*step.pause)) : json::object()}};
    case CanaryStepKind::kAnalysis:
      return {{"analysis", AnalysisToJson(step.analysis)}};
  }
  return json::object();
}

json CanaryToJson(const CanarySpec& canary) {
  json steps = json::array();
  for (const CanaryStep& step : canary.steps) steps.push_back(StepToJson(step));
  json cohort = nullptr;
  if (canary.cohort.source != CohortSource::kNone) {
    cohort = (canary.cohort.source == CohortSource::kHeader ? "header:" : "cookie:") +
             canary.cohort.name;
  }
  return {{"steps", std::move(steps)},
          {"cohort", std::move(cohort)},
          {"replicas", canary.replicas ? json(*canary.replicas) : json(nullptr)},
          {"analysis", canary.analysis ? AnalysisToJson(*canary.analysis) : json(nullptr)},
          {"progress_deadline", FormatDuration(canary.progress_deadline)}};
}

json BlueGreenToJson(const BlueGreenSpec& blue_green) {
  json auto_promote = blue_green.auto_promote.enabled;
  if (blue_green.auto_promote.enabled && blue_green.auto_promote.delay > Duration(0)) {
    auto_promote = FormatDuration(blue_green.auto_promote.delay);
  }
  return {{"preview", blue_green.preview.empty() ? json::object() : json(blue_green.preview)},
          {"auto_promote", std::move(auto_promote)},
          {"analysis", blue_green.analysis ? AnalysisToJson(*blue_green.analysis) : json(nullptr)},
          {"scale_down_delay", FormatDuration(blue_green.scale_down_delay)},
          {"progress_deadline", FormatDuration(blue_green.progress_deadline)}};
}

// ---- Reading back ----

// A threshold text through its parser: a stored spec holds what FormatX wrote.
template <typename T>
T ThresholdFromJson(const json& value, const std::string& path,
                    Result<T> (*parse)(std::string_view)) {
  if (!value.is_string()) Fail(path, "expected a string, found " + value.dump());
  Result<T> parsed = parse(value.get<std::string>());
  if (!parsed.ok()) Fail(path, parsed.error().message);
  return *parsed;
}

AnalysisSpec AnalysisFromJson(const json& json_analysis, const std::string& path) {
  std::vector<std::string> known = {"interval",     "success_rate",  "baseline",
                                    "min_requests", "failure_limit", "inconclusive_limit",
                                    "count",        "prometheus"};
  for (int quantile : kLatencyQuantiles) known.push_back(LatencyKey(quantile));
  ObjectIn in(json_analysis, path, known);
  AnalysisSpec analysis;
  in.DurationValue("interval", &analysis.interval);
  if (const json* rate = in.Find("success_rate"); rate && !rate->is_null()) {
    analysis.success_rate = ThresholdFromJson(*rate, in.PathOf("success_rate"), &ParseSuccessRate);
  }
  for (int quantile : kLatencyQuantiles) {
    const std::string key = LatencyKey(quantile);
    if (const json* latency = in.Find(key); latency && !latency->is_null()) {
      analysis.latency[quantile] = ThresholdFromJson(*latency, in.PathOf(key), &ParseLatency);
    }
  }
  std::string baseline = "none";
  in.String("baseline", &baseline);
  if (baseline != "none" && baseline != "compare") {
    Fail(in.PathOf("baseline"), "expected none or compare, found " + QuoteForTerminal(baseline));
  }
  analysis.baseline = baseline == "compare" ? Baseline::kCompare : Baseline::kNone;
  in.Int("min_requests", &analysis.min_requests);
  in.Int("failure_limit", &analysis.failure_limit);
  in.Int("inconclusive_limit", &analysis.inconclusive_limit);
  in.Int("count", &analysis.count);
  if (const json* checks = in.Find("prometheus")) {
    if (!checks->is_array()) Fail(in.PathOf("prometheus"), "expected an array");
    for (size_t i = 0; i < checks->size(); ++i) {
      std::string item_path = in.PathOf("prometheus") + "[" + std::to_string(i) + "]";
      ObjectIn check_in((*checks)[i], item_path, {"name", "address", "query", "condition"});
      PrometheusCheckSpec check;
      check_in.String("name", &check.name);
      check_in.String("address", &check.address);
      check_in.String("query", &check.query);
      if (const json* condition = check_in.Find("condition")) {
        check.condition =
            ThresholdFromJson(*condition, check_in.PathOf("condition"), &ParseCondition);
      }
      analysis.prometheus.push_back(std::move(check));
    }
  }
  return analysis;
}

CanaryStep StepFromJson(const json& json_step, const std::string& path) {
  ObjectIn in(json_step, path, {"weight", "pause", "analysis"});
  if (json_step.size() != 1) Fail(path, "expected exactly one of weight, pause, analysis");
  CanaryStep step;
  if (const json* weight = in.Find("weight")) {
    if (!weight->is_number()) Fail(in.PathOf("weight"), "expected a number");
    step.kind = CanaryStepKind::kWeight;
    step.weight_bp = static_cast<int>(std::lround(weight->get<double>() * 100));
  } else if (const json* pause = in.Find("pause")) {
    step.kind = CanaryStepKind::kPause;
    if (pause->is_object() && pause->empty()) {
      step.pause = std::nullopt;
    } else {
      Duration duration{0};
      in.DurationValue("pause", &duration);
      step.pause = duration;
    }
  } else {
    step.kind = CanaryStepKind::kAnalysis;
    step.analysis = AnalysisFromJson(*in.Find("analysis"), in.PathOf("analysis"));
  }
  return step;
}

CanarySpec CanaryFromJson(const json& json_canary, const std::string& path) {
  ObjectIn in(json_canary, path, {"steps", "cohort", "replicas", "analysis", "progress_deadline"});
  CanarySpec canary;
  if (const json* steps = in.Find("steps")) {
    if (!steps->is_array()) Fail(in.PathOf("steps"), "expected an array");
    for (size_t i = 0; i < steps->size(); ++i) {
      canary.steps.push_back(
          StepFromJson((*steps)[i], in.PathOf("steps") + "[" + std::to_string(i) + "]"));
    }
  }
  if (const json* cohort = in.Find("cohort"); cohort && !cohort->is_null()) {
    std::string text;
    in.String("cohort", &text);
    if (text.starts_with("header:")) {
      canary.cohort = {CohortSource::kHeader, text.substr(7)};
    } else if (text.starts_with("cookie:")) {
      canary.cohort = {CohortSource::kCookie, text.substr(7)};
    } else {
      Fail(in.PathOf("cohort"),
           "expected header:NAME or cookie:NAME, found " + QuoteForTerminal(text));
    }
  }
  if (const json* replicas = in.Find("replicas"); replicas && !replicas->is_null()) {
    int count = 0;
    in.Int("replicas", &count);
    canary.replicas = count;
  }
  if (const json* analysis = in.Find("analysis"); analysis && !analysis->is_null()) {
    canary.analysis = AnalysisFromJson(*analysis, in.PathOf("analysis"));
  }
  in.DurationValue("progress_deadline", &canary.progress_deadline);
  return canary;
}

BlueGreenSpec BlueGreenFromJson(const json& json_blue_green, const std::string& path) {
  ObjectIn in(json_blue_green, path,
              {"preview", "auto_promote", "analysis", "scale_down_delay", "progress_deadline"});
  BlueGreenSpec blue_green;
  if (const json* preview = in.Find("preview")) {
    if (!preview->is_object()) Fail(in.PathOf("preview"), "expected an object");
    for (const auto& [name, port] : preview->items()) {
      if (!port.is_number_integer()) Fail(in.PathOf("preview") + "." + name, "expected a port");
      blue_green.preview[name] = port.get<int>();
    }
  }
  if (const json* auto_promote = in.Find("auto_promote")) {
    if (auto_promote->is_boolean()) {
      blue_green.auto_promote = {auto_promote->get<bool>(), Duration(0)};
    } else {
      Duration delay{0};
      in.DurationValue("auto_promote", &delay);
      blue_green.auto_promote = {true, delay};
    }
  }
  if (const json* analysis = in.Find("analysis"); analysis && !analysis->is_null()) {
    blue_green.analysis = AnalysisFromJson(*analysis, in.PathOf("analysis"));
  }
  in.DurationValue("scale_down_delay", &blue_green.scale_down_delay);
  in.DurationValue("progress_deadline", &blue_green.progress_deadline);
  return blue_green;
}

}  // namespace

json StrategyToJson(const ServiceSpec& service) {
  switch (service.strategy) {
    case StrategyKind::kRolling:
      return {{"rolling", RollingToJson(service.rolling)}};
    case StrategyKind::kCanary:
      return {{"canary", CanaryToJson(service.canary)}};
    case StrategyKind::kBlueGreen:
      return {{"blue_green", BlueGreenToJson(service.blue_green)}};
  }
  return {{"rolling", RollingToJson(service.rolling)}};
}

void StrategyFromJson(const json& strategy, const std::string& path, ServiceSpec* service) {
  ObjectIn in(strategy, path, {"rolling", "canary", "blue_green"});
  if (strategy.size() > 1) Fail(path, "expected one strategy, found " + strategy.dump());
  if (const json* rolling = in.Find("rolling")) {
    service->strategy = StrategyKind::kRolling;
    ObjectIn rolling_in(*rolling, in.PathOf("rolling"),
                        {"max_surge", "max_unavailable", "progress_deadline"});
    rolling_in.CountOrPercentValue("max_surge", &service->rolling.max_surge);
    rolling_in.CountOrPercentValue("max_unavailable", &service->rolling.max_unavailable);
    rolling_in.DurationValue("progress_deadline", &service->rolling.progress_deadline);
  } else if (const json* canary = in.Find("canary")) {
    service->strategy = StrategyKind::kCanary;
    service->canary = CanaryFromJson(*canary, in.PathOf("canary"));
  } else if (const json* blue_green = in.Find("blue_green")) {
    service->strategy = StrategyKind::kBlueGreen;
    service->blue_green = BlueGreenFromJson(*blue_green, in.PathOf("blue_green"));
  }
}

}  // namespace cairn::spec::json_internal
