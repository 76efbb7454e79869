#include "rollout/rollout_machine.h"

#include <gtest/gtest.h>

#include <string>

namespace cairn::rollout {
namespace {

using Kind = CanaryStep::Kind;
using std::chrono::milliseconds;

CanaryStep Weight(uint32_t bp) { return {Kind::kWeight, bp, milliseconds(0)}; }
CanaryStep Pause(int64_t ms) { return {Kind::kPause, 0, milliseconds(ms)}; }
CanaryStep Manual() { return {Kind::kManualPause, 0, milliseconds(0)}; }
CanaryStep Judged() { return {Kind::kAnalysis, 0, milliseconds(0)}; }

// Drives one rollout with a hand-moved wall clock.
struct Sim {
  explicit Sim(RolloutPlan p) : plan(std::move(p)), state(StartRollout(plan, now)) {}

  RolloutDecision Tick(int new_healthy, RolloutCommand command = RolloutCommand::kNone) {
    RolloutInputs in = base;
    in.now_ms = now;
    in.new_healthy = new_healthy;
    in.command = command;
    last = Advance(plan, &state, in);
    return last;
  }
  bool Saw(const std::string& type) const {
    for (const RolloutEvent& e : last.events) {
      if (e.type == type) return true;
    }
    return false;
  }

