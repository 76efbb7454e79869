// The controller's user-facing operations (apply, rollback, stop, restart) against the real
// SQLite store, a FakeDriver and a FakeClock. Rollout behaviour: controller_rollout_test.cc.
#include "control/controller.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "control/controller_harness_for_test.h"

namespace cairn::control {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(ControllerTest, ApplyCreatesRevisionAndStartsReplicas) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());

  auto applied = h.Apply(ServiceYaml("v1", 2));
  ASSERT_TRUE(applied.ok()) << applied.error().ToString();
  ASSERT_TRUE(applied->revision.has_value());
  EXPECT_EQ(applied->revision->number, 1);
  EXPECT_EQ(applied->revision->author, "tester");
  EXPECT_TRUE(applied->plan.HasChanges());
  EXPECT_EQ(h.driver().starts(), 2);  // the apply reconciles at once

  h.Tick();
  ServiceInfo web = h.Service();
  EXPECT_EQ(web.revision, 1);
  EXPECT_EQ(web.replicas, 2);
  EXPECT_EQ(web.healthy, 2);
  EXPECT_EQ(web.rollout, RolloutState::kComplete);
  ASSERT_EQ(web.instances.size(), 2u);
  for (const InstanceInfo& inst : web.instances) {
    EXPECT_THAT(inst.id, StartsWith("web-"));
    EXPECT_EQ(inst.revision, 1);
    EXPECT_EQ(inst.phase, InstancePhase::kHealthy);
    EXPECT_GT(inst.port, 0);
    EXPECT_EQ(inst.log_path, h.data_dir() + "/logs/" + inst.id + ".log");
    const FakeProcess& p = h.driver().process(inst.pid);
    EXPECT_EQ(p.config.argv, (std::vector<std::string>{"sh", "-c", "v1"}));
    EXPECT_EQ(p.config.env.at("CAIRN_INSTANCE"), inst.id);
    EXPECT_EQ(p.config.env.at("CAIRN_SERVICE"), "web");
    EXPECT_EQ(p.config.env.at("CAIRN_REVISION"), "1");
    EXPECT_EQ(p.config.env.at("CAIRN_DATA_DIR"), h.data_dir());
    EXPECT_EQ(p.config.port, inst.port);
  }
  EXPECT_NE(web.instances[0].port, web.instances[1].port);

  auto records = h.controller().store().ListInstances();
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->size(), 2u);
  auto head = h.controller().store().Head();
  ASSERT_TRUE(head.ok() && head->has_value());
  EXPECT_EQ((*head)->number, 1);
  EXPECT_EQ(h.controller().Snapshot().environment, "test");
}

TEST(ControllerTest, ApplyWithoutChangesCreatesNoRevision) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1")).ok());
  h.Tick();

  auto again = h.Apply(ServiceYaml("v1"));
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_FALSE(again->revision.has_value());
  EXPECT_FALSE(again->plan.HasChanges());
  auto revisions = h.controller().store().ListRevisions();
  ASSERT_TRUE(revisions.ok());
  EXPECT_EQ(revisions->size(), 1u);
  h.Tick();
  EXPECT_EQ(h.driver().starts(), 1);
}

TEST(ControllerTest, PlanChangesNothing) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  auto plan = h.controller().Plan(ServiceYaml("v1"), "test.yaml");
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  EXPECT_TRUE(plan->HasChanges());
  auto head = h.controller().store().Head();
  ASSERT_TRUE(head.ok());
  EXPECT_FALSE(head->has_value());
  h.Tick();
  EXPECT_EQ(h.driver().starts(), 0);
}

TEST(ControllerTest, InvalidYamlLeavesHeadUnchangedAndIsAudited) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1")).ok());

  auto bad = h.Apply("environment: test\nservices: [\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);

  auto head = h.controller().store().Head();
  ASSERT_TRUE(head.ok() && head->has_value());
  EXPECT_EQ((*head)->number, 1);
  EXPECT_EQ(h.controller().Snapshot().head->number, 1);

  auto audit = h.controller().store().ListAudit(10);
  ASSERT_TRUE(audit.ok());
  ASSERT_FALSE(audit->empty());
  const state::AuditRecord& newest = audit->front();
  EXPECT_EQ(newest.actor, "tester");
  EXPECT_EQ(newest.action, "apply");
  EXPECT_THAT(newest.result, StartsWith("rejected: "));
}

