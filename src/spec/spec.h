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
  std::optional<uint64_t> memory_bytes;  // "256Mi"; recorded now, enforced by the oci driver
  std::optional<double> cpu;             // cores, > 0
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

struct ServiceSpec {
  std::string name;
  // Exactly one of `image` (a tag like "web:1.4" or "sha256:<hex>") or `command`.
  std::string image;
  std::string command;
  std::vector<std::string> args;
  std::string workdir;  // empty: the server's working directory
  std::map<std::string, std::string> env;
  int replicas = 1;             // 0..1000
  std::vector<PortSpec> ports;  // sorted by name
  HealthSpec health;
  ResourcesSpec resources;
  RollingSpec rolling;
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
// Hex SHA-256 of the service's canonical JSON without `replicas`: instances started from
// the same template share it, so a replica change alone is a scale, not a replace.
std::string ServiceTemplateHash(const ServiceSpec& service);

}  // namespace cairn::spec