  RolloutPlan plan;
  int64_t now = 1'700'000'000'000;
  RolloutState state;
  RolloutInputs base;
  RolloutDecision last;
};

RolloutPlan Canary(std::vector<CanaryStep> steps, int replicas = 4) {
  RolloutPlan p;
  p.kind = StrategyKind::kCanary;
  p.replicas = replicas;
  p.steps = std::move(steps);
  return p;
}

TEST(CanaryReplicasTest, ScaleWithTheWeightRoundedUpOrAreFixed) {
  RolloutPlan p = Canary({}, 4);
  EXPECT_EQ(CanaryReplicasFor(p, 0), 0);
  EXPECT_EQ(CanaryReplicasFor(p, 50), 1);  // 0.5 %
  EXPECT_EQ(CanaryReplicasFor(p, 2500), 1);
  EXPECT_EQ(CanaryReplicasFor(p, 2501), 2);
  EXPECT_EQ(CanaryReplicasFor(p, 10000), 4);
  p.canary_replicas = 2;
  EXPECT_EQ(CanaryReplicasFor(p, 100), 2);
}

TEST(CanaryMachineTest, AGoodCanaryWalksEveryStepAndCompletes) {
  Sim sim(Canary({Weight(1000), Pause(30'000), Weight(5000), Manual()}));
  // Step 1: scale one canary instance first; no traffic until it is healthy.
  RolloutDecision d = sim.Tick(0);
  EXPECT_EQ(d.targets.new_weight_bp, 0u);
  EXPECT_EQ(d.targets.new_replicas, 1);
  EXPECT_EQ(d.targets.stable_replicas, 4);
  d = sim.Tick(1);
  EXPECT_EQ(d.targets.new_weight_bp, 1000u);
  EXPECT_TRUE(sim.Saw("rollout.weight"));
  EXPECT_EQ(sim.state.step, 1u);
  // Step 2: a 30 s pause.
  sim.now += 29'999;
  EXPECT_EQ(sim.Tick(1).targets.new_weight_bp, 1000u);
  EXPECT_EQ(sim.state.step, 1u);
  sim.now += 1;
  d = sim.Tick(1);
  // Step 3 entered: two instances for 50 %, traffic still at 10 % until both are healthy.
  EXPECT_EQ(sim.state.step, 2u);
  EXPECT_EQ(d.targets.new_replicas, 2);
  EXPECT_EQ(d.targets.new_weight_bp, 1000u);
  d = sim.Tick(2);
  EXPECT_EQ(d.targets.new_weight_bp, 5000u);
  // Step 4: held for a person, however long.
  EXPECT_EQ(sim.state.phase, RolloutPhase::kWaitingForPromote);
  sim.now += 3'600'000;
  EXPECT_EQ(sim.Tick(2).targets.new_weight_bp, 5000u);
  EXPECT_EQ(sim.state.phase, RolloutPhase::kWaitingForPromote);
  // Promote: full promotion, all four new instances, then all traffic.
  d = sim.Tick(2, RolloutCommand::kPromote);
  EXPECT_TRUE(d.command_error.empty());
  EXPECT_EQ(d.targets.new_replicas, 4);
  EXPECT_EQ(d.targets.new_weight_bp, 5000u);
  d = sim.Tick(4);
  EXPECT_EQ(sim.state.phase, RolloutPhase::kCompleted);
  EXPECT_EQ(d.targets.new_weight_bp, 10000u);
  EXPECT_EQ(d.targets.stable_replicas, 0);
  EXPECT_TRUE(sim.Saw("rollout.completed"));
}

TEST(CanaryMachineTest, APersonsPauseHoldsEverythingAndTimedStepsSkipThePausedTime) {
  Sim sim(Canary({Weight(1000), Pause(30'000), Weight(2000)}));
  sim.Tick(1);
  ASSERT_EQ(sim.state.step, 1u);
  sim.now += 10'000;
  EXPECT_TRUE(sim.Tick(1, RolloutCommand::kPause).command_error.empty());
  sim.now += 60'000;  // paused for a minute: the pause step must not end
  EXPECT_EQ(sim.Tick(1).targets.new_weight_bp, 1000u);
  EXPECT_EQ(sim.state.step, 1u);
  EXPECT_FALSE(sim.Tick(1, RolloutCommand::kPause).command_error.empty());  // already paused
  sim.Tick(1, RolloutCommand::kResume);
  sim.now += 19'999;  // 10 s before the pause + 19.999 s after: not yet 30 s
  sim.Tick(1);
  EXPECT_EQ(sim.state.step, 1u);
  sim.now += 1;
  sim.Tick(1);
  // The pause ended, and the 20 % step needs no more than the one healthy instance: both in
  // one decision, on to the full promotion.
  EXPECT_EQ(sim.state.step, 3u);
  EXPECT_EQ(sim.last.targets.new_weight_bp, 2000u);
}

TEST(CanaryMachineTest, AJudgedStepWaitsForItsOwnRunAndAFailureAbortsAtOnce) {
  Sim sim(Canary({Weight(500), Judged(), Weight(2500)}));
  RolloutDecision d = sim.Tick(1);
  ASSERT_EQ(sim.state.step, 1u);
  EXPECT_TRUE(d.targets.step_analysis);
  uint64_t id = sim.state.analysis_id;
  // A verdict from an older run does not count.
  sim.base.step_analysis = AnalysisStatus::kPassed;
  sim.base.step_analysis_id = id - 1;
  sim.Tick(1);
  EXPECT_EQ(sim.state.step, 1u);
  // This run fails: everyone back to stable in the same decision.
  sim.base.step_analysis = AnalysisStatus::kFailed;
  sim.base.step_analysis_id = id;
  sim.base.analysis_reason = "fail: success rate 94.8% < 99% over 1,020 requests";
  d = sim.Tick(1);
  EXPECT_EQ(sim.state.phase, RolloutPhase::kAborted);
  EXPECT_EQ(d.targets.new_weight_bp, 0u);
  EXPECT_EQ(d.targets.new_replicas, 0);
  EXPECT_EQ(d.targets.stable_replicas, 4);
  EXPECT_NE(sim.state.abort_reason.find("94.8%"), std::string::npos);
  EXPECT_TRUE(sim.Saw("rollout.aborted"));
}

TEST(CanaryMachineTest, APassedJudgedStepMovesOn) {
  Sim sim(Canary({Weight(500), Judged(), Weight(2500)}));
  sim.Tick(1);
  sim.base.step_analysis = AnalysisStatus::kRunning;
  sim.base.step_analysis_id = sim.state.analysis_id;
  sim.Tick(1);
  EXPECT_EQ(sim.state.step, 1u);
  sim.base.step_analysis = AnalysisStatus::kPassed;
  RolloutDecision d = sim.Tick(1);
  // Past the judged step and the 25 % step (one instance is enough for it): full promotion.
  EXPECT_EQ(sim.state.step, 3u);
  EXPECT_FALSE(d.targets.step_analysis);
  EXPECT_EQ(d.targets.new_weight_bp, 2500u);
  EXPECT_EQ(d.targets.new_replicas, 4);
}

TEST(CanaryMachineTest, AnInconclusiveJudgedStepWaitsForAPerson) {
  Sim sim(Canary({Weight(500), Judged(), Weight(2500)}));
  sim.Tick(1);
  sim.base.step_analysis = AnalysisStatus::kInconclusive;
  sim.base.step_analysis_id = sim.state.analysis_id;
  RolloutDecision d = sim.Tick(1);
  EXPECT_EQ(sim.state.phase, RolloutPhase::kWaitingForPromote);
  EXPECT_EQ(d.targets.new_weight_bp, 500u);  // neither forward nor back
  sim.now += 3'600'000;
  sim.Tick(1);
  EXPECT_EQ(sim.state.step, 1u);
  sim.Tick(1, RolloutCommand::kPromote);
  EXPECT_EQ(sim.state.step, 3u);  // past the judged step and the 25 % one
}

TEST(BlueGreenMachineTest, AnInconclusivePrePromotionAnalysisWaitsForAPerson) {
  RolloutPlan plan;
  plan.kind = StrategyKind::kBlueGreen;
  plan.replicas = 2;
  plan.prepromotion_analysis = true;
  plan.auto_promote = AutoPromote::kImmediate;
  Sim sim(plan);
  sim.Tick(2);
  sim.base.step_analysis = AnalysisStatus::kInconclusive;
  sim.base.step_analysis_id = sim.state.analysis_id;
  EXPECT_EQ(sim.Tick(2).targets.new_weight_bp, 0u);
  EXPECT_EQ(sim.state.phase, RolloutPhase::kWaitingForPromote);
  EXPECT_EQ(sim.Tick(2, RolloutCommand::kPromote).targets.new_weight_bp, 10000u);
}

TEST(CanaryMachineTest, BackgroundAnalysisFailureAbortsFromAnyStep) {
  RolloutPlan plan = Canary({Weight(1000), Manual()});
  plan.background_analysis = true;
  Sim sim(plan);
  RolloutDecision d = sim.Tick(1);
  EXPECT_TRUE(d.targets.background_analysis);
  ASSERT_EQ(sim.state.phase, RolloutPhase::kWaitingForPromote);
  sim.base.background_failed = true;
  sim.base.analysis_reason = "fail: p99 3.1x the stable version's (p = 0.0001)";
  d = sim.Tick(1);
  EXPECT_EQ(sim.state.phase, RolloutPhase::kAborted);
  EXPECT_EQ(d.targets.new_weight_bp, 0u);
  EXPECT_FALSE(d.targets.background_analysis);
}

TEST(CanaryMachineTest, AbortThenRetryStartsOverFromTheFirstStep) {
  Sim sim(Canary({Weight(1000), Manual()}));
  sim.Tick(1);
  sim.base.actor = "alice";
  RolloutDecision d = sim.Tick(1, RolloutCommand::kAbort);
  EXPECT_EQ(d.targets.new_weight_bp, 0u);
  EXPECT_EQ(sim.state.abort_reason, "aborted by alice");
  EXPECT_FALSE(sim.Tick(1, RolloutCommand::kAbort).command_error.empty());
  EXPECT_FALSE(sim.Tick(1, RolloutCommand::kPromote).command_error.empty());
  d = sim.Tick(0, RolloutCommand::kRetry);
  EXPECT_TRUE(d.command_error.empty());
  EXPECT_EQ(sim.state.phase, RolloutPhase::kProgressing);
  EXPECT_EQ(sim.state.step, 0u);
  EXPECT_EQ(d.targets.new_weight_bp, 0u);
  EXPECT_EQ(d.targets.new_replicas, 1);
}

TEST(CanaryMachineTest, PromoteFullSkipsTheRemainingSteps) {
  Sim sim(Canary({Weight(1000), Pause(600'000), Weight(5000), Manual()}));
  sim.Tick(1);
  RolloutDecision d = sim.Tick(1, RolloutCommand::kPromoteFull);
  EXPECT_EQ(sim.state.step, sim.plan.steps.size());
  EXPECT_EQ(d.targets.new_replicas, 4);
  EXPECT_EQ(d.targets.new_weight_bp, 1000u);  // traffic waits for the four instances
  EXPECT_EQ(sim.Tick(4).targets.new_weight_bp, 10000u);
  EXPECT_FALSE(sim.Tick(4, RolloutCommand::kPromoteFull).command_error.empty());
}

TEST(CanaryMachineTest, CommandsThatCannotApplySayWhyAndChangeNothing) {
  Sim sim(Canary({Weight(1000)}));
  EXPECT_FALSE(sim.Tick(0, RolloutCommand::kResume).command_error.empty());
  EXPECT_FALSE(sim.Tick(0, RolloutCommand::kUndo).command_error.empty());
  EXPECT_FALSE(sim.Tick(0, RolloutCommand::kRetry).command_error.empty());
  EXPECT_EQ(sim.state.step, 0u);
  EXPECT_EQ(sim.state.phase, RolloutPhase::kProgressing);
}

TEST(CanaryMachineTest, AStateReadBackAfterARestartResumesWithTheSameWeight) {
  Sim sim(Canary({Weight(2000), Pause(60'000), Weight(5000)}));
  sim.Tick(1);
  sim.now += 20'000;
  sim.Tick(1);
  Result<RolloutState> back = RolloutStateFromJson(ToJson(sim.state));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  // The restarted server has not seen its instances healthy yet: nothing flips.
  Sim restarted(sim.plan);
  restarted.state = *back;
  restarted.now = sim.now + 5'000;
  RolloutDecision d = restarted.Tick(0);
  EXPECT_EQ(d.targets.new_weight_bp, 2000u);
  EXPECT_EQ(restarted.state.step, 1u);
  restarted.now = sim.now + 40'000;  // 60 s after the pause began
  restarted.Tick(1);
  EXPECT_EQ(restarted.state.step, 2u);
}

TEST(RolloutStateTest, BadJsonIsRefusedWithAReason) {
  nlohmann::json j = ToJson(RolloutState{});
  j["phase"] = "sideways";
  EXPECT_FALSE(RolloutStateFromJson(j).ok());
  j = ToJson(RolloutState{});
  j["weight_bp"] = 10001;
  EXPECT_FALSE(RolloutStateFromJson(j).ok());
  j = ToJson(RolloutState{});
  j.erase("step");
  EXPECT_FALSE(RolloutStateFromJson(j).ok());
}

RolloutPlan BlueGreen(AutoPromote auto_promote = AutoPromote::kManual, int replicas = 3) {
  RolloutPlan p;
  p.kind = StrategyKind::kBlueGreen;
  p.replicas = replicas;
  p.preview = true;
  p.auto_promote = auto_promote;
  p.scale_down_delay = milliseconds(30'000);
  return p;
}

TEST(BlueGreenMachineTest, ComesUpInFullBesideTheOldSwitchesOnPromoteAndScalesDownLater) {
  Sim sim(BlueGreen());
  RolloutDecision d = sim.Tick(0);
  EXPECT_EQ(d.targets.new_replicas, 3);
  EXPECT_EQ(d.targets.stable_replicas, 3);
  EXPECT_EQ(d.targets.new_weight_bp, 0u);
  EXPECT_TRUE(d.targets.preview);
  EXPECT_FALSE(sim.Tick(2, RolloutCommand::kPromote).command_error.empty());  // not ready
  d = sim.Tick(3);
  EXPECT_EQ(sim.state.phase, RolloutPhase::kWaitingForPromote);
  EXPECT_EQ(d.targets.new_weight_bp, 0u);
  d = sim.Tick(3, RolloutCommand::kPromote);
  EXPECT_EQ(sim.state.phase, RolloutPhase::kSwitched);
  EXPECT_EQ(d.targets.new_weight_bp, 10000u);
  EXPECT_EQ(d.targets.stable_replicas, 3);  // kept for undo
  EXPECT_FALSE(d.targets.preview);
  sim.now += 29'999;
  EXPECT_EQ(sim.Tick(3).targets.stable_replicas, 3);
  sim.now += 1;
  d = sim.Tick(3);
  EXPECT_EQ(sim.state.phase, RolloutPhase::kCompleted);
  EXPECT_EQ(d.targets.stable_replicas, 0);
  EXPECT_FALSE(sim.Tick(3, RolloutCommand::kUndo).command_error.empty());
}

TEST(BlueGreenMachineTest, UndoInsideTheWindowSwitchesBackInOneDecision) {
  Sim sim(BlueGreen(AutoPromote::kImmediate));
  sim.Tick(3);
  ASSERT_EQ(sim.state.phase, RolloutPhase::kSwitched);
  sim.now += 5'000;
  sim.base.actor = "bob";
  RolloutDecision d = sim.Tick(3, RolloutCommand::kUndo);
  EXPECT_TRUE(d.command_error.empty());
  EXPECT_EQ(d.targets.new_weight_bp, 0u);
  EXPECT_EQ(d.targets.stable_replicas, 3);
  EXPECT_EQ(d.targets.new_replicas, 0);
  EXPECT_TRUE(sim.state.undone);
  EXPECT_EQ(sim.state.phase, RolloutPhase::kAborted);
}

TEST(BlueGreenMachineTest, PrePromotionAnalysisGatesTheSwitch) {
  RolloutPlan plan = BlueGreen(AutoPromote::kImmediate);
  plan.prepromotion_analysis = true;
  Sim pass(plan);
  RolloutDecision d = pass.Tick(3);
  EXPECT_TRUE(d.targets.step_analysis);
  EXPECT_EQ(d.targets.new_weight_bp, 0u);
  pass.base.step_analysis = AnalysisStatus::kPassed;
  pass.base.step_analysis_id = pass.state.analysis_id;
  d = pass.Tick(3);
  EXPECT_EQ(d.targets.new_weight_bp, 10000u);

  Sim fail(plan);
  fail.Tick(3);
  fail.base.step_analysis = AnalysisStatus::kFailed;
  fail.base.step_analysis_id = fail.state.analysis_id;
  d = fail.Tick(3);
  EXPECT_EQ(fail.state.phase, RolloutPhase::kAborted);
  EXPECT_EQ(d.targets.new_weight_bp, 0u);
  EXPECT_EQ(d.targets.new_replicas, 0);
}

TEST(BlueGreenMachineTest, AutoPromoteAfterADelayNeverSwitchesToUnhealthyInstances) {
  RolloutPlan plan = BlueGreen(AutoPromote::kAfterDelay);
  plan.auto_promote_delay = milliseconds(10'000);
  Sim sim(plan);
  sim.Tick(3);
  sim.now += 10'000;
  EXPECT_EQ(sim.Tick(2).targets.new_weight_bp, 0u);  // one instance fell over: wait
  EXPECT_EQ(sim.Tick(3).targets.new_weight_bp, 10000u);
}

}  // namespace
}  // namespace cairn::rollout

namespace cairn::rollout {
namespace {

RolloutPlan Rolling(int replicas = 3) {
  RolloutPlan p;
  p.kind = StrategyKind::kRolling;
  p.replicas = replicas;
  return p;
}

TEST(RollingMachineTest, CompletesWhenTheReplaceReachesItsTarget) {
  Sim sim(Rolling());
  sim.Tick(1);
  EXPECT_EQ(sim.state.phase, RolloutPhase::kProgressing);
  EXPECT_EQ(sim.last.targets.new_replicas, 3);
  EXPECT_EQ(sim.last.targets.new_weight_bp, 10000u);
  sim.base.rolling_done = true;
  sim.Tick(3);
  EXPECT_EQ(sim.state.phase, RolloutPhase::kCompleted);
}

TEST(RollingMachineTest, APausedReplaceHoldsUntilResumedEvenWhenItsWorkIsDone) {
  Sim sim(Rolling());
  sim.Tick(1, RolloutCommand::kPause);
  EXPECT_TRUE(sim.state.user_paused);
  EXPECT_TRUE(sim.Saw("rollout.paused"));
  sim.base.rolling_done = true;
  sim.Tick(3);
  EXPECT_EQ(sim.state.phase, RolloutPhase::kProgressing);
  sim.Tick(3, RolloutCommand::kResume);
  EXPECT_FALSE(sim.state.user_paused);
  EXPECT_EQ(sim.state.phase, RolloutPhase::kCompleted);
}

TEST(RollingMachineTest, AbortSendsEveryoneBackAndRetryStartsAgain) {
  Sim sim(Rolling());
  sim.Tick(1);
  sim.base.actor = "bob";
  sim.Tick(2, RolloutCommand::kAbort);
  EXPECT_EQ(sim.state.phase, RolloutPhase::kAborted);
  EXPECT_EQ(sim.state.abort_reason, "aborted by bob");
  EXPECT_EQ(sim.last.targets.new_replicas, 0);
  EXPECT_EQ(sim.last.targets.stable_replicas, 3);
  EXPECT_EQ(sim.last.targets.new_weight_bp, 0u);
  sim.Tick(0, RolloutCommand::kAbort);
  EXPECT_EQ(sim.last.command_error, "nothing to abort: the rollout is aborted");
  sim.Tick(0, RolloutCommand::kRetry);
  EXPECT_EQ(sim.state.phase, RolloutPhase::kProgressing);
  EXPECT_EQ(sim.last.targets.new_replicas, 3);
}

TEST(RollingMachineTest, PromoteAndUndoAreRefusedWithWhatSteersARollingReplace) {
  Sim sim(Rolling());
  for (RolloutCommand c :
       {RolloutCommand::kPromote, RolloutCommand::kPromoteFull, RolloutCommand::kUndo}) {
    sim.Tick(1, c);
    EXPECT_EQ(sim.last.command_error,
              "a rolling replace has no steps to promote or switch to undo; `cairn rollout "
              "pause`, `resume` and `abort` steer it");
    EXPECT_EQ(sim.state.phase, RolloutPhase::kProgressing);
  }
}

}  // namespace
}  // namespace cairn::rollout
