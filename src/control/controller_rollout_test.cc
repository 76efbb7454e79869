// The reconcile loop over time: rolling replace, crash restarts with backoff, and the fallback
// to the last good revision when a rollout misses its progress deadline. Each test steps the
// loop one tick at a time on a FakeClock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "control/controller.h"
#include "control/controller_harness_for_test.h"

namespace cairn::control {
namespace {

using ::testing::HasSubstr;

int CountEvents(const Controller& controller, const std::string& type) {
  int n = 0;
  for (const telemetry::Event& e : controller.events().Since(0)) n += e.type == type ? 1 : 0;
  return n;
}

// Instances of `service` not stopping, counted when healthy.
int HealthyServing(const ServiceInfo& s) {
  int n = 0;
  for (const InstanceInfo& i : s.instances) n += i.phase == InstancePhase::kHealthy ? 1 : 0;
  return n;
}

bool AllOnRevision(const ServiceInfo& s, int64_t revision) {
  for (const InstanceInfo& i : s.instances) {
    if (i.revision != revision) return false;
  }
  return !s.instances.empty();
}

TEST(ControllerRolloutTest, ReplaceKeepsReplicasAvailable) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 3)).ok());
  h.Tick();
  ASSERT_EQ(h.Service().rollout, RolloutState::kComplete);

  ASSERT_TRUE(h.Apply(ServiceYaml("v2", 3)).ok());
  EXPECT_GE(HealthyServing(h.Service()), 3);
  int ticks = 0;
  for (; ticks < 50; ++ticks) {
    h.Tick();
    ServiceInfo web = h.Service();
    ASSERT_GE(HealthyServing(web), 3) << "after tick " << ticks;
    int not_stopping = 0;
    for (const InstanceInfo& i : web.instances) {
      not_stopping += i.phase != InstancePhase::kStopping ? 1 : 0;
    }
    ASSERT_LE(not_stopping, 4) << "more than replicas + max_surge after tick " << ticks;
    if (web.rollout == RolloutState::kComplete && AllOnRevision(web, 2) &&
        web.instances.size() == 3) {
      break;
    }
  }
  ASSERT_LT(ticks, 50) << "the replace never completed";
  ServiceInfo web = h.Service();
  EXPECT_EQ(web.revision, 2);
  EXPECT_EQ(web.healthy, 3);
  EXPECT_EQ(h.driver().starts(), 6);
  EXPECT_EQ(h.driver().RunningPids().size(), 3u);
  for (int pid : h.driver().RunningPids()) {
    EXPECT_EQ(h.driver().process(pid).config.argv.back(), "v2");
  }
  auto stable = h.controller().store().GetMeta("stable/web");
  ASSERT_TRUE(stable.ok() && stable->has_value());
  EXPECT_EQ(**stable, "2");
}

TEST(ControllerRolloutTest, ScaleChangesReplicasWithoutReplacing) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 1)).ok());
  h.Tick();
  std::string first = h.Service().instances.at(0).id;

  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 3)).ok());
  h.Ticks(3);
  ServiceInfo web = h.Service();
  EXPECT_EQ(web.healthy, 3);
  EXPECT_EQ(web.rollout, RolloutState::kComplete);
  EXPECT_EQ(h.driver().starts(), 3);

  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 1)).ok());
  h.Ticks(3);
  web = h.Service();
  EXPECT_EQ(web.instances.size(), 1u);
  EXPECT_EQ(web.rollout, RolloutState::kComplete);
  EXPECT_EQ(h.driver().starts(), 3);
}

