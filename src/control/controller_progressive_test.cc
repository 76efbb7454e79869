// Canary and blue-green through the controller, with a fake driver, a fake clock and a fake
// router: instances, route splits, commands, abort and a restart mid-rollout.
#include <gtest/gtest.h>

#include "control/controller_harness_for_test.h"

namespace cairn::control {
namespace {

class FakePublisher : public RoutePublisher {
 public:
  Status Publish(router::RouteTable table) override {
    tables.push_back(std::move(table));
    return OkStatus();
  }
  int InFlight(const std::string&) override { return 0; }
  // The weight of `version` of service web in the latest table (0 when absent).
  uint32_t Weight(const std::string& version) const {
    if (tables.empty()) return 0;
    for (const auto& svc : tables.back().services) {
      if (svc.service != "web") continue;
      for (const auto& v : svc.versions) {
        if (v.version == version) return v.weight_bp;
      }
    }
    return 0;
  }
  std::vector<router::RouteTable> tables;
};

const std::string kCanary =
    "    ports: { http: { listen: 18080 } }\n"
    "    strategy:\n"
    "      canary:\n"
    "        steps: [{weight: 50}, {pause: {}}]\n";

ControllerOptions WithRoutes(FakePublisher* publisher) {
  ControllerOptions options;
  options.routes = publisher;
  options.drain_timeout = Duration(5000);
  return options;
}

// Ticks with time moving, so drains (200 ms grace) finish.
void RunTicks(ControllerHarness& h, int ticks) {
  for (int i = 0; i < ticks; ++i) {
    h.Advance(Duration(300));
    h.Tick();
  }
}

// Applies v1 (plain start: nothing to compare with), then v2, and runs until the canary waits
// at its manual pause with half the traffic.
void StartCanary(ControllerHarness& h, FakePublisher& routes) {
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 2, kCanary)).ok());
  RunTicks(h, 5);
  ASSERT_EQ(h.Service().rollout, RolloutState::kComplete);
  ASSERT_TRUE(h.Apply(ServiceYaml("v2", 2, kCanary)).ok());
  RunTicks(h, 4);
  ServiceInfo web = h.Service();
  ASSERT_TRUE(web.progressive.has_value());
  EXPECT_EQ(web.progressive->strategy, "canary");
  EXPECT_EQ(web.progressive->state.phase, rollout::RolloutPhase::kWaitingForPromote);
  EXPECT_EQ(routes.Weight("revision 2"), 5000u);
  EXPECT_EQ(routes.Weight("revision 1"), 5000u);
  EXPECT_EQ(web.instances.size(), 3u);  // two stable, one canary (50 % of 2)
}

TEST(ControllerProgressiveTest, ACanaryHoldsAtItsManualPauseAndCompletesOnPromote) {
  FakePublisher routes;
  ControllerHarness h(WithRoutes(&routes));
  StartCanary(h, routes);
  RunTicks(h, 10);  // held, however long
  EXPECT_EQ(routes.Weight("revision 2"), 5000u);
  auto promoted = h.controller().RolloutCommand("web", rollout::RolloutCommand::kPromote, "ann");
  ASSERT_TRUE(promoted.ok()) << promoted.error().ToString();
  RunTicks(h, 8);
  ServiceInfo web = h.Service();
  EXPECT_FALSE(web.progressive.has_value());
  EXPECT_EQ(web.rollout, RolloutState::kComplete);
  EXPECT_EQ(web.revision, 2);
  EXPECT_EQ(routes.Weight("revision 2"), 10000u);
  for (const auto& inst : web.instances) EXPECT_EQ(inst.revision, 2) << inst.id;
  EXPECT_EQ(web.instances.size(), 2u);
  const ControllerMetrics& m = h.controller().counters();
  EXPECT_EQ(m.rollouts_started.at({"web", "canary"}), 1u);
  EXPECT_EQ(m.rollouts_finished.at({"web", "canary", "completed"}), 1u);
  EXPECT_EQ(m.rollouts_finished.size(), 1u);
  EXPECT_FALSE(h.controller().RolloutCommand("web", rollout::RolloutCommand::kPromote, "ann").ok());
  // Both of revision 1's instances gave way to revision 2.
  int replaced = 0;
  for (const auto& e : h.controller().events().Since(0, "web")) {
    if (e.type != "instance.replaced") continue;
    ++replaced;
    EXPECT_EQ(e.data["revision"], 1);
    EXPECT_EQ(e.data["replaced_by"], 2);
  }
  EXPECT_EQ(replaced, 2);
}

TEST(ControllerProgressiveTest, ACanaryOvertakenByANewerApplyIsCountedSuperseded) {
  FakePublisher routes;
  ControllerHarness h(WithRoutes(&routes));
  StartCanary(h, routes);
  ASSERT_TRUE(h.Apply(ServiceYaml("v3", 2, kCanary)).ok());
  RunTicks(h, 4);
  const ControllerMetrics& m = h.controller().counters();
  EXPECT_EQ(m.rollouts_started.at({"web", "canary"}), 2u);
  EXPECT_EQ(m.rollouts_finished.at({"web", "canary", "superseded"}), 1u);
  // A rolling change next ends the second canary too.
  ASSERT_TRUE(h.Apply(ServiceYaml("v4", 2, "    ports: { http: { listen: 18080 } }\n")).ok());
  RunTicks(h, 2);
  EXPECT_EQ(m.rollouts_finished.at({"web", "canary", "superseded"}), 2u);
  EXPECT_EQ(m.rollouts_finished.size(), 1u) << "nothing completed, failed or aborted";
}

