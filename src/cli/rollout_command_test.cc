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

TEST(RenderRolloutLineTest, ACanaryShowsStepTrafficAnalysisAndVerdict) {
  EXPECT_EQ(RenderRolloutLine(Canary()),
            "web: canary to revision 3 over 2 — step 2 of 4 (pause), waiting_for_promote; 25% of "
            "traffic on revision 3; analysis 2 passed, 0 failed, 0 inconclusive (passed); last "
            "verdict: pass: success rate 100%");
}

TEST(RenderRolloutLineTest, WeightStepsFullPromotionAndPause) {
  json s = Canary();
  s["progressive"]["current_step"] = {{"weight", 12.5}};
  s["progressive"]["phase"] = "progressing";
  s["progressive"]["paused"] = true;
  std::string line = RenderRolloutLine(s);
  EXPECT_THAT(line, HasSubstr("step 2 of 4 (weight 12.5%), progressing, paused;"));
  s["progressive"]["current_step"] = {{"pause", "30s"}};
  EXPECT_THAT(RenderRolloutLine(s), HasSubstr("(pause 30s)"));
  s["progressive"]["full_promotion"] = true;
  s["progressive"]["current_step"] = nullptr;
  EXPECT_THAT(RenderRolloutLine(s), HasSubstr("— full promotion, progressing"));
}

TEST(RenderRolloutLineTest, ABlueGreenHasNoSteps) {
  json s = Canary();
  s["progressive"]["strategy"] = "blue_green";
  s["progressive"]["step_analysis"] = AnalysisRun(0, 0, 0);
  s["progressive"]["last_verdict"] = "";
  EXPECT_EQ(RenderRolloutLine(s),
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
  EXPECT_EQ(RenderRolloutLine(s),
            "web: rolling to revision 3 over 2 — progressing, paused; 1 of 4 instances of "
            "revision 3 healthy");
}

TEST(RenderRolloutLineTest, AnAbortNamesItsReason) {
  json s = Canary();
  s["progressive"]["phase"] = "aborted";
  s["progressive"]["weight_percent"] = 0;
  s["progressive"]["abort_reason"] = "aborted by bob";
  EXPECT_THAT(RenderRolloutLine(s), HasSubstr("aborted; 0% of traffic"));
  EXPECT_THAT(RenderRolloutLine(s), HasSubstr("abort reason: aborted by bob"));
}

TEST(RenderRolloutLineTest, ARollingReplaceInProgress) {
  json s = Canary();
  s["progressive"] = nullptr;
  EXPECT_EQ(RenderRolloutLine(s), "web: revision 3 progressing");
}

TEST(RenderRolloutEndTest, CompleteOrFailedWithTheReason) {
  json s = Canary();
  s["progressive"] = nullptr;
  s["rollout"] = "complete";
  EXPECT_EQ(RenderRolloutEnd(s), "web: revision 3 complete");
  s["rollout"] = "failed";
  s["revision"] = 2;
  s["rollout_reason"] = "rollout aborted: aborted by bob";
  EXPECT_EQ(RenderRolloutEnd(s), "web: rollout failed: rollout aborted: aborted by bob");
  EXPECT_EQ(RenderRolloutEnd(s, 2),
            "web: rollout failed: rollout aborted: aborted by bob; back on revision 2");
  EXPECT_THAT(RenderRolloutEnd(s), Not(HasSubstr("complete")));
}

}  // namespace
}  // namespace cairn::cli