TEST(ControllerRolloutTest, CrashedInstanceIsRestartedAfterBackoff) {
  ControllerOptions options;
  options.restart.initial_backoff = Duration(1000);
  ControllerHarness h(options);
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1")).ok());
  h.Tick();
  InstanceInfo before = h.Service().instances.at(0);

  h.driver().CrashOnNextInspect(before.pid, 3);
  h.Tick();
  InstanceInfo crashed = h.Service().instances.at(0);
  EXPECT_EQ(crashed.id, before.id);
  EXPECT_EQ(crashed.phase, InstancePhase::kCrashed);
  EXPECT_EQ(crashed.restarts, 1);
  EXPECT_EQ(CountEvents(h.controller(), "instance.crashed"), 1);

  h.Advance(Duration(999));
  h.Ticks(3);
  EXPECT_EQ(h.driver().starts(), 1) << "restarted before the backoff ended";
  EXPECT_EQ(h.Service().instances.size(), 1u) << "the crashed slot must not be replaced";

  h.Advance(Duration(1));
  h.Tick();
  EXPECT_EQ(h.driver().starts(), 2);
  h.Tick();
  ServiceInfo web = h.Service();
  ASSERT_EQ(web.instances.size(), 1u);
  InstanceInfo after = web.instances[0];
  EXPECT_EQ(after.id, before.id) << "a restart keeps the instance";
  EXPECT_NE(after.pid, before.pid);
  EXPECT_EQ(after.phase, InstancePhase::kHealthy);
  EXPECT_EQ(after.restarts, 1);
  EXPECT_EQ(web.rollout, RolloutState::kComplete);
  EXPECT_EQ(CountEvents(h.controller(), "instance.restarted"), 1);
  auto records = h.controller().store().ListInstances();
  ASSERT_TRUE(records.ok() && records->size() == 1u);
  EXPECT_EQ(records->front().pid, after.pid) << "the new pid is recorded for adoption";
}

// A service that completed long ago and then loses an instance is working again from that
// moment: its progress deadline counts from the loss, not from the apply hours before.
TEST(ControllerRolloutTest, ACrashLongAfterCompletionDoesNotFailTheRollout) {
  ControllerOptions options;
  options.restart.initial_backoff = Duration(1000);
  ControllerHarness h(options);
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1")).ok());
  h.Tick();
  ASSERT_EQ(h.Service().rollout, RolloutState::kComplete);
  h.Advance(std::chrono::hours(2));
  h.Tick();
  h.driver().CrashOnNextInspect(h.Service().instances.at(0).pid, 3);
  h.Tick();
  EXPECT_EQ(h.Service().rollout, RolloutState::kProgressing);
  h.Advance(Duration(1000));
  h.Ticks(3);
  ServiceInfo web = h.Service();
  EXPECT_EQ(web.rollout, RolloutState::kComplete) << web.rollout_reason;
  EXPECT_EQ(CountEvents(h.controller(), "rollout.failed"), 0);
}

TEST(ControllerRolloutTest, RepeatedCrashesBackOffLonger) {
  ControllerOptions options;
  options.restart.initial_backoff = Duration(1000);
  ControllerHarness h(options);
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1")).ok());
  h.Tick();
  h.driver().CrashOnNextInspect(h.Service().instances.at(0).pid);
  h.Tick();
  h.Advance(Duration(1000));
  h.Tick();  // restarted
  ASSERT_EQ(h.driver().starts(), 2);
  h.driver().CrashOnNextInspect(h.Service().instances.at(0).pid);
  h.Tick();  // second short run: 2s backoff
  h.Advance(Duration(1999));
  h.Tick();
  EXPECT_EQ(h.driver().starts(), 2);
  h.Advance(Duration(1));
  h.Tick();
  EXPECT_EQ(h.driver().starts(), 3);
  EXPECT_EQ(h.Service().instances.at(0).restarts, 2);
}

