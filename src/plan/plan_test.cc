#include "plan/plan.h"

#include <gtest/gtest.h>

namespace cairn::plan {
namespace {

spec::ServiceSpec Service(const std::string& name, int replicas) {
  spec::ServiceSpec service;
  service.name = name;
  service.command = "/usr/bin/" + name;
  service.args = {"--port", "8080"};
  service.env = {{"LOG_LEVEL", "info"}};
  service.replicas = replicas;
  return service;
}

spec::EnvironmentSpec Env(std::vector<spec::ServiceSpec> services) {
  spec::EnvironmentSpec env;
  env.environment = "prod";
  for (auto& service : services) env.services[service.name] = service;
  return env;
}

const ServiceChange& Find(const Plan& plan, const std::string& name) {
  for (const ServiceChange& change : plan.services) {
    if (change.service == name) return change;
  }
  static ServiceChange missing;
  ADD_FAILURE() << "no change for " << name;
  return missing;
}

TEST(ComputePlan, FirstApplyCreatesEverything) {
  Plan plan = ComputePlan(nullptr, Env({Service("web", 3), Service("api", 1)}));
  EXPECT_EQ(plan.old_environment, "");
  EXPECT_EQ(plan.new_environment, "prod");
  ASSERT_EQ(plan.services.size(), 2u);
  EXPECT_EQ(plan.services[0].service, "api");  // sorted
  EXPECT_EQ(plan.services[0].kind, ChangeKind::kCreate);
  EXPECT_EQ(plan.services[1].new_replicas, 3);
  EXPECT_EQ(plan.services[1].old_replicas, 0);
  EXPECT_TRUE(plan.services[1].fields.empty());
  EXPECT_TRUE(plan.HasChanges());
}

TEST(ComputePlan, IdenticalSpecIsNoChange) {
  auto env = Env({Service("web", 3)});
  Plan plan = ComputePlan(&env, env);
  ASSERT_EQ(plan.services.size(), 1u);
  EXPECT_EQ(plan.services[0].kind, ChangeKind::kNoChange);
  EXPECT_EQ(plan.services[0].old_replicas, 3);
  EXPECT_EQ(plan.services[0].new_replicas, 3);
  EXPECT_FALSE(plan.HasChanges());
  EXPECT_EQ(plan.old_environment, "prod");
}

TEST(ComputePlan, ReplicasOnlyIsAScale) {
  auto current = Env({Service("worker", 2)});
  auto proposed = Env({Service("worker", 5)});
  Plan plan = ComputePlan(&current, proposed);
  const ServiceChange& change = Find(plan, "worker");
  EXPECT_EQ(change.kind, ChangeKind::kScale);
  EXPECT_EQ(change.old_replicas, 2);
  EXPECT_EQ(change.new_replicas, 5);
  EXPECT_TRUE(change.fields.empty());
}

TEST(ComputePlan, TemplateChangeIsAReplaceWithFieldPaths) {
  auto current = Env({Service("web", 3)});
  auto proposed_service = Service("web", 3);
  proposed_service.env["LOG_LEVEL"] = "debug";
  proposed_service.env["NEW"] = "x";
  proposed_service.args = {"--port"};
  auto proposed = Env({proposed_service});
  Plan plan = ComputePlan(&current, proposed);
  const ServiceChange& change = Find(plan, "web");
  EXPECT_EQ(change.kind, ChangeKind::kReplace);
  ASSERT_EQ(change.fields.size(), 3u);
  EXPECT_EQ(change.fields[0].path, "args[1]");
  EXPECT_EQ(*change.fields[0].old_value, "8080");
  EXPECT_FALSE(change.fields[0].new_value.has_value());
  EXPECT_EQ(change.fields[1].path, "env.LOG_LEVEL");
  EXPECT_EQ(*change.fields[1].old_value, "info");
  EXPECT_EQ(*change.fields[1].new_value, "debug");
  EXPECT_EQ(change.fields[2].path, "env.NEW");
  EXPECT_FALSE(change.fields[2].old_value.has_value());
}

TEST(ComputePlan, ReplaceThatAlsoScalesListsReplicas) {
  auto current = Env({Service("web", 3)});
  auto proposed_service = Service("web", 4);
  proposed_service.image = "web:1.5";
  proposed_service.command = "";
  auto proposed = Env({proposed_service});
  Plan plan = ComputePlan(&current, proposed);
  const ServiceChange& change = Find(plan, "web");
  EXPECT_EQ(change.kind, ChangeKind::kReplace);
  EXPECT_EQ(change.old_replicas, 3);
  EXPECT_EQ(change.new_replicas, 4);
  std::vector<std::string> paths;
  for (const FieldChange& field : change.fields) paths.push_back(field.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"command", "image", "replicas"}));
}

