// Pieces of the environment-file parser shared between its files. Private to spec/.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spec/spec.h"
#include "spec/yaml_reader.h"

namespace cairn::spec {

// True for [a-z][a-z0-9_-]*, at most 63 characters: environment, service and port names.
bool IsName(const std::string& name);

// Where each router listen port was first claimed (a service port or a blue-green preview
// port), to report a port used twice anywhere in the environment.
struct ListenClaim {
  std::string path;
  int line = 0;
};
using ListenClaims = std::map<int, ListenClaim>;

// Claims `port` for `owner_path`; a port already claimed is an error at `field`'s value.
void ClaimListenPort(YamlReader& reader, const Field& field, const std::string& owner_path,
                     int port, ListenClaims* claims);

// Reads `services.<name>.health` into `health`; problems go to `reader`.
void ParseHealth(YamlReader& reader, const Field& field, HealthSpec* health);

// What the strategy checks need once the whole service is read: the fields whose validity
// depends on the service's ports (which may come later in the file).
struct StrategyFields {
  std::optional<Field> chosen;       // the canary / blue_green / rolling key
  std::optional<Field> preview;      // blue_green.preview
  std::vector<Field> preview_ports;  // its entries that parsed
};

// Reads `services.<name>.strategy` into service->strategy and the matching spec; problems go
// to `reader`. Checks that need the service's ports wait for CheckStrategyAgainstPorts.
StrategyFields ParseStrategy(YamlReader& reader, const Field& field, ServiceSpec* service);
// Called after the service's ports are read: a canary needs an http port, blue_green needs a
// port, preview ports name http ports of the service and claim their own listen ports.
void CheckStrategyAgainstPorts(YamlReader& reader, const StrategyFields& fields,
                               const ServiceSpec& service, ListenClaims* claims);

// Reads a canary or blue_green block (strategy_parser.cc dispatches to them).
void ParseCanary(YamlReader& reader, const Field& field, CanarySpec* canary);
void ParseBlueGreen(YamlReader& reader, const Field& field, BlueGreenSpec* blue_green,
                    StrategyFields* fields);

// Reads an `analysis:` mapping on top of `base`: a field written replaces the base's value,
// a field left out keeps it (judged canary steps override the canary's analysis this way).
// Reports an analysis that ends with no check only when `require_checks`.
AnalysisSpec ParseAnalysis(YamlReader& reader, const Field& field, const AnalysisSpec& base,
                           bool require_checks);

// A list item as a Field (path "parent[i]"), so the typed reads and errors work on it.
Field ItemField(const Field& list, size_t index);

}  // namespace cairn::spec
