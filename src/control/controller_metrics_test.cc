// What the controller counts for /metrics, driven through the real controller with a fake
// driver and a fake clock (no timing: durations come from the fake clock's steps).
#include "control/controller_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "control/controller_harness_for_test.h"
#include "telemetry/prometheus_text.h"

namespace cairn::control {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ControllerMetricsTest, CountsStartsRestartsCrashLoopsAndStartLatency) {
  ControllerOptions options;
  options.restart.initial_backoff = Duration(1000);
  options.restart.crash_loop_after = 2;
  ControllerHarness h(options);
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1")).ok());  // starts the instance now
  h.Advance(Duration(300));
  h.Tick();  // seen running 300 ms after its start: healthy (no health check)
  const ControllerMetrics& m = h.controller().counters();
  EXPECT_EQ(m.revisions.at("apply"), 1u);
  EXPECT_EQ(m.instance_starts.at("web"), 1u);
  ASSERT_EQ(m.start_seconds.count("web"), 1u);
  EXPECT_EQ(m.start_seconds.at("web").count(), 1u);
  EXPECT_DOUBLE_EQ(m.start_seconds.at("web").sum(), 0.3);

  int pid = h.Service().instances.at(0).pid;
  h.driver().CrashOnNextInspect(pid);
  h.Tick();  // first short run
  EXPECT_EQ(m.crash_loops.count("web"), 0u);
  h.Advance(Duration(1000));
  h.Tick();  // restarted
  EXPECT_EQ(m.instance_restarts.at("web"), 1u);
  h.Tick();  // healthy again: a second start latency (0: seen at once)
  EXPECT_EQ(m.start_seconds.at("web").count(), 2u);

  h.driver().CrashOnNextInspect(h.Service().instances.at(0).pid);
  h.Tick();  // second short run in a row: a crash loop
  EXPECT_EQ(m.crash_loops.at("web"), 1u);
  h.Advance(Duration(2000));
  h.Tick();
  EXPECT_EQ(m.instance_restarts.at("web"), 2u);
  h.driver().CrashOnNextInspect(h.Service().instances.at(0).pid);
  h.Tick();  // still the same loop: not counted again
  EXPECT_EQ(m.crash_loops.at("web"), 1u);
  EXPECT_EQ(m.instance_starts.at("web"), 1u) << "restarts are not new instances";
}

TEST(ControllerMetricsTest, EveryTickIsTimed) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  uint64_t before = h.controller().counters().tick_seconds.count();
  h.Ticks(4);
  EXPECT_EQ(h.controller().counters().tick_seconds.count(), before + 4);
}

TEST(ControllerMetricsTest, ARollingReplaceIsStartedAndCompletedAndARollbackIsARevision) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 2)).ok());
  h.Ticks(3);
  const ControllerMetrics& m = h.controller().counters();
  EXPECT_TRUE(m.rollouts_started.empty()) << "a first version replaces nothing";
  ASSERT_TRUE(h.Apply(ServiceYaml("v2", 2)).ok());
  for (int i = 0; i < 20 && h.Service().rollout != RolloutState::kComplete; ++i) {
    h.Advance(Duration(300));
    h.Tick();
  }
  ASSERT_EQ(h.Service().rollout, RolloutState::kComplete);
  EXPECT_EQ(m.rollouts_started.at({"web", "rolling"}), 1u);
  EXPECT_EQ(m.rollouts_finished.at({"web", "rolling", "completed"}), 1u);
  ASSERT_TRUE(h.controller().Rollback(1, "ann", "", std::nullopt).ok());
  EXPECT_EQ(m.revisions.at("apply"), 2u);
  EXPECT_EQ(m.revisions.at("rollback"), 1u);
}

TEST(ControllerMetricsTest, ExportsInstancesByStateWithZerosAndTheHead) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 2)).ok());
  h.Tick();
  telemetry::MetricRegistry registry;
  AddControllerMetrics(h.controller().counters(), h.controller().Snapshot(), &registry);
  std::string text = telemetry::WritePrometheusText(registry);
  EXPECT_THAT(text, HasSubstr("# TYPE cairn_instances gauge\n"));
  EXPECT_THAT(text,
              HasSubstr("cairn_instances{service=\"web\",revision=\"1\",state=\"healthy\"} 2\n"));
  EXPECT_THAT(text,
              HasSubstr("cairn_instances{service=\"web\",revision=\"1\",state=\"crashed\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("cairn_service_desired_replicas{service=\"web\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("cairn_head_revision 1\n"));
  EXPECT_THAT(text,
              HasSubstr("cairn_service_rollout_state{service=\"web\",state=\"complete\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("cairn_instance_starts_total{service=\"web\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE cairn_reconcile_duration_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("cairn_reconcile_duration_seconds_count 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE cairn_rollout_verdicts_total counter\n"));
  EXPECT_THAT(text, Not(HasSubstr("cairn_rollouts_in_progress{")));
}

}  // namespace
}  // namespace cairn::control