TEST(ComputePlan, NestedFieldsUseDottedPaths) {
  auto current_service = Service("web", 1);
  current_service.ports = {{"http", 8080, spec::Protocol::kHttp}};
  current_service.health.interval = std::chrono::seconds(1);
  auto proposed_service = current_service;
  proposed_service.ports[0].listen = 9090;
  proposed_service.health.interval = std::chrono::seconds(2);
  auto current = Env({current_service});
  auto proposed = Env({proposed_service});
  Plan plan = ComputePlan(&current, proposed);
  const ServiceChange& change = Find(plan, "web");
  ASSERT_EQ(change.kind, ChangeKind::kReplace);
  std::vector<std::string> paths;
  for (const FieldChange& field : change.fields) paths.push_back(field.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"health.interval", "ports.http.listen"}));
}

TEST(ComputePlan, RemovedServiceIsDestroyed) {
  auto current = Env({Service("old", 1), Service("web", 2)});
  auto proposed = Env({Service("web", 2)});
  Plan plan = ComputePlan(&current, proposed);
  ASSERT_EQ(plan.services.size(), 2u);
  const ServiceChange& change = Find(plan, "old");
  EXPECT_EQ(change.kind, ChangeKind::kDestroy);
  EXPECT_EQ(change.old_replicas, 1);
  EXPECT_EQ(change.new_replicas, 0);
  EXPECT_EQ(Find(plan, "web").kind, ChangeKind::kNoChange);
}

// The strategy says how the next replace rolls out, not what runs: changing it alone replaces
// nothing, and the plan says so with the changed fields.
TEST(ComputePlan, StrategyOnlyChangeIsAnUpdate) {
  auto current = Env({Service("web", 3)});
  spec::ServiceSpec canary = Service("web", 3);
  canary.strategy = spec::StrategyKind::kCanary;
  canary.canary.steps = {{spec::CanaryStepKind::kWeight, 500, std::nullopt, {}}};
  auto proposed = Env({canary});
  Plan plan = ComputePlan(&current, proposed);
  const ServiceChange& change = Find(plan, "web");
  EXPECT_EQ(change.kind, ChangeKind::kUpdate);
  ASSERT_FALSE(change.fields.empty());
  EXPECT_EQ(change.fields.front().path, "strategy.canary.analysis");
  EXPECT_EQ(change.fields.back().path, "strategy.rolling.progress_deadline");
  bool has_weight = false;
  for (const FieldChange& field : change.fields) {
    has_weight = has_weight || (field.path == "strategy.canary.steps[0].weight" &&
                                field.new_value == nlohmann::json(5));
  }
  EXPECT_TRUE(has_weight);
  EXPECT_TRUE(plan.HasChanges());

  // With replicas too it stays an update, replicas listed among the fields.
  auto scaled = Env({[&] {
    spec::ServiceSpec more = canary;
    more.replicas = 5;
    return more;
  }()});
  Plan scaled_plan = ComputePlan(&current, scaled);
  const ServiceChange& both = Find(scaled_plan, "web");
  EXPECT_EQ(both.kind, ChangeKind::kUpdate);
  EXPECT_EQ(both.new_replicas, 5);

  // A strategy change together with a template change is a replace.
  spec::ServiceSpec replaced = canary;
  replaced.env["LOG_LEVEL"] = "debug";
  Plan replace_plan = ComputePlan(&current, Env({replaced}));
  EXPECT_EQ(Find(replace_plan, "web").kind, ChangeKind::kReplace);
}

TEST(ComputePlan, AccessLogOnlyChangeIsAnUpdate) {
  spec::ServiceSpec web = Service("web", 2);
  web.ports.push_back(spec::PortSpec{"http", 8080, spec::Protocol::kHttp, false});
  auto current = Env({web});
  web.ports[0].access_log = true;
  Plan plan = ComputePlan(&current, Env({web}));
  const ServiceChange& change = Find(plan, "web");
  EXPECT_EQ(change.kind, ChangeKind::kUpdate);
  ASSERT_EQ(change.fields.size(), 1u);
  EXPECT_EQ(change.fields[0].path, "ports.http.access_log");
}

TEST(ChangeKindName, NamesEveryKind) {
  EXPECT_STREQ(ChangeKindName(ChangeKind::kCreate), "create");
  EXPECT_STREQ(ChangeKindName(ChangeKind::kReplace), "replace");
  EXPECT_STREQ(ChangeKindName(ChangeKind::kUpdate), "update");
  EXPECT_STREQ(ChangeKindName(ChangeKind::kDestroy), "destroy");
  EXPECT_STREQ(ChangeKindName(ChangeKind::kScale), "scale");
  EXPECT_STREQ(ChangeKindName(ChangeKind::kNoChange), "no_change");
}

}  // namespace
}  // namespace cairn::plan
