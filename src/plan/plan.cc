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
  // "replicas" among them, in path order.
  change.fields = DiffJson(old_json, new_json);
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
