#include <gtest/gtest.h>

#include "plan/plan.h"

namespace cairn::plan {
namespace {

using nlohmann::json;

Plan SamplePlan() {
  Plan plan;
  plan.old_environment = "prod";
  plan.new_environment = "prod";
  plan.services.push_back({"api", ChangeKind::kCreate, 0, 3, {}});
  plan.services.push_back({"old", ChangeKind::kDestroy, 1, 0, {}});
  plan.services.push_back({"same", ChangeKind::kNoChange, 2, 2, {}});
  plan.services.push_back({"web",
                           ChangeKind::kReplace,
                           3,
                           3,
                           {{"args[1]", json("--old"), std::nullopt},
                            {"env.LOG_LEVEL", json("info"), json("debug")},
                            {"env.NEW", std::nullopt, json("x")}}});
  plan.services.push_back({"worker", ChangeKind::kScale, 2, 5, {}});
  plan.services.push_back({"shop",
                           ChangeKind::kUpdate,
                           2,
                           2,
                           {{"strategy.canary.steps[0].weight", json(5), json(10)}}});
  return plan;
}

TEST(RenderPlanText, ExactTextGroupedByAction) {
  EXPECT_EQ(RenderPlanText(SamplePlan(), false),
            "cairn will perform the following actions:\n"
            "\n"
            "  + create  api (3 replicas)\n"
            "  -/+ replace  web (3 replicas)\n"
            "      - args[1]: \"--old\"\n"
            "      ~ env.LOG_LEVEL: \"info\" -> \"debug\"\n"
            "      + env.NEW: \"x\"\n"
            "  ~ update  shop (2 replicas, no instance replaced)\n"
            "      ~ strategy.canary.steps[0].weight: 5 -> 10\n"
            "  ~ scale  worker 2 -> 5\n"
            "  - destroy  old (1 replica)\n"
            "\n"
            "Plan: 1 to create, 1 to replace, 1 to update, 1 to scale, 1 to destroy.\n");
}

TEST(RenderFieldChanges, LongValuesAreCutWithTheirSize) {
  std::string big(100000, 'x');
  EXPECT_EQ(RenderFieldChanges({{"env.BIG", std::nullopt, json(big)}}, false),
            "  + env.BIG: \"" + std::string(159, 'x') + "… (100002 bytes)\n");
}

TEST(RenderFieldChanges, ControlCharactersJsonLeavesRawAreEscaped) {
  // JSON escapes ESC itself, but not DEL, C1 controls (U+009B is CSI) or U+202E.
  EXPECT_EQ(
      RenderFieldChanges({{"env.A", json("a\x1b[2J"), json("b\x7f\xc2\x9b\xe2\x80\xae")}}, false),
      "  ~ env.A: \"a\\u001b[2J\" -> \"b\\x7f\\u009b\\u202e\"\n");
}

TEST(RenderPlanText, NoChanges) {
  Plan plan;
  plan.services.push_back({"web", ChangeKind::kNoChange, 2, 2, {}});
  EXPECT_EQ(RenderPlanText(plan, false),
            "No changes. The environment matches the proposed spec.\n");
  EXPECT_EQ(RenderPlanText(Plan{}, true),
            "No changes. The environment matches the proposed spec.\n");
}

TEST(RenderPlanText, ColourOnlyWhenAsked) {
  std::string plain = RenderPlanText(SamplePlan(), false);
  EXPECT_EQ(plain.find('\x1b'), std::string::npos);
  std::string coloured = RenderPlanText(SamplePlan(), true);
  EXPECT_NE(coloured.find("\x1b[32m+ create\x1b[0m  api"), std::string::npos);
  EXPECT_NE(coloured.find("\x1b[33m-/+ replace\x1b[0m  web"), std::string::npos);
  EXPECT_NE(coloured.find("\x1b[33m~ scale\x1b[0m  worker"), std::string::npos);
  EXPECT_NE(coloured.find("\x1b[31m- destroy\x1b[0m  old"), std::string::npos);
  EXPECT_NE(coloured.find("      \x1b[33m~\x1b[0m env.LOG_LEVEL"), std::string::npos);
  EXPECT_NE(coloured.find("      \x1b[32m+\x1b[0m env.NEW"), std::string::npos);
  EXPECT_NE(coloured.find("      \x1b[31m-\x1b[0m args[1]"), std::string::npos);
}

TEST(RenderFieldChanges, TwoSpaceIndentedLines) {
  std::vector<FieldChange> changes = {{"replicas", json(3), json(5)},
                                      {"resources.memory", json(nullptr), json(268435456)}};
  EXPECT_EQ(RenderFieldChanges(changes, false),
            "  ~ replicas: 3 -> 5\n"
            "  ~ resources.memory: null -> 268435456\n");
  EXPECT_EQ(RenderFieldChanges({}, false), "");
}

TEST(RenderFieldChanges, InvalidUtf8DoesNotThrow) {
  std::vector<FieldChange> changes = {{"env.X", std::nullopt, json(std::string("\xff"))}};
  EXPECT_NO_THROW(RenderFieldChanges(changes, false));
}

TEST(PlanToJson, Shape) {
  json out = PlanToJson(SamplePlan());
  EXPECT_EQ(out["environment"], "prod");
  EXPECT_EQ(out["changes"],
            json({{"create", 1}, {"replace", 1}, {"update", 1}, {"scale", 1}, {"destroy", 1}}));
  ASSERT_EQ(out["services"].size(), 6u);
  const json& web = out["services"][3];
  EXPECT_EQ(web["service"], "web");
  EXPECT_EQ(web["action"], "replace");
  EXPECT_EQ(web["old_replicas"], 3);
  EXPECT_EQ(web["new_replicas"], 3);
  EXPECT_EQ(web["fields"][0], json({{"path", "args[1]"}, {"old", "--old"}}));
  EXPECT_EQ(web["fields"][1], json({{"path", "env.LOG_LEVEL"}, {"old", "info"}, {"new", "debug"}}));
  EXPECT_EQ(web["fields"][2], json({{"path", "env.NEW"}, {"new", "x"}}));
  EXPECT_EQ(out["services"][2]["action"], "no_change");
  EXPECT_EQ(out["services"][4]["fields"], json::array());
  EXPECT_EQ(out["services"][5]["action"], "update");
  EXPECT_EQ(out["services"][5]["fields"][0]["path"], "strategy.canary.steps[0].weight");
}

}  // namespace
}  // namespace cairn::plan
