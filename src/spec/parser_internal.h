// Pieces of the environment-file parser shared between its files. Private to spec/.
#pragma once

#include <string>

#include "spec/spec.h"
#include "spec/yaml_reader.h"

namespace cairn::spec {

// True for [a-z][a-z0-9_-]*, at most 63 characters: environment, service and port names.
bool IsName(const std::string& name);

// Reads `services.<name>.health` into `health`; problems go to `reader`.
void ParseHealth(YamlReader& reader, const Field& field, HealthSpec* health);

// Reads `services.<name>.strategy` into `rolling`; problems go to `reader`.
void ParseStrategy(YamlReader& reader, const Field& field, RollingSpec* rolling);

}  // namespace cairn::spec
