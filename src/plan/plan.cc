// ComputePlan: the decision of what an apply does, service by service. Pure.
//
// A service's identity is its name. Its template is spec::ServiceTemplateHash: its canonical
// JSON without `replicas` and the strategy. The same template with another count is a scale
// (instances are added or stopped, none replaced); another strategy or a port's access_log
// is an update (settings only, none replaced); any other difference is a replace, since
// running instances are never mutated.
#include "plan/plan.h"

#include <set>

namespace cairn::plan {
namespace {

// A default service with `like`'s strategy kind: where its JSON has the values a file gets
// for what it does not say.
nlohmann::json DefaultsFor(const spec::ServiceSpec& like) {
  spec::ServiceSpec defaults;
  defaults.strategy = like.strategy;
  return spec::ServiceToJson(defaults);
}

// Removes from `doc` the leaves of every subtree `other` lacks (added or removed as a whole,
// as a new strategy block is) that are null or equal `defaults` at the same place: the plan
// lists what the file says, not every default that comes with the block. A subtree left empty
// stays, as {}, so the block's arrival or departure is still shown.
void DropDefaultsOfNewSubtrees(nlohmann::json* doc, const nlohmann::json* other,
                               const nlohmann::json* defaults) {
  if (!doc->is_object()) return;
  for (auto it = doc->begin(); it != doc->end();) {
    const nlohmann::json* other_child =
        other && other->is_object() && other->contains(it.key()) ? &(*other)[it.key()] : nullptr;
    const nlohmann::json* default_child =
        defaults && defaults->is_object() && defaults->contains(it.key()) ? &(*defaults)[it.key()]
                                                                          : nullptr;
    nlohmann::json& child = it.value();
    // Only leaves go: an object is pruned inside, so a block of defaults stays as {}.
    if (other_child == nullptr && !child.is_object() &&
        (child.is_null() || (default_child != nullptr && child == *default_child))) {
      it = doc->erase(it);
      continue;
    }
    if (child.is_object()) DropDefaultsOfNewSubtrees(&child, other_child, default_child);
    ++it;
  }
}

ServiceChange CompareService(const spec::ServiceSpec& old_service,
                             const spec::ServiceSpec& new_service) {
  ServiceChange change;
  change.service = new_service.name;
  change.old_replicas = old_service.replicas;
  change.new_replicas = new_service.replicas;

  nlohmann::json old_json = spec::ServiceToJson(old_service);
  nlohmann::json new_json = spec::ServiceToJson(new_service);
  if (old_json == new_json) {
    change.kind = ChangeKind::kNoChange;
    return change;
  }
  // What instances run from: the same rule the controller uses to decide what to replace.
  if (spec::ServiceTemplateHash(old_service) != spec::ServiceTemplateHash(new_service)) {
    change.kind = ChangeKind::kReplace;
  } else {
    nlohmann::json old_rest = old_json;
    nlohmann::json new_rest = new_json;
    old_rest.erase("replicas");
    new_rest.erase("replicas");
    if (old_rest == new_rest) {
      change.kind = ChangeKind::kScale;
      return change;
    }
    // Only the strategy or an access_log (and maybe replicas) changed: no instance is replaced.
    change.kind = ChangeKind::kUpdate;
  }
  // Diffing the whole documents lists the changed fields and, when it also changed,
  // "replicas" among them, in path order; a block that came or went shows what it says.
  nlohmann::json old_shown = old_json;
  nlohmann::json new_shown = new_json;
  nlohmann::json old_defaults = DefaultsFor(old_service);
  nlohmann::json new_defaults = DefaultsFor(new_service);
  DropDefaultsOfNewSubtrees(&old_shown, &new_json, &old_defaults);
  DropDefaultsOfNewSubtrees(&new_shown, &old_json, &new_defaults);
  change.fields = DiffJson(old_shown, new_shown);
  return change;
}

}  // namespace

bool Plan::HasChanges() const {
  for (const ServiceChange& change : services) {
    if (change.kind != ChangeKind::kNoChange) return true;
  }
  return false;
}

Plan ComputePlan(const spec::EnvironmentSpec* current, const spec::EnvironmentSpec& proposed) {
  Plan plan;
  plan.old_environment = current != nullptr ? current->environment : "";
  plan.new_environment = proposed.environment;

  std::set<std::string> names;
  for (const auto& [name, service] : proposed.services) names.insert(name);
  if (current != nullptr) {
    for (const auto& [name, service] : current->services) names.insert(name);
  }

  for (const std::string& name : names) {
    auto new_it = proposed.services.find(name);
    const spec::ServiceSpec* old_service = nullptr;
    if (current != nullptr) {
      auto old_it = current->services.find(name);
      if (old_it != current->services.end()) old_service = &old_it->second;
    }
    if (new_it == proposed.services.end()) {
      ServiceChange change;
      change.service = name;
      change.kind = ChangeKind::kDestroy;
      change.old_replicas = old_service->replicas;
      plan.services.push_back(std::move(change));
    } else if (old_service == nullptr) {
      ServiceChange change;
      change.service = name;
      change.kind = ChangeKind::kCreate;
      change.new_replicas = new_it->second.replicas;
      plan.services.push_back(std::move(change));
    } else {
      ServiceChange change = CompareService(*old_service, new_it->second);
      change.service = name;
      plan.services.push_back(std::move(change));
    }
  }
  return plan;
}

}  // namespace cairn::plan
