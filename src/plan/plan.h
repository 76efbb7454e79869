// Plan: what applying a proposed spec would change, service by service. Pure: no I/O.
// A running instance is never mutated: any change to a service's template is a replace. A
// change of the strategy alone (how the next replace rolls out) is an update: the service's
// settings change, no instance does.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "spec/spec.h"

namespace cairn::plan {

enum class ChangeKind { kCreate, kReplace, kUpdate, kDestroy, kScale, kNoChange };

const char* ChangeKindName(ChangeKind kind);  // "create", "replace", ...

// One changed leaf field. Values are JSON; absent means the field did not exist on that side.
struct FieldChange {
  std::string path;  // "env.LOG_LEVEL", "ports.http.listen", "args[1]"
  std::optional<nlohmann::json> old_value;
  std::optional<nlohmann::json> new_value;
};

struct ServiceChange {
  std::string service;
  ChangeKind kind = ChangeKind::kNoChange;
  int old_replicas = 0;
  int new_replicas = 0;
  std::vector<FieldChange> fields;  // replace and update only
};

struct Plan {
  std::string old_environment;  // empty when there is no current spec
  std::string new_environment;
  std::vector<ServiceChange> services;  // sorted by service name

  bool HasChanges() const;
};

// `current` is null when nothing has been applied yet.
Plan ComputePlan(const spec::EnvironmentSpec* current, const spec::EnvironmentSpec& proposed);

// Field-level difference of two JSON documents, leaves only, sorted by path.
std::vector<FieldChange> DiffJson(const nlohmann::json& old_doc, const nlohmann::json& new_doc);

// Terraform/nomad style: "+ create", "-/+ replace" and "~ update" with "~ field: old -> new",
// "- destroy", "~ scale 3 -> 5"; a summary line. ANSI colour when `color`.
std::string RenderPlanText(const Plan& plan, bool color);
nlohmann::json PlanToJson(const Plan& plan);
// FieldChange list rendered as "  ~ path: old -> new" lines (used by `cairn diff`).
std::string RenderFieldChanges(const std::vector<FieldChange>& changes, bool color);

}  // namespace cairn::plan
