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
  // What the new block says, and that the old one (all defaults) went: no default and no
  // null of either block is listed.
  std::vector<std::string> paths;
  for (const FieldChange& field : change.fields) {
    paths.push_back(field.path);
    EXPECT_FALSE(field.new_value && field.new_value->is_null()) << field.path;
    EXPECT_FALSE(field.old_value && field.old_value->is_null()) << field.path;
  }
  EXPECT_EQ(paths,
            (std::vector<std::string>{"strategy.canary.steps[0].weight", "strategy.rolling"}))
      << testing::PrintToString(paths);
  EXPECT_EQ(change.fields.front().new_value, nlohmann::json(5));
  EXPECT_EQ(change.fields.back().old_value, nlohmann::json::object());
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

// A value the file sets in a new block is listed even where another block had it; a default
// of the old block that the file changes in the same block is listed as a change.
TEST(ComputePlan, AStrategyBlockShowsWhatItSetsNotItsDefaults) {
  spec::ServiceSpec rolling = Service("web", 3);
  rolling.rolling.progress_deadline = std::chrono::minutes(2);
  spec::ServiceSpec canary = Service("web", 3);
  canary.strategy = spec::StrategyKind::kCanary;
  canary.canary.steps = {{spec::CanaryStepKind::kWeight, 2000, std::nullopt, {}}};
  canary.canary.progress_deadline = std::chrono::minutes(2);
  auto current = Env({rolling});
  Plan plan = ComputePlan(&current, Env({canary}));
  std::vector<std::string> paths;
  for (const FieldChange& field : Find(plan, "web").fields) paths.push_back(field.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"strategy.canary.progress_deadline",
                                             "strategy.canary.steps[0].weight",
                                             "strategy.rolling.progress_deadline"}))
      << testing::PrintToString(paths);

  // Within a block both sides have, every difference is listed, defaults included.
  spec::ServiceSpec back = rolling;
  back.rolling.progress_deadline = spec::RollingSpec{}.progress_deadline;
  Plan plan2 = ComputePlan(&current, Env({back}));
  ASSERT_EQ(Find(plan2, "web").fields.size(), 1u);
  EXPECT_EQ(Find(plan2, "web").fields[0].path, "strategy.rolling.progress_deadline");
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
