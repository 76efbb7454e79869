// EnvironmentSpec: the environment file as data, and the functions that read, validate,
// serialise and hash it. This header is spec/'s whole public face.
//
// spec/ never does I/O except reading the file named in ParseSpecFile, and never depends on
// any module above core/.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/units.h"

namespace cairn::spec {

using namespace std::chrono_literals;

enum class Protocol { kHttp, kTcp };

struct PortSpec {
  std::string name;  // key under `ports:`; [a-z][a-z0-9_-]*
  int listen = 0;    // router listener port (1..65535), unique in the environment
  Protocol protocol = Protocol::kHttp;
  // One router access log line per request on this port (http only: a tcp port has no
  // requests). Not part of what runs: changing it alone updates the router, replacing nothing.
  bool access_log = false;
};

enum class HealthKind { kNone, kHttp, kTcp, kExec };

struct HealthSpec {
  HealthKind kind = HealthKind::kNone;    // kNone: an instance counts as healthy once running
  std::string http_path = "/";            // kHttp only; must start with '/'
  std::vector<std::string> exec_command;  // kExec only; argv, non-empty
  Duration interval = 1s;                 // > 0
  Duration timeout = 1s;                  // > 0 and <= interval
  int healthy_after = 1;                  // consecutive successes to become healthy, >= 1
  int unhealthy_after = 3;                // consecutive failures to become unhealthy, >= 1
  Duration start_grace = 0s;              // failures in this window after start do not count
};

struct ResourcesSpec {
  std::optional<uint64_t> memory_bytes;  // "256Mi"; enforced by the oci driver (cgroup)
  std::optional<double> cpu;             // cores, > 0
  std::optional<int64_t> pids;           // most processes and threads at once (oci driver)
};

// A count ("1") or a share of replicas ("25%"), as max_surge / max_unavailable take.
struct CountOrPercent {
  bool is_percent = false;
  int count = 0;
  double percent = 0;

  // Absolute value for `replicas`; percentages round up when `round_up`, else down.
  int Resolve(int replicas, bool round_up) const;
  friend bool operator==(const CountOrPercent&, const CountOrPercent&) = default;
};

struct RollingSpec {
  CountOrPercent max_surge{false, 1, 0};        // extra instances allowed during a replace
  CountOrPercent max_unavailable{false, 0, 0};  // instances that may be missing
  Duration progress_deadline = 5min;            // new instances must be healthy by then
};

// ---- Progressive delivery: canary and blue-green (the file format only) ----
//
// These describe how a new version of a service is exposed to traffic and judged. The parser
// validates them completely; running them is the rollout engine's job (until it lands the
// controller refuses to apply a service that names one, rather than rolling it silently).

enum class StrategyKind { kRolling, kCanary, kBlueGreen };

enum class Comparison { kLess, kLessOrEqual, kGreater, kGreaterOrEqual };

// A bound such as ">= 99%" (success_rate, `value` in percent), "<= 0.5" (a Prometheus
// condition, `value` in the query's own unit).
struct ThresholdSpec {
  Comparison comparison = Comparison::kGreaterOrEqual;
  double value = 0;
  friend bool operator==(const ThresholdSpec&, const ThresholdSpec&) = default;
};

// A latency bound such as "<= 250ms" on one quantile of request latency at the router.
struct LatencyThresholdSpec {
  Comparison comparison = Comparison::kLessOrEqual;  // kLess or kLessOrEqual
  Duration limit{0};                                 // > 0
  friend bool operator==(const LatencyThresholdSpec&, const LatencyThresholdSpec&) = default;
};

// One metric the router cannot see, read with PromQL over the Prometheus HTTP API. The query
// must return one number; the check passes when `condition` holds for it. The query may name
// the rollout with these placeholders, filled in when it runs: the service, the revision being
// rolled out, and the stable revision it replaces.
inline constexpr const char* kQueryPlaceholders[] = {"{{service}}", "{{revision}}",
                                                     "{{stable_revision}}"};
struct PrometheusCheckSpec {
  std::string name;                               // [a-z][a-z0-9_-]*, unique in its analysis
  std::string address = "http://127.0.0.1:9090";  // http(s)://host[:port][/path]
  std::string query;                              // PromQL, non-empty
  ThresholdSpec condition;                        // any comparison, any finite number
  friend bool operator==(const PrometheusCheckSpec&, const PrometheusCheckSpec&) = default;
};

enum class Baseline {
  kNone,     // thresholds alone decide
  kCompare,  // the new version is also judged against the stable one in the same interval
};

// The judge: every `interval`, the new version's traffic in that interval gives a verdict —
// pass, fail, or inconclusive (fewer than `min_requests` requests; with kCompare, on either
// side). At least one check (success_rate, a latency quantile, prometheus) is required.
struct AnalysisSpec {
  Duration interval = 5s;                       // >= 1s
  std::optional<ThresholdSpec> success_rate;    // >= or >, a percent: share of non-5xx answers
  std::map<int, LatencyThresholdSpec> latency;  // quantile (50, 90, 95, 99) -> bound
  Baseline baseline = Baseline::kNone;
  int min_requests = 50;       // per interval for a verdict, >= 1
  int failure_limit = 0;       // failed verdicts tolerated; one more aborts
  int inconclusive_limit = 3;  // inconclusive verdicts in a row tolerated
  int count = 3;               // intervals a judged step (or blue-green pre-promotion) lasts, >= 1
  std::vector<PrometheusCheckSpec> prometheus;  // in file order