TEST(ControllerRolloutTest, FailingRolloutFallsBackAtProgressDeadline) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  const std::string deadline = "    strategy: { rolling: { progress_deadline: 2s } }\n";
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 2, deadline)).ok());
  h.Tick();
  ASSERT_EQ(h.Service().rollout, RolloutState::kComplete);

  h.driver().ExitAtOnce("/bin/true");
  ASSERT_TRUE(h.Apply(ServiceYaml("v2", 2, deadline, "/bin/true")).ok());
  // Step through the deadline a tenth of a second at a time; the crashing v2 instance is
  // restarted on its backoff along the way.
  bool failed_seen = false;
  for (int i = 0; i < 25; ++i) {
    h.Advance(Duration(100));
    h.Tick();
    ServiceInfo web = h.Service();
    ASSERT_NE(web.rollout, RolloutState::kComplete) << "a crash-looping rollout completed";
    // Once failed, the state never flips back to progressing while the fallback runs.
    if (failed_seen) {
      ASSERT_EQ(web.rollout, RolloutState::kFailed) << "step " << i;
    }
    failed_seen = web.rollout == RolloutState::kFailed;
    ASSERT_GE(web.healthy, 2) << "v1 capacity was lost at step " << i;
  }
  h.Ticks(3);

  ServiceInfo web = h.Service();
  EXPECT_EQ(web.rollout, RolloutState::kFailed);
  EXPECT_THAT(web.rollout_reason, HasSubstr("0 of 2 new instances healthy"));
  EXPECT_THAT(web.rollout_reason, HasSubstr("progress deadline of 2s"));
  EXPECT_EQ(web.revision, 1);
  EXPECT_EQ(web.healthy, 2);
  EXPECT_EQ(web.instances.size(), 2u);
  EXPECT_TRUE(AllOnRevision(web, 1));
  EXPECT_EQ(h.controller().Snapshot().head->number, 2) << "the head itself stays";

  auto failed = h.controller().store().GetMeta("failed/web");
  ASSERT_TRUE(failed.ok() && failed->has_value());
  EXPECT_EQ(**failed, "2");
  auto stable = h.controller().store().GetMeta("stable/web");
  ASSERT_TRUE(stable.ok() && stable->has_value());
  EXPECT_EQ(**stable, "1");
  EXPECT_EQ(CountEvents(h.controller(), "rollout.failed"), 1);
  EXPECT_EQ(CountEvents(h.controller(), "rollout.reverted"), 1);
  const ControllerMetrics& m = h.controller().counters();
  EXPECT_EQ(m.rollouts_started.at({"web", "rolling"}), 1u);
  EXPECT_EQ(m.rollouts_finished.at({"web", "rolling", "failed"}), 1u);
  EXPECT_EQ(m.rollouts_finished.size(), 1u);
  auto reason = h.controller().store().GetMeta("failed_reason/web");
  ASSERT_TRUE(reason.ok() && reason->has_value());
  EXPECT_EQ(**reason, web.rollout_reason) << "kept for a restarted server to show";

  // Settled: nothing more happens and nothing more is said.
  int starts = h.driver().starts();
  h.Advance(Duration(60000));
  h.Ticks(5);
  EXPECT_EQ(h.driver().starts(), starts);
  EXPECT_EQ(CountEvents(h.controller(), "rollout.reverted"), 1);
  EXPECT_EQ(h.Service().rollout, RolloutState::kFailed);
}

TEST(ControllerRolloutTest, ApplyingAFixAfterAFailedRolloutRollsForward) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  const std::string deadline = "    strategy: { rolling: { progress_deadline: 2s } }\n";
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 1, deadline)).ok());
  h.Tick();
  h.driver().ExitAtOnce("/bin/true");
  ASSERT_TRUE(h.Apply(ServiceYaml("v2", 1, deadline, "/bin/true")).ok());
  for (int i = 0; i < 25; ++i) {
    h.Advance(Duration(100));
    h.Tick();
  }
  ASSERT_EQ(h.Service().rollout, RolloutState::kFailed);

  ASSERT_TRUE(h.Apply(ServiceYaml("v3", 1, deadline)).ok());
  h.Ticks(4);
  ServiceInfo web = h.Service();
  EXPECT_EQ(web.rollout, RolloutState::kComplete);
  EXPECT_EQ(web.revision, 3);
  EXPECT_TRUE(AllOnRevision(web, 3));
  EXPECT_EQ(web.rollout_reason, "");
}

