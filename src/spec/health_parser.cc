// services.<name>.health: at most one probe (http, tcp or exec) with its timing.
#include <optional>

#include "core/terminal_text.h"
#include "spec/limits.h"
#include "spec/parser_internal.h"

namespace cairn::spec {
namespace {

const std::vector<std::string> kProbeKinds = {"http", "tcp", "exec"};

std::vector<std::string> ProbeFields(HealthKind kind) {
  std::vector<std::string> fields;
  if (kind == HealthKind::kHttp) fields.push_back("path");
  if (kind == HealthKind::kExec) fields.push_back("command");
  for (const char* timing :
       {"interval", "timeout", "healthy_after", "unhealthy_after", "start_grace"}) {
    fields.push_back(timing);
  }
  return fields;
}

HealthKind KindOf(const std::string& key) {
  if (key == "http") return HealthKind::kHttp;
  if (key == "tcp") return HealthKind::kTcp;
  return HealthKind::kExec;
}

void ParseProbe(YamlReader& reader, const Field& probe, HealthSpec* health) {
  health->kind = KindOf(probe.key);
  if (!reader.ExpectMap(probe)) return;
  std::optional<Field> interval_field, timeout_field;
  bool has_command = false;
  for (const Field& field :
       reader.KnownFields(probe.value, probe.path, ProbeFields(health->kind))) {
    if (field.key == "path") {
      if (auto path = reader.String(field)) {
        if (path->starts_with('/')) {
          health->http_path = *path;
        } else {
          reader.Fail(field, "must start with \"/\", found " + QuoteForTerminal(*path));
        }
      }
    } else if (field.key == "command") {
      has_command = true;
      if (auto command = reader.StringList(field, kMaxHealthCommandArgs, kMaxArgStringBytes)) {
        if (command->empty()) {
          reader.Fail(field, "must not be empty: give the program and its arguments");
        } else {
          health->exec_command = *command;
        }
      }
    } else if (field.key == "interval") {
      if (auto value = reader.DurationValue(field, Duration(1))) {
        health->interval = *value;
        interval_field = field;
      }
    } else if (field.key == "timeout") {
      if (auto value = reader.DurationValue(field, Duration(1))) {
        health->timeout = *value;
        timeout_field = field;
      }
    } else if (field.key == "healthy_after") {
      if (auto value = reader.Int(field, 1, 100)) health->healthy_after = *value;
    } else if (field.key == "unhealthy_after") {
      if (auto value = reader.Int(field, 1, 100)) health->unhealthy_after = *value;
    } else if (field.key == "start_grace") {
      if (auto value = reader.DurationValue(field, Duration(0))) health->start_grace = *value;
    }
  }
  if (health->kind == HealthKind::kExec && !has_command) {
    reader.Fail(probe.KeyMark(), JoinPath(probe.path, "command"),
                "required field is missing: the program to run, as a list");
  }
  if (health->timeout > health->interval && (timeout_field || interval_field)) {
    // Point at what the user wrote: the timeout if given, else the interval.
    const Field& at = timeout_field ? *timeout_field : *interval_field;
    reader.Fail(at, "timeout (" + FormatDuration(health->timeout) + ") must not exceed interval (" +
                        FormatDuration(health->interval) + ")");
  }
}

}  // namespace

void ParseHealth(YamlReader& reader, const Field& field, HealthSpec* health) {
  if (!reader.ExpectMap(field)) return;
  const Field* chosen = nullptr;
  std::vector<Field> probes = reader.KnownFields(field.value, field.path, kProbeKinds, "probe");
  for (const Field& probe : probes) {
    if (chosen != nullptr) {
      reader.Fail(probe.KeyMark(), probe.path,
                  "only one probe may be set, found both " + chosen->key + " and " + probe.key);
      continue;
    }
    chosen = &probe;
    ParseProbe(reader, probe, health);
  }
}

}  // namespace cairn::spec