  bool HasChecks() const { return success_rate || !latency.empty() || !prometheus.empty(); }
  // Whether any check reads the router's own measurements (they need traffic through it).
  bool HasRouterChecks() const { return success_rate || !latency.empty(); }
  friend bool operator==(const AnalysisSpec&, const AnalysisSpec&) = default;
};

enum class CanaryStepKind {
  kWeight,  // send `weight_bp` of the traffic to the new version
  kPause,   // wait `pause` (nullopt: until `cairn rollout promote`)
  kAnalysis,
};

struct CanaryStep {
  CanaryStepKind kind = CanaryStepKind::kWeight;
  int weight_bp = 0;              // kWeight: basis points, 1..10000 (written as 0.01..100)
  std::optional<Duration> pause;  // kPause: > 0, or nullopt to wait for a person
  AnalysisSpec analysis;          // kAnalysis: the canary's analysis with the step's
                                  // overrides already applied; it must pass to go on
  friend bool operator==(const CanaryStep&, const CanaryStep&) = default;
};

enum class CohortSource { kNone, kHeader, kCookie };

// Sticky assignment of users to versions, done by the router: one key value stays on one
// version while weights grow.
struct CohortSpec {
  CohortSource source = CohortSource::kNone;
  std::string name;  // header names are lower-cased (HTTP compares them so); cookies as written
  friend bool operator==(const CohortSpec&, const CohortSpec&) = default;
};

struct CanarySpec {
  std::vector<CanaryStep> steps;         // non-empty; at least one kWeight
  CohortSpec cohort;                     // needs an http port
  std::optional<int> replicas;           // canary instances; nullopt: scale with the weight
  std::optional<AnalysisSpec> analysis;  // background analysis, judged for the whole canary
  Duration progress_deadline = 5min;     // new instances must be healthy by then
  friend bool operator==(const CanarySpec&, const CanarySpec&) = default;
};

// When a blue-green rollout switches without a person.
struct AutoPromoteSpec {
  bool enabled = false;  // false: wait for `cairn rollout promote`
  // With `enabled`: promote once this long has passed since the new version was healthy and
  // the pre-promotion analysis (if any) has passed. 0: as soon as both hold.
  Duration delay{0};
  friend bool operator==(const AutoPromoteSpec&, const AutoPromoteSpec&) = default;
};

struct BlueGreenSpec {
  // Port name (an http port of this service) -> the router port that serves the new version
  // before the switch. Unique among every listen port of the environment.
  std::map<std::string, int> preview;
  AutoPromoteSpec auto_promote;
  std::optional<AnalysisSpec> analysis;  // pre-promotion, judged `count` intervals
  Duration scale_down_delay = 30s;       // the old version stays this long after the switch
  Duration progress_deadline = 5min;     // new instances must be healthy by then
  friend bool operator==(const BlueGreenSpec&, const BlueGreenSpec&) = default;
};

struct ServiceSpec {
  std::string name;
  // Exactly one of `image` (a tag like "web:1.4" or "sha256:<hex>") or `command`.
  std::string image;
  // The manifest digest `image` named when the revision was applied ("sha256:…"): a revision
  // records what runs, so a tag that moves later changes nothing until the next apply. Set by
  // the server at apply, never read from the environment file.
  std::string image_digest;
  std::string command;
  std::vector<std::string> args;
  std::string workdir;  // empty: the server's working directory
  std::map<std::string, std::string> env;
  int replicas = 1;             // 0..1000
  std::vector<PortSpec> ports;  // sorted by name
  HealthSpec health;
  ResourcesSpec resources;
  // How a new template replaces the old. Only the one `strategy` names is meaningful; the
  // others keep their defaults (the parser accepts exactly one).
  StrategyKind strategy = StrategyKind::kRolling;
  RollingSpec rolling;
  CanarySpec canary;
  BlueGreenSpec blue_green;
  Duration stop_timeout = 10s;  // SIGTERM, then SIGKILL after this long
};

struct EnvironmentSpec {
  std::string environment;  // name, [a-z][a-z0-9_-]*
  std::map<std::string, ServiceSpec> services;
};

// One problem in an environment file. `line`/`col` are 1-based; 0 when unknown.
struct SpecError {
  std::string file;
  int line = 0;
  int col = 0;
  std::string path;     // field path, e.g. "services.web.health.interval"
  std::string message;  // what was found and what is allowed