TEST(ControllerRolloutTest, FailedStartIsRetriedAfterADelay) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  h.driver().FailStartsOf("sh");
  ASSERT_TRUE(h.Apply(ServiceYaml("v1")).ok());
  h.Ticks(3);
  EXPECT_EQ(h.driver().starts(), 0);
  EXPECT_GE(CountEvents(h.controller(), "instance.start_failed"), 1);
  int failures = CountEvents(h.controller(), "instance.start_failed");
  h.Ticks(3);
  EXPECT_EQ(CountEvents(h.controller(), "instance.start_failed"), failures)
      << "retried before the delay";

  h.driver().host().failing_commands.clear();
  h.Advance(Duration(1000));
  h.Tick();
  EXPECT_EQ(h.driver().starts(), 1);
}

TEST(ControllerRolloutTest, RemovedServiceIsStopped) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  std::string both = ServiceYaml("a", 1) + "  db:\n    command: sh\n    replicas: 1\n";
  ASSERT_TRUE(h.Apply(both).ok());
  h.Tick();
  ASSERT_EQ(h.driver().RunningPids().size(), 2u);

  ASSERT_TRUE(h.Apply(ServiceYaml("a", 1)).ok());
  h.Ticks(3);
  EXPECT_EQ(h.driver().RunningPids().size(), 1u);
  EXPECT_TRUE(h.Service("db").instances.empty());
  auto records = h.controller().store().ListInstances();
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ(records->front().service, "web");
  int removed = 0;
  for (const auto& e : h.controller().events().Since(0, "db")) {
    if (e.type == "service.removed") ++removed;
  }
  EXPECT_EQ(removed, 1);
  auto stable = h.controller().store().GetMeta("stable/db");
  ASSERT_TRUE(stable.ok());
  EXPECT_FALSE(stable->has_value());
}

}  // namespace
}  // namespace cairn::control

namespace cairn::control {
namespace {

int OnRevision(const ServiceInfo& s, int64_t revision) {
  int n = 0;
  for (const InstanceInfo& i : s.instances) {
    n += i.revision == revision && i.phase != InstancePhase::kStopping ? 1 : 0;
  }
  return n;
}

// v1 complete on 3 instances, then v2 applied and one tick taken: a replace under way.
void StartReplace(ControllerHarness& h) {
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 3)).ok());
  h.Tick();
  ASSERT_EQ(h.Service().rollout, RolloutState::kComplete);
  ASSERT_TRUE(h.Apply(ServiceYaml("v2", 3)).ok());
  h.Tick();
  ASSERT_EQ(h.Service().rollout, RolloutState::kProgressing);
}

TEST(ControllerRollingMachineTest, APausedReplaceHoldsAcrossARestartAndFinishesOnResume) {
  ControllerHarness h;
  StartReplace(h);
  ServiceInfo web = h.Service();
  ASSERT_TRUE(web.progressive.has_value());
  EXPECT_EQ(web.progressive->strategy, "rolling");
  EXPECT_EQ(web.progressive->new_revision, 2);
  EXPECT_EQ(web.progressive->stable_revision, 1);
  EXPECT_EQ(web.progressive->replicas, 3);

  auto paused = h.controller().RolloutCommand("web", rollout::RolloutCommand::kPause, "ann");
  ASSERT_TRUE(paused.ok()) << paused.error().message;
  EXPECT_TRUE(paused->state.user_paused);
  int old_before = OnRevision(h.Service(), 1);
  int new_before = OnRevision(h.Service(), 2);
  ASSERT_GT(old_before, 0);
  h.Ticks(20);
  EXPECT_EQ(OnRevision(h.Service(), 1), old_before) << "a paused replace stopped an instance";
  EXPECT_EQ(OnRevision(h.Service(), 2), new_before) << "a paused replace started an instance";

  h.RestartController();
  ASSERT_TRUE(h.Start().ok());
  h.Ticks(20);
  web = h.Service();
  ASSERT_TRUE(web.progressive.has_value());
  EXPECT_TRUE(web.progressive->state.user_paused) << "the pause did not survive a restart";
  EXPECT_EQ(OnRevision(web, 1), old_before);

  ASSERT_TRUE(h.controller().RolloutCommand("web", rollout::RolloutCommand::kResume, "ann").ok());
  for (int i = 0; i < 50 && h.Service().rollout != RolloutState::kComplete; ++i) h.Tick();
  web = h.Service();
  EXPECT_EQ(web.rollout, RolloutState::kComplete);
  EXPECT_FALSE(web.progressive.has_value());
  EXPECT_EQ(OnRevision(web, 2), 3);
  auto record = h.controller().store().GetMeta("rollout/web");
  ASSERT_TRUE(record.ok());
  EXPECT_FALSE(record->has_value()) << "the finished replace left its record";
}