TEST(ControllerTest, CommandNotOnPathIsRejectedNamingTheField) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  auto bad = h.Apply(ServiceYaml("x", 1, "", "no-such-command-xyz"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(bad.error().message, HasSubstr("services.web.command"));
  EXPECT_THAT(bad.error().message, HasSubstr("no-such-command-xyz"));
  auto head = h.controller().store().Head();
  ASSERT_TRUE(head.ok());
  EXPECT_FALSE(head->has_value());
}

// What the environment file allows but this server cannot run (a Prometheus check over https)
// is refused at apply by its field, before a revision is written.
TEST(ControllerTest, AnalysesThisServerCannotRunAreRefusedAtApply) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  const std::string ports = "    ports: { http: { listen: 18080 } }\n";
  auto canary = h.Apply(ServiceYaml(
      "v1", 1,
      ports + "    strategy:\n      canary:\n        steps: [{weight: 5}]\n"
              "        analysis:\n          prometheus:\n            - name: db_errors\n"
              "              address: https://prom.internal:9090\n"
              "              query: 'sum(rate(db_errors_total[1m]))'\n"
              "              condition: \"<= 0.5\"\n"));
  ASSERT_FALSE(canary.ok());
  EXPECT_EQ(canary.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(canary.error().message,
              HasSubstr("services.web.strategy.canary.analysis.prometheus[0].address: https "
                        "Prometheus addresses are not supported"));
  auto head = h.controller().store().Head();
  ASSERT_TRUE(head.ok());
  EXPECT_FALSE(head->has_value());
  h.Tick();
  EXPECT_EQ(h.driver().starts(), 0);
}

TEST(ControllerTest, StaleExpectRevisionIsAConflict) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1"), 0).ok());

  auto stale = h.Apply(ServiceYaml("v2"), 0);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_THAT(stale.error().message, HasSubstr("the head is revision 1"));
  auto revisions = h.controller().store().ListRevisions();
  ASSERT_TRUE(revisions.ok());
  EXPECT_EQ(revisions->size(), 1u);
  auto audit = h.controller().store().ListAudit(1);
  ASSERT_TRUE(audit.ok() && !audit->empty());
  EXPECT_THAT(audit->front().result, StartsWith("rejected: "));

  auto current = h.Apply(ServiceYaml("v2"), 1);
  ASSERT_TRUE(current.ok()) << current.error().ToString();
  ASSERT_TRUE(current->revision.has_value());
  EXPECT_EQ(current->revision->number, 2);
}

TEST(ControllerTest, RollbackCreatesARevisionEqualToTheOldOne) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  auto v1 = h.Apply(ServiceYaml("v1"));
  ASSERT_TRUE(v1.ok());
  auto v2 = h.Apply(ServiceYaml("v2"));
  ASSERT_TRUE(v2.ok());
  ASSERT_NE(v1->revision->spec_hash, v2->revision->spec_hash);

  auto back = h.controller().Rollback(1, "tester", "", 2);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  ASSERT_TRUE(back->revision.has_value());
  EXPECT_EQ(back->revision->number, 3);
  EXPECT_EQ(back->revision->rollback_of, std::optional<int64_t>(1));
  EXPECT_EQ(back->revision->spec_hash, v1->revision->spec_hash);
  EXPECT_EQ(back->revision->spec_json, v1->revision->spec_json);
  EXPECT_EQ(back->revision->message, "rollback to revision 1");
  EXPECT_TRUE(h.controller().store().VerifyChain().ok());
}

TEST(ControllerTest, RollbackToAMissingRevisionIsNotFound) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1")).ok());
  auto missing = h.controller().Rollback(7, "tester", "", std::nullopt);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  auto audit = h.controller().store().ListAudit(1);
  ASSERT_TRUE(audit.ok() && !audit->empty());
  EXPECT_EQ(audit->front().action, "rollback");
}