TEST(ControllerProgressiveTest, AnAbortPutsEveryoneOnStableInTheSameCall) {
  FakePublisher routes;
  ControllerHarness h(WithRoutes(&routes));
  StartCanary(h, routes);
  auto aborted = h.controller().RolloutCommand("web", rollout::RolloutCommand::kAbort, "bob");
  ASSERT_TRUE(aborted.ok()) << aborted.error().ToString();
  // Published by the command itself, before any tick.
  EXPECT_EQ(routes.Weight("revision 2"), 0u);
  EXPECT_EQ(routes.Weight("revision 1"), 10000u);
  RunTicks(h, 6);
  ServiceInfo web = h.Service();
  EXPECT_EQ(web.rollout, RolloutState::kFailed);
  EXPECT_NE(web.rollout_reason.find("aborted by bob"), std::string::npos) << web.rollout_reason;
  EXPECT_EQ(web.revision, 1);  // the running version is the previous one
  for (const auto& inst : web.instances) EXPECT_EQ(inst.revision, 1) << inst.id;
  for (const auto& e : h.controller().events().Since(0, "web")) {
    EXPECT_NE(e.type, "instance.replaced") << "the canary's instance is stopped, not replaced";
  }
  // A person's abort, not cairn's own rollback.
  const ControllerMetrics& m = h.controller().counters();
  EXPECT_EQ(m.rollouts_finished.at({"web", "canary", "aborted"}), 1u);
  EXPECT_EQ(m.rollouts_finished.count({"web", "canary", "failed"}), 0u);
  auto head = h.controller().store().Head();
  ASSERT_TRUE(head.ok() && head->has_value());
  EXPECT_EQ((*head)->number, 2);  // the revision stays in history
}

TEST(ControllerProgressiveTest, RetryStartsAnAbortedRolloutAgain) {
  FakePublisher routes;
  ControllerHarness h(WithRoutes(&routes));
  StartCanary(h, routes);
  ASSERT_TRUE(h.controller().RolloutCommand("web", rollout::RolloutCommand::kAbort, "bob").ok());
  RunTicks(h, 6);
  ASSERT_EQ(h.Service().rollout, RolloutState::kFailed);
  auto retried = h.controller().RolloutCommand("web", rollout::RolloutCommand::kRetry, "bob");
  ASSERT_TRUE(retried.ok()) << retried.error().ToString();
  RunTicks(h, 5);
  ServiceInfo web = h.Service();
  ASSERT_TRUE(web.progressive.has_value());
  EXPECT_EQ(web.progressive->state.phase, rollout::RolloutPhase::kWaitingForPromote);
  EXPECT_EQ(routes.Weight("revision 2"), 5000u);
  // Nothing left to retry once it runs.
  EXPECT_FALSE(h.controller().RolloutCommand("web", rollout::RolloutCommand::kRetry, "bob").ok());
}

TEST(ControllerProgressiveTest, ARestartedServerResumesAtTheSameStepAndWeight) {
  FakePublisher routes;
  ControllerHarness h(WithRoutes(&routes));
  StartCanary(h, routes);
  h.RestartController();
  ASSERT_TRUE(h.Start().ok());
  size_t before = routes.tables.size();
  RunTicks(h, 4);
  for (size_t i = before; i < routes.tables.size(); ++i) {
    for (const auto& svc : routes.tables[i].services) {
      for (const auto& v : svc.versions) {
        if (v.version == "revision 2") {
          EXPECT_EQ(v.weight_bp, 5000u) << "table " << i;
        }
      }
    }
  }
  ServiceInfo web = h.Service();
  ASSERT_TRUE(web.progressive.has_value());
  EXPECT_EQ(web.progressive->state.phase, rollout::RolloutPhase::kWaitingForPromote);
  EXPECT_EQ(web.progressive->state.step, 1u);
  EXPECT_EQ(web.instances.size(), 3u);
}

TEST(ControllerProgressiveTest, ACanaryWhoseInstancesNeverBecomeHealthyIsAbortedAtItsDeadline) {
  FakePublisher routes;
  ControllerHarness h(WithRoutes(&routes));
  ASSERT_TRUE(h.Start().ok());
  const std::string strategy = kCanary + "        progress_deadline: 2s\n";
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 2, strategy)).ok());
  RunTicks(h, 5);
  h.driver().ExitAtOnce("/bin/true");
  ASSERT_TRUE(h.Apply(ServiceYaml("v2", 2, strategy, "/bin/true")).ok());
  for (int i = 0; i < 30; ++i) {
    h.Advance(Duration(100));
    h.Tick();
    EXPECT_EQ(routes.Weight("revision 2"), 0u) << "a crashing canary got traffic";
  }
  RunTicks(h, 4);
  ServiceInfo web = h.Service();
  EXPECT_EQ(web.rollout, RolloutState::kFailed);
  EXPECT_NE(web.rollout_reason.find("0 of 1 new instances healthy after 2s"), std::string::npos)
      << web.rollout_reason;
  EXPECT_EQ(web.revision, 1);
  for (const auto& inst : web.instances) EXPECT_EQ(inst.revision, 1) << inst.id;
  // cairn rolled it back on its own: failed, not aborted.
  const ControllerMetrics& m = h.controller().counters();
  EXPECT_EQ(m.rollouts_finished.at({"web", "canary", "failed"}), 1u);
  EXPECT_EQ(m.rollouts_finished.count({"web", "canary", "aborted"}), 0u);
}

TEST(ControllerProgressiveTest, CommandsWithoutARolloutAreNotFound) {
  FakePublisher routes;
  ControllerHarness h(WithRoutes(&routes));
  ASSERT_TRUE(h.Start().ok());
  auto r = h.controller().RolloutCommand("web", rollout::RolloutCommand::kAbort, "x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace cairn::control
