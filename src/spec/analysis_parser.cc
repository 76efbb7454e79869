// An `analysis:` block: the judge of a canary or a blue-green preview. The same reader serves
// a canary's background analysis, its judged steps (which override that analysis field by
// field) and blue-green's pre-promotion analysis.
#include <map>
#include <optional>

#include "core/http_url.h"
#include "core/terminal_text.h"
#include "spec/limits.h"
#include "spec/parser_internal.h"
#include "spec/threshold.h"

namespace cairn::spec {
namespace {

const std::vector<std::string> kAnalysisFields = {
    "interval", "success_rate", "latency_p50",   "latency_p90",        "latency_p95", "latency_p99",
    "baseline", "min_requests", "failure_limit", "inconclusive_limit", "count",       "prometheus"};
const std::vector<std::string> kPrometheusFields = {"name", "address", "query", "condition"};

// What is wrong with an http:// Prometheus address, or nothing: the reading (core's
// ParseHttpUrl) the controller applies when it queries, so an address it could not use is
// refused here with its position instead of at apply by its path alone, or at every interval.
std::optional<std::string> AddressProblem(const std::string& address) {
  bool has_space = false;
  for (char c : address) has_space = has_space || static_cast<unsigned char>(c) <= ' ';
  if (has_space) return std::string("must not hold spaces or control characters");
  Result<HttpUrl> url = ParseHttpUrl(address);
  if (!url.ok()) return url.error().message;
  return std::nullopt;
}

// The first "{{...}}" in a query that is not one of kQueryPlaceholders, if any.
std::optional<std::string> UnknownPlaceholder(const std::string& query) {
  for (size_t at = query.find("{{"); at != std::string::npos; at = query.find("{{", at + 2)) {
    size_t end = query.find("}}", at);
    std::string found =
        query.substr(at, end == std::string::npos ? std::string::npos : end + 2 - at);
    bool known = false;
    for (const char* name : kQueryPlaceholders) known = known || found == name;
    if (!known) return found;
    at = end;
  }
  return std::nullopt;
}

// One `prometheus:` item. Names must be unique in the list: they label verdicts and events.
std::optional<PrometheusCheckSpec> ParsePrometheusCheck(YamlReader& reader, const Field& item,
                                                        std::map<std::string, int>* names) {
  if (!item.value.IsMap()) {
    reader.Fail(item,
                "expected a mapping with name, query and condition, found " + Describe(item.value));
    return std::nullopt;
  }
  PrometheusCheckSpec check;
  bool ok = true, has_name = false, has_query = false, has_condition = false;
  for (const Field& field : reader.KnownFields(item.value, item.path, kPrometheusFields)) {
    // Given, even when its value is wrong: "required field is missing" would be noise then.
    has_name = has_name || field.key == "name";
    has_query = has_query || field.key == "query";
    has_condition = has_condition || field.key == "condition";
    auto text = reader.String(field, field.key == "query" ? kMaxQueryBytes : kMaxStringBytes);
    if (!text) {
      ok = false;
      continue;
    }
    if (field.key == "name") {
      if (!IsName(*text)) {
        reader.Fail(field, "invalid check name " + QuoteForTerminal(*text) +
                               ": must start with a lower-case letter and contain only a-z, "
                               "0-9, '_' and '-' (at most 63 characters)");
        ok = false;
        continue;
      }
      auto [seen, inserted] = names->emplace(*text, field.ValueMark().line + 1);
      if (!inserted) {
        reader.Fail(field, "duplicate check name " + QuoteForTerminal(*text) +
                               "; first used at line " + std::to_string(seen->second));
        ok = false;
      }
      check.name = *text;
    } else if (field.key == "address") {
      if (text->starts_with("https://")) {
        reader.Fail(field,
                    "https Prometheus addresses are not supported by this cairn: use http:// (a "
                    "Prometheus on the same host or network), found " +
                        Describe(field.value));
        ok = false;
      } else if (std::optional<std::string> problem = AddressProblem(*text)) {
        reader.Fail(field,
                    "expected the Prometheus server's URL, such as http://127.0.0.1:9090, found " +
                        Describe(field.value) + ": " + *problem);
        ok = false;
      }
      check.address = *text;
    } else if (field.key == "query") {
      if (text->find_first_not_of(" \t\n") == std::string::npos) {
        reader.Fail(field, "must not be empty: a PromQL query that returns one number");
        ok = false;
      } else if (auto unknown = UnknownPlaceholder(*text)) {
        std::string known;
        for (const char* name : kQueryPlaceholders)
          known += (known.empty() ? "" : ", ") + std::string(name);
        reader.Fail(field,
                    "unknown placeholder " + Bare(*unknown) + " in the query; known: " + known);
        ok = false;
      }
      check.query = *text;
    } else if (field.key == "condition") {
      Result<ThresholdSpec> condition = ParseCondition(*text);
      if (!condition.ok()) {
        reader.Fail(field, condition.error().message);
        ok = false;
        continue;
      }
      check.condition = *condition;
    }
  }
  for (auto [present, key, what] :
       {std::tuple{has_name, "name", "the check's name, such as db_errors"},
        std::tuple{has_query, "query", "a PromQL query that returns one number"},
        std::tuple{has_condition, "condition", "a comparison and a number, such as \"<= 0.5\""}}) {
    if (!present) {
      reader.Fail(item.KeyMark(), JoinPath(item.path, key),
                  std::string("required field is missing: ") + what);
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return check;
}

std::optional<std::vector<PrometheusCheckSpec>> ParsePrometheus(YamlReader& reader,
                                                                const Field& field) {
  if (!field.value.IsSequence()) {
    reader.Fail(field, "expected a list of checks (name, query, condition), found " +
                           Describe(field.value));
    return std::nullopt;
  }
  if (!reader.CheckCount(field, field.value.size(), kMaxPrometheusChecks, "checks")) {
    return std::nullopt;
  }
  std::vector<PrometheusCheckSpec> checks;
  std::map<std::string, int> names;
  bool ok = true;
  for (size_t i = 0; i < field.value.size(); ++i) {
    auto check = ParsePrometheusCheck(reader, ItemField(field, i), &names);
    if (check) {
      checks.push_back(std::move(*check));
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return checks;
}

}  // namespace

AnalysisSpec ParseAnalysis(YamlReader& reader, const Field& analysis_field,
                           const AnalysisSpec& base, bool require_checks) {
  AnalysisSpec analysis = base;
  // A check that failed to read still counts as given: "no checks" would then be noise.
  bool gave_check = false;
  for (const Field& field :
       reader.KnownFields(analysis_field.value, analysis_field.path, kAnalysisFields)) {
    if (field.key == "interval") {
      if (auto value = reader.DurationValue(field, std::chrono::seconds(1))) {
        analysis.interval = *value;
      }
    } else if (field.key == "success_rate") {
      gave_check = true;
      auto text = reader.String(field);
      if (!text) continue;
      Result<ThresholdSpec> threshold = ParseSuccessRate(*text);
      if (!threshold.ok()) {
        reader.Fail(field, threshold.error().message);
        continue;
      }
      analysis.success_rate = *threshold;
    } else if (field.key.starts_with("latency_p")) {
      gave_check = true;
      auto text = reader.String(field);
      if (!text) continue;
      Result<LatencyThresholdSpec> threshold = ParseLatency(*text);
      if (!threshold.ok()) {
        reader.Fail(field, threshold.error().message);
        continue;
      }
      analysis.latency[std::stoi(field.key.substr(9))] = *threshold;
    } else if (field.key == "baseline") {
      auto text = reader.String(field);
      if (!text) continue;
      if (*text == "compare") {
        analysis.baseline = Baseline::kCompare;
      } else if (*text == "none") {
        analysis.baseline = Baseline::kNone;
      } else {
        reader.Fail(field, "expected compare or none, found " + Describe(field.value));
      }
    } else if (field.key == "min_requests") {
      if (auto value = reader.Int(field, 1, 1000000)) analysis.min_requests = *value;
    } else if (field.key == "failure_limit") {
      if (auto value = reader.Int(field, 0, 1000)) analysis.failure_limit = *value;
    } else if (field.key == "inconclusive_limit") {
      if (auto value = reader.Int(field, 0, 1000)) analysis.inconclusive_limit = *value;
    } else if (field.key == "count") {
      if (auto value = reader.Int(field, 1, 1000)) analysis.count = *value;
    } else if (field.key == "prometheus") {
      gave_check = true;
      if (auto checks = ParsePrometheus(reader, field)) analysis.prometheus = std::move(*checks);
    }
  }
  if (require_checks && !gave_check && !analysis.HasChecks()) {
    reader.Fail(analysis_field.KeyMark(), analysis_field.path,
                "an analysis needs at least one check: success_rate, latency_p50, latency_p90, "
                "latency_p95, latency_p99 or prometheus");
  }
  return analysis;
}

}  // namespace cairn::spec