TEST(ControllerTest, RestartAdoptsRecordedInstances) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 2)).ok());
  h.Tick();
  ServiceInfo before = h.Service();
  ASSERT_EQ(before.instances.size(), 2u);
  ASSERT_EQ(h.driver().starts(), 2);

  h.RestartController();
  ASSERT_TRUE(h.Start().ok());
  ServiceInfo after_start = h.Service();
  ASSERT_EQ(after_start.instances.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(after_start.instances[i].id, before.instances[i].id);
    EXPECT_EQ(after_start.instances[i].pid, before.instances[i].pid);
    EXPECT_EQ(after_start.instances[i].phase, InstancePhase::kHealthy);
  }
  h.Ticks(5);
  EXPECT_EQ(h.driver().starts(), 2) << "adopted instances must not be replaced";
  ServiceInfo web = h.Service();
  EXPECT_EQ(web.rollout, RolloutState::kComplete);
  EXPECT_EQ(web.healthy, 2);
  for (int pid : h.driver().RunningPids()) EXPECT_EQ(h.driver().process(pid).terminates, 0);
  bool adopted_event = false;
  for (const telemetry::Event& e : h.controller().events().Since(0)) {
    adopted_event = adopted_event || e.type == "instance.adopted";
  }
  EXPECT_TRUE(adopted_event);
}

TEST(ControllerTest, RestartForgetsInstancesThatAreGoneAndReplacesThem) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1")).ok());
  h.Tick();
  int old_pid = h.Service().instances.at(0).pid;
  h.driver().host().processes.at(old_pid).running = false;  // died while no server watched

  h.RestartController();
  ASSERT_TRUE(h.Start().ok());
  h.Tick();
  ServiceInfo web = h.Service();
  ASSERT_EQ(web.instances.size(), 1u);
  EXPECT_NE(web.instances[0].pid, old_pid);
  EXPECT_EQ(h.driver().starts(), 2);
  auto records = h.controller().store().ListInstances();
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ(records->front().pid, web.instances[0].pid);
}

TEST(ControllerTest, StopAllStopsEveryInstanceThenCallsDone) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 3)).ok());
  h.Tick();
  ASSERT_EQ(h.driver().RunningPids().size(), 3u);

  int done = 0;
  h.controller().StopAll([&] { ++done; });
  EXPECT_EQ(done, 0) << "done before any instance was seen to stop";
  EXPECT_TRUE(h.driver().RunningPids().empty());  // every one was sent SIGTERM
  h.Tick();
  EXPECT_EQ(done, 1);
  EXPECT_TRUE(h.controller().Snapshot().services.empty() || h.Service().instances.empty());
  auto records = h.controller().store().ListInstances();
  ASSERT_TRUE(records.ok());
  EXPECT_TRUE(records->empty());
  for (const auto& [pid, p] : h.driver().host().processes) {
    EXPECT_EQ(p.terminates, 1) << pid;
    EXPECT_EQ(p.kills, 0) << pid;
  }
  // The loop has ended: no tick is pending any more, and nothing restarts the instances.
  h.io().restart();
  EXPECT_EQ(h.io().poll(), 0u);
  EXPECT_EQ(h.driver().starts(), 3);
}

TEST(ControllerTest, StopAllKillsInstancesThatIgnoreTerminateAfterStopTimeout) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 1, "    stop_timeout: 2s\n")).ok());
  h.Tick();
  h.driver().IgnoreTerminate(true);

  bool done = false;
  h.controller().StopAll([&] { done = true; });
  h.Ticks(3);
  EXPECT_FALSE(done);
  ASSERT_EQ(h.driver().RunningPids().size(), 1u);
  int pid = h.driver().RunningPids()[0];
  EXPECT_EQ(h.driver().process(pid).kills, 0);

  h.Advance(Duration(2000));
  h.Tick();  // past the stop timeout: SIGKILL
  EXPECT_EQ(h.driver().process(pid).kills, 1);
  h.Tick();  // seen gone
  EXPECT_TRUE(done);
}

TEST(ControllerTest, StopAllWithNoInstancesCallsDoneAtOnce) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  bool done = false;
  h.controller().StopAll([&] { done = true; });
  EXPECT_TRUE(done);
}

TEST(ControllerTest, StartAuditsTheServerStart) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  auto audit = h.controller().store().ListAudit(1);
  ASSERT_TRUE(audit.ok() && !audit->empty());
  EXPECT_EQ(audit->front().action, "server.start");
  EXPECT_EQ(audit->front().target, h.data_dir());
}

TEST(ControllerTest, RolloutStateNamesAreStable) {
  EXPECT_STREQ(RolloutStateName(RolloutState::kProgressing), "progressing");
  EXPECT_STREQ(RolloutStateName(RolloutState::kComplete), "complete");
  EXPECT_STREQ(RolloutStateName(RolloutState::kFailed), "failed");
}

}  // namespace
}  // namespace cairn::control
