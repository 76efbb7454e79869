#include "rollout/analysis_run.h"

#include <gtest/gtest.h>

#include <initializer_list>

namespace cairn::rollout {
namespace {

AnalysisRunState RunVerdicts(const AnalysisLimits& limits,
                             std::initializer_list<Verdict> verdicts) {
  AnalysisRunState state;
  int i = 0;
  for (Verdict v : verdicts) {
    RecordVerdict(limits, v, std::string(VerdictName(v)) + " #" + std::to_string(++i), &state);
  }
  return state;
}

constexpr Verdict P = Verdict::kPass;
constexpr Verdict F = Verdict::kFail;
constexpr Verdict I = Verdict::kInconclusive;

TEST(AnalysisRunTest, PassesAfterCountJudgedIntervals) {
  AnalysisLimits limits{.count = 3};
  EXPECT_EQ(RunVerdicts(limits, {P, P}).outcome, AnalysisOutcome::kRunning);
  AnalysisRunState s = RunVerdicts(limits, {P, P, P});
  EXPECT_EQ(s.outcome, AnalysisOutcome::kPassed);
  EXPECT_EQ(s.passed, 3);
  EXPECT_EQ(s.reason, "pass #3");
}

TEST(AnalysisRunTest, DefaultFailureLimitFailsOnTheFirstFailure) {
  AnalysisRunState s = RunVerdicts(AnalysisLimits{.count = 5}, {P, F});
  EXPECT_EQ(s.outcome, AnalysisOutcome::kFailed);
  EXPECT_EQ(s.reason, "fail #2");
}

// failure_limit is the number tolerated: the one beyond it fails the run (Argo's semantics).
TEST(AnalysisRunTest, FailuresWithinTheLimitAreTolerated) {
  AnalysisLimits limits{.count = 4, .failure_limit = 2};
  EXPECT_EQ(RunVerdicts(limits, {F, P, F}).outcome, AnalysisOutcome::kRunning);
  EXPECT_EQ(RunVerdicts(limits, {F, P, F, P}).outcome, AnalysisOutcome::kPassed);
  AnalysisRunState s = RunVerdicts(limits, {F, P, F, F});
  EXPECT_EQ(s.outcome, AnalysisOutcome::kFailed);
  EXPECT_EQ(s.failed, 3);
}

// Inconclusive intervals never count towards `count`: a run cannot pass on intervals that
// could not be judged.
TEST(AnalysisRunTest, InconclusiveIntervalsDoNotCountTowardsPassing) {
  AnalysisLimits limits{.count = 2, .inconclusive_limit = 3};
  AnalysisRunState s = RunVerdicts(limits, {I, P, I, I});
  EXPECT_EQ(s.outcome, AnalysisOutcome::kRunning);
  EXPECT_EQ(s.inconclusive, 3);
  EXPECT_EQ(RunVerdicts(limits, {I, P, I, I, P}).outcome, AnalysisOutcome::kPassed);
}

// Counted in total, not in a row: a canary that flaps between quiet and busy intervals still
// ends. Beyond the limit the run is inconclusive: the controller pauses for a person.
TEST(AnalysisRunTest, InconclusivesBeyondTheLimitEndTheRunInconclusive) {
  AnalysisLimits limits{.count = 10, .inconclusive_limit = 2};
  AnalysisRunState s = RunVerdicts(limits, {I, P, I, P, I});
  EXPECT_EQ(s.outcome, AnalysisOutcome::kInconclusive);
  EXPECT_EQ(s.reason, "inconclusive #5");
  EXPECT_EQ(RunVerdicts(AnalysisLimits{.count = 10, .inconclusive_limit = 0}, {I}).outcome,
            AnalysisOutcome::kInconclusive);
}

TEST(AnalysisRunTest, FailureIsDecidedBeforeInconclusive) {
  AnalysisLimits limits{.count = 10, .failure_limit = 0, .inconclusive_limit = 0};
  AnalysisRunState s;
  RecordVerdict(limits, I, "quiet", &s);
  EXPECT_EQ(s.outcome, AnalysisOutcome::kInconclusive);
  RecordVerdict(limits, F, "bad", &s);  // the run has ended: ignored
  EXPECT_EQ(s.outcome, AnalysisOutcome::kInconclusive);
  EXPECT_EQ(s.failed, 0);
  EXPECT_EQ(s.reason, "quiet");
}

// count 0: a background analysis never passes on its own; it only fails or goes on.
TEST(AnalysisRunTest, BackgroundAnalysisRunsUntilStopped) {
  AnalysisRunState s;
  for (int i = 0; i < 100; ++i) RecordVerdict(AnalysisLimits{}, P, "ok", &s);
  EXPECT_EQ(s.outcome, AnalysisOutcome::kRunning);
  RecordVerdict(AnalysisLimits{}, F, "fail: success rate 94.8% < 99% over 1,020 requests", &s);
  EXPECT_EQ(s.outcome, AnalysisOutcome::kFailed);
  EXPECT_EQ(s.reason, "fail: success rate 94.8% < 99% over 1,020 requests");
}

TEST(AnalysisRunTest, RecordsAJudgementsSummary) {
  Window canary;
  canary.status_2xx = 10;
  Judgement j = Judge(AnalysisCriteria{}, canary, Window{});
  AnalysisRunState s;
  RecordJudgement(AnalysisLimits{}, j, &s);
  EXPECT_EQ(s.inconclusive, 1);
  EXPECT_EQ(s.reason, "inconclusive: 10 requests < 100 required");
}

TEST(AnalysisRunTest, JsonRoundTrips) {
  AnalysisRunState s = RunVerdicts(AnalysisLimits{.count = 5, .failure_limit = 1}, {P, I, F, F});
  ASSERT_EQ(s.outcome, AnalysisOutcome::kFailed);
  nlohmann::json j = ToJson(s);
  EXPECT_EQ(j["outcome"], "failed");
  EXPECT_EQ(j["failed"], 2);
  Result<AnalysisRunState> back = AnalysisRunStateFromJson(j);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->passed, 1);
  EXPECT_EQ(back->failed, 2);
  EXPECT_EQ(back->inconclusive, 1);
  EXPECT_EQ(back->outcome, AnalysisOutcome::kFailed);
  EXPECT_EQ(back->reason, "fail #4");
  EXPECT_EQ(ToJson(*back), j);
}

TEST(AnalysisRunTest, JsonRejectsWhatItCannotRead) {
  nlohmann::json good = ToJson(AnalysisRunState{});
  nlohmann::json bad_outcome = good;
  bad_outcome["outcome"] = "sideways";
  EXPECT_FALSE(AnalysisRunStateFromJson(bad_outcome).ok());
  nlohmann::json negative = good;
  negative["failed"] = -1;
  EXPECT_FALSE(AnalysisRunStateFromJson(negative).ok());
  nlohmann::json missing = good;
  missing.erase("passed");
  Result<AnalysisRunState> r = AnalysisRunStateFromJson(missing);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(AnalysisRunStateFromJson(nlohmann::json::array()).ok());
}

}  // namespace
}  // namespace cairn::rollout