  // "file:line:col: path: message"
  std::string ToString() const;
};

struct ParseOutcome {
  std::optional<EnvironmentSpec> spec;  // set only when `errors` is empty
  std::vector<SpecError> errors;        // every problem in the file, in file order
};

// Parses and validates YAML text. `file` names the source in errors.
ParseOutcome ParseSpec(const std::string& yaml_text, const std::string& file);
// Reads `path` and parses it; an unreadable file is one error naming the path.
ParseOutcome ParseSpecFile(const std::string& path);
// All errors as one Error (kInvalidArgument), one line per problem.
Error ErrorsToError(const std::vector<SpecError>& errors);

// Canonical JSON: every field present (defaults written out), object keys sorted, durations
// as strings ("1.5s"), sizes as bytes. Two specs that mean the same have the same JSON.
nlohmann::json ToJson(const EnvironmentSpec& spec);
nlohmann::json ServiceToJson(const ServiceSpec& service);
Result<EnvironmentSpec> FromJson(const nlohmann::json& json);
// ToJson(spec).dump(): compact, sorted.
std::string CanonicalJson(const EnvironmentSpec& spec);
// Hex SHA-256 of CanonicalJson.
std::string SpecHash(const EnvironmentSpec& spec);
// Hex SHA-256 of what an instance is started from: the service's canonical JSON without
// `replicas` and without the strategy. Instances started from the same template share it, so
// a replica change alone is a scale and a strategy change alone (rolling -> canary, other
// canary steps, another scale_down_delay) replaces nothing: the strategy says how the *next*
// template change rolls out, not what runs. plan/ calls that an update.
//
// Compatibility: template hashes are stored with every instance, and before strategies were
// left out the JSON held `strategy: {rolling: <defaults>}` for most services. The strategy's
// slot therefore holds that frozen default value, so an instance recorded by an older cairn
// still matches and upgrading cairn replaces nothing; only services that had a non-default
// `rolling:` block get one replace after the upgrade.
std::string ServiceTemplateHash(const ServiceSpec& service);

}  // namespace cairn::spec
