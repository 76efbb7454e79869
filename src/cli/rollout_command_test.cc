#include "cli/rollout_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cairn::cli {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

json AnalysisRun(int passed, int failed, int inconclusive, const std::string& outcome = "running") {
  return {{"passed", passed},
          {"failed", failed},
          {"inconclusive", inconclusive},
          {"outcome", outcome},
          {"reason", ""}};
}

json Canary() {
  json view = {{"strategy", "canary"},
               {"new_revision", 3},
               {"stable_revision", 2},
               {"phase", "waiting_for_promote"},
               {"step", 2},
               {"steps", 4},
               {"full_promotion", false},
               {"current_step", {{"pause", json::object()}}},
               {"weight_percent", 25.0},
               {"paused", false},
               {"abort_reason", ""},
               {"step_analysis", AnalysisRun(2, 0, 0, "passed")},
               {"background_analysis", AnalysisRun(0, 0, 0)},
               {"last_verdict", "pass: success rate 100%"}};
  return {{"name", "web"},
          {"revision", 3},
          {"rollout", "progressing"},
          {"rollout_reason", ""},
          {"progressive", view}};
}

// What the renderers give for the service entry `s`, or the problem they recorded reading it
// (so that a failing test shows it).
std::string Line(const json& s) {
  ReplyCheck check("GET /v1/status");
  std::string line = RenderRolloutLine(check.Root(s));
  return check.ok() ? line : "problem: " + check.error().message;
}

std::string End(const json& s, int64_t stable_revision = 0) {
  ReplyCheck check("GET /v1/status");
  std::string line = RenderRolloutEnd(check.Root(s), stable_revision);
  return check.ok() ? line : "problem: " + check.error().message;
}

TEST(RenderRolloutLineTest, ACanaryShowsStepTrafficAnalysisAndVerdict) {
  EXPECT_EQ(Line(Canary()),
            "web: canary to revision 3 over 2 — step 2 of 4 (pause), waiting_for_promote; 25% of "
            "traffic on revision 3; analysis 2 passed, 0 failed, 0 inconclusive (passed); last "
            "verdict: pass: success rate 100%");
}

TEST(RenderRolloutLineTest, WeightStepsFullPromotionAndPause) {
  json s = Canary();
  s["progressive"]["current_step"] = {{"weight", 12.5}};
  s["progressive"]["phase"] = "progressing";
  s["progressive"]["paused"] = true;
  std::string line = Line(s);
  EXPECT_THAT(line, HasSubstr("step 2 of 4 (weight 12.5%), progressing, paused;"));
  s["progressive"]["current_step"] = {{"pause", "30s"}};
  EXPECT_THAT(Line(s), HasSubstr("(pause 30s)"));
  s["progressive"]["full_promotion"] = true;
  s["progressive"]["current_step"] = nullptr;
  EXPECT_THAT(Line(s), HasSubstr("— full promotion, progressing"));
}

TEST(RenderRolloutLineTest, ABlueGreenHasNoSteps) {
  json s = Canary();
  s["progressive"]["strategy"] = "blue_green";
  s["progressive"]["step_analysis"] = AnalysisRun(0, 0, 0);
  s["progressive"]["last_verdict"] = "";
  EXPECT_EQ(Line(s),
            "web: blue_green to revision 3 over 2 — waiting_for_promote; 25% of traffic on "
            "revision 3");
}

TEST(RenderRolloutLineTest, ARollingReplaceCountsItsNewInstances) {
  json s = Canary();
  s["progressive"]["strategy"] = "rolling";
  s["progressive"]["phase"] = "progressing";
  s["progressive"]["paused"] = true;
  s["progressive"]["replicas"] = 4;
  s["progressive"]["new_healthy"] = 1;
  EXPECT_EQ(Line(s),
            "web: rolling to revision 3 over 2 — progressing, paused; 1 of 4 instances of "
            "revision 3 healthy");
}

TEST(RenderRolloutLineTest, AnAbortNamesItsReason) {
  json s = Canary();
  s["progressive"]["phase"] = "aborted";
  s["progressive"]["weight_percent"] = 0;
  s["progressive"]["abort_reason"] = "aborted by bob";
  EXPECT_THAT(Line(s), HasSubstr("aborted; 0% of traffic"));
  EXPECT_THAT(Line(s), HasSubstr("abort reason: aborted by bob"));
}

TEST(RenderRolloutLineTest, ARollingReplaceInProgress) {
  json s = Canary();
  s["progressive"] = nullptr;
  EXPECT_EQ(Line(s), "web: revision 3 progressing");
}

TEST(RenderRolloutEndTest, CompleteOrFailedWithTheReason) {
  json s = Canary();
  s["progressive"] = nullptr;
  s["rollout"] = "complete";
  EXPECT_EQ(End(s), "web: revision 3 complete");
  s["rollout"] = "failed";
  s["revision"] = 2;
  s["rollout_reason"] = "rollout aborted: aborted by bob";
  EXPECT_EQ(End(s), "web: rollout failed: rollout aborted: aborted by bob");
  EXPECT_EQ(End(s, 2), "web: rollout failed: rollout aborted: aborted by bob; back on revision 2");
  EXPECT_THAT(End(s), Not(HasSubstr("complete")));
}

TEST(RenderRolloutLineTest, AFieldOfTheWrongTypeIsRecordedWithItsPathInsteadOfThrown) {
  json s = Canary();
  s["progressive"]["step"] = "2";
  ReplyCheck check("GET /v1/status");
  RenderRolloutLine(check.Root(s));
  ASSERT_FALSE(check.ok());
  EXPECT_THAT(check.error().message, HasSubstr("progressive.step is a string, not an integer"));
}

TEST(RenderRolloutEndTest, AMissingRevisionIsRecordedInsteadOfThrown) {
  json s = Canary();
  s["progressive"] = nullptr;
  s["rollout"] = "complete";
  s.erase("revision");
  std::string end = End(s);
  EXPECT_THAT(end, HasSubstr("problem: "));
  EXPECT_THAT(end, HasSubstr(": revision is missing"));
}

}  // namespace
}  // namespace cairn::cli