TEST(ControllerRollingMachineTest, AReplaceOvertakenByANewerApplyIsCountedSuperseded) {
  ControllerHarness h;
  StartReplace(h);
  ASSERT_TRUE(h.controller().RolloutCommand("web", rollout::RolloutCommand::kPause, "ann").ok());
  h.Tick();
  ASSERT_TRUE(h.Apply(ServiceYaml("v3", 3)).ok());
  h.Tick();
  const ControllerMetrics& m = h.controller().counters();
  EXPECT_EQ(m.rollouts_finished.at({"web", "rolling", "superseded"}), 1u);
  EXPECT_EQ(m.rollouts_started.at({"web", "rolling"}), 2u) << "revision 3's replace started";
  for (int i = 0; i < 50 && h.Service().rollout != RolloutState::kComplete; ++i) h.Tick();
  EXPECT_EQ(m.rollouts_finished.at({"web", "rolling", "completed"}), 1u);
  EXPECT_EQ(m.rollouts_finished.at({"web", "rolling", "superseded"}), 1u);
}

TEST(ControllerRollingMachineTest, AnAbortedReplaceGoesBackToTheStableRevision) {
  ControllerHarness h;
  StartReplace(h);
  auto aborted = h.controller().RolloutCommand("web", rollout::RolloutCommand::kAbort, "bob");
  ASSERT_TRUE(aborted.ok()) << aborted.error().message;
  EXPECT_EQ(aborted->state.phase, rollout::RolloutPhase::kAborted);
  for (int i = 0; i < 50 && OnRevision(h.Service(), 2) + h.Service().instances.size() != 3; ++i) {
    h.Tick();
  }
  h.Ticks(10);
  ServiceInfo web = h.Service();
  EXPECT_EQ(web.rollout, RolloutState::kFailed);
  EXPECT_EQ(web.rollout_reason, "rollout aborted: aborted by bob");
  EXPECT_EQ(OnRevision(web, 1), 3);
  EXPECT_EQ(OnRevision(web, 2), 0);
  EXPECT_EQ(CountEvents(h.controller(), "rollout.failed"), 1);

  // Nothing left to steer; retry brings the head back.
  auto again = h.controller().RolloutCommand("web", rollout::RolloutCommand::kAbort, "bob");
  EXPECT_FALSE(again.ok());
  ASSERT_TRUE(h.controller().RolloutCommand("web", rollout::RolloutCommand::kRetry, "bob").ok());
  for (int i = 0; i < 50 && h.Service().rollout != RolloutState::kComplete; ++i) h.Tick();
  EXPECT_EQ(OnRevision(h.Service(), 2), 3);
}

TEST(ControllerRollingMachineTest, AScaleOrAFirstVersionIsNoReplaceToSteer) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 1)).ok());
  EXPECT_FALSE(h.Service().progressive.has_value());
  EXPECT_FALSE(h.controller().RolloutCommand("web", rollout::RolloutCommand::kPause, "a").ok());
  h.Tick();
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 3)).ok());
  EXPECT_FALSE(h.Service().progressive.has_value());
  auto promote = h.controller().RolloutCommand("web", rollout::RolloutCommand::kPromote, "a");
  ASSERT_FALSE(promote.ok());
  EXPECT_EQ(promote.error().message, "no rollout of web is in progress");
}

}  // namespace
}  // namespace cairn::control
