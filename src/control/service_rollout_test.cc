#include "control/service_rollout.h"

#include <gtest/gtest.h>

#include <chrono>

#include "control/route_builder.h"

namespace cairn::control {
namespace {

using rollout::CanaryStep;
using router::StatusClass;
using std::chrono::microseconds;
using std::chrono::milliseconds;

// Adds `n` requests to an instance's cumulative counters, `failed` of them 5xx.
void Serve(router::RouterStats* stats, const std::string& version, const std::string& instance,
           int n, int failed, microseconds latency) {
  router::BackendStats& b = stats->backends[{"web", version, instance}];
  for (int i = 0; i < n; ++i) {
    ++b.requests[static_cast<int>(i < failed ? StatusClass::k5xx : StatusClass::k2xx)];
    b.latency.Record(latency);
  }
}

rollout::RolloutPlan CanaryPlan() {
  rollout::RolloutPlan plan;
  plan.kind = rollout::StrategyKind::kCanary;
  plan.replicas = 4;
  plan.steps = {{CanaryStep::Kind::kWeight, 2000, milliseconds(0)},
                {CanaryStep::Kind::kAnalysis, 0, milliseconds(0)}};
  return plan;
}

AnalysisConfigs Analysis() {
  AnalysisConfig a;
  a.criteria.min_success_rate = 0.99;
  a.criteria.min_requests = 100;
  a.limits.count = 2;
  a.interval = milliseconds(1000);
  AnalysisConfigs configs;
  configs.steps[1] = a;  // the judged step
  return configs;
}

bool Has(const rollout::RolloutDecision& d, const std::string& type) {
  for (const auto& e : d.events) {
    if (e.type == type) return true;
  }
  return false;
}

// Drives a rollout of revision 2 over revision 1, one second of traffic per tick.
struct Drive {
  explicit Drive(ServiceRollout r) : rollout(std::move(r)) {}
  rollout::RolloutDecision Second(int canary_failed_per_200) {
    Serve(&stats, "revision 2", "web-new", 200, canary_failed_per_200, microseconds(2000));
    Serve(&stats, "revision 1", "web-old", 800, 0, microseconds(2000));
    now += 1000;
    return rollout.Tick(stats, 1, now);
  }
  ServiceRollout rollout;
  router::RouterStats stats;
  int64_t now = 1'700'000'000'000;
};

TEST(ServiceRolloutTest, ACanaryFailingFivePercentIsRolledBackByItsJudgedStep) {
  Drive run(ServiceRollout::Start("web", 2, CanaryPlan(), Analysis(), 1'700'000'000'000));
  rollout::RolloutDecision d = run.rollout.Tick(run.stats, 1, run.now);
  ASSERT_EQ(d.targets.new_weight_bp, 2000u);
  ASSERT_TRUE(d.targets.step_analysis);
  bool aborted = false;
  for (int i = 0; i < 5 && !aborted; ++i) {
    d = run.Second(10);  // 5 % failures
    aborted = run.rollout.state().phase == rollout::RolloutPhase::kAborted;
  }
  ASSERT_TRUE(aborted);
  EXPECT_TRUE(Has(d, "rollout.verdict"));
  std::vector<rollout::Verdict> verdicts = run.rollout.TakeVerdicts();
  ASSERT_FALSE(verdicts.empty());
  EXPECT_EQ(verdicts.back(), rollout::Verdict::kFail);
  EXPECT_TRUE(Has(d, "rollout.aborted"));
  EXPECT_EQ(d.targets.new_weight_bp, 0u);
  EXPECT_EQ(d.targets.new_replicas, 0);
  EXPECT_NE(run.rollout.state().abort_reason.find("success rate 95"), std::string::npos)
      << run.rollout.state().abort_reason;
}

TEST(ServiceRolloutTest, AGoodCanaryPassesItsJudgedStepAndIsPromoted) {
  Drive run(ServiceRollout::Start("web", 2, CanaryPlan(), Analysis(), 1'700'000'000'000));
  run.rollout.Tick(run.stats, 1, run.now);
  for (int i = 0; i < 6 && run.rollout.state().step < 2; ++i) run.Second(0);
  EXPECT_EQ(run.rollout.step_run().passed, 2);
  // Each judged interval is handed to the controller once, for /metrics.
  EXPECT_EQ(run.rollout.TakeVerdicts(),
            (std::vector<rollout::Verdict>{rollout::Verdict::kPass, rollout::Verdict::kPass}));
  EXPECT_TRUE(run.rollout.TakeVerdicts().empty());
  ASSERT_EQ(run.rollout.state().step, 2u);  // the full promotion
  rollout::RolloutDecision d = run.rollout.Tick(run.stats, 4, run.now + 1);
  EXPECT_EQ(run.rollout.state().phase, rollout::RolloutPhase::kCompleted);
  EXPECT_EQ(d.targets.new_weight_bp, 10000u);
}

TEST(ServiceRolloutTest, ARestoredRolloutKeepsItsStepWeightAndVerdictCounts) {
  Drive run(ServiceRollout::Start("web", 2, CanaryPlan(), Analysis(), 1'700'000'000'000));
  run.rollout.Tick(run.stats, 1, run.now);
  run.Second(0);
  run.Second(0);  // one passed interval
  ASSERT_EQ(run.rollout.step_run().passed, 1);
  nlohmann::json record = run.rollout.Record();

  ServiceRollout restored("web", 2, CanaryPlan(), Analysis(), rollout::RolloutState{});
  ASSERT_TRUE(restored.Restore(record).ok());
  EXPECT_EQ(restored.state().step, 1u);
  EXPECT_EQ(restored.state().weight_bp, 2000u);
  EXPECT_EQ(restored.step_run().passed, 1);
  // The first tick after the restart changes no traffic.
  EXPECT_EQ(restored.Tick(run.stats, 0, run.now + 10).targets.new_weight_bp, 2000u);

  ServiceRollout other("web", 3, CanaryPlan(), Analysis(), rollout::RolloutState{});
  EXPECT_FALSE(other.Restore(record).ok());  // a record of another revision
}

TEST(ServiceRolloutTest, EachJudgedIntervalIsRecordedWithBothSidesAndItsThresholds) {
  Drive run(ServiceRollout::Start("web", 2, CanaryPlan(), Analysis(), 1'700'000'000'000));
  run.rollout.Tick(run.stats, 1, run.now);  // the weight step is done at once: step 2 judges
  run.Second(0);                            // and starts measuring
  ASSERT_NE(run.rollout.ActiveStepAnalysis(), nullptr);
  EXPECT_EQ(run.rollout.ActiveStepAnalysis()->criteria.min_success_rate, 0.99);
  EXPECT_EQ(run.rollout.ActiveBackgroundAnalysis(), nullptr);
  EXPECT_TRUE(run.rollout.intervals().records().empty());
  run.Second(1);
  ASSERT_EQ(run.rollout.intervals().records().size(), 1u);
  const rollout::IntervalRecord& first = run.rollout.intervals().records().front();
  EXPECT_EQ(first.number, 1u);
  EXPECT_EQ(first.at_ms, run.now);
  EXPECT_EQ(first.step, 1u);
  ASSERT_TRUE(first.canary && first.baseline);
  EXPECT_EQ(first.canary->requests, 200u);
  EXPECT_EQ(first.canary->failures, 1u);
  EXPECT_EQ(first.baseline->requests, 800u) << "measured though the analysis does not compare";
  ASSERT_EQ(first.judgements.size(), 1u);
  EXPECT_EQ(first.judgements[0].analysis, "step analysis");
  EXPECT_EQ(first.judgements[0].verdict, rollout::Verdict::kPass);
  EXPECT_EQ(first.judgements[0].min_success_rate, 0.99);
  EXPECT_FALSE(first.judgements[0].max_p99.has_value());

  for (int i = 0; i < 4 && run.rollout.state().step < 2; ++i) run.Second(0);
  EXPECT_EQ(run.rollout.intervals().records().size(), 2u) << "one record per judged interval";
  EXPECT_EQ(run.rollout.ActiveStepAnalysis(), nullptr) << "the step passed";
}

TEST(ServiceRolloutTest, OneIntervalJudgedByTwoAnalysesIsOneRecordWithTwoVerdicts) {
  rollout::RolloutPlan plan = CanaryPlan();
  plan.background_analysis = true;
  AnalysisConfigs configs = Analysis();
  AnalysisConfig background;
  background.criteria.min_success_rate = 0.9;
  background.criteria.min_requests = 100;
  background.interval = milliseconds(1000);
  configs.background = background;
  Drive run(ServiceRollout::Start("web", 2, plan, configs, 1'700'000'000'000));
  run.rollout.Tick(run.stats, 1, run.now);
  for (int i = 0; i < 6 && run.rollout.intervals().records().empty(); ++i) run.Second(0);
  ASSERT_EQ(run.rollout.intervals().records().size(), 1u);
  const auto& judgements = run.rollout.intervals().records().front().judgements;
  ASSERT_EQ(judgements.size(), 2u);
  EXPECT_EQ(judgements[0].analysis, "step analysis");
  EXPECT_EQ(judgements[1].analysis, "background analysis");
  EXPECT_EQ(judgements[1].min_success_rate, 0.9);
}

TEST(ServiceRolloutTest, ABlueGreenRecordsItsPrePromotionIntervalsFromPreviewTraffic) {
  rollout::RolloutPlan plan;
  plan.kind = rollout::StrategyKind::kBlueGreen;
  plan.replicas = 2;
  plan.preview = true;
  plan.prepromotion_analysis = true;
  AnalysisConfigs configs;
  configs.prepromotion = Analysis().steps.at(1);
  ServiceRollout bg = ServiceRollout::Start("web", 2, plan, configs, 1'700'000'000'000);
  router::RouterStats stats;
  int64_t now = 1'700'000'000'000;
  for (int i = 0; i < 6 && bg.intervals().records().empty(); ++i) {
    // Before the switch the new version serves only its preview listener.
    router::BackendStats& preview =
        stats.backends[{PreviewServiceName("web"), "revision 2", "web-new"}];
    for (int n = 0; n < 150; ++n) {
      ++preview.requests[static_cast<int>(StatusClass::k2xx)];
      preview.latency.Record(microseconds(2000));
    }
    Serve(&stats, "revision 1", "web-old", 800, 0, microseconds(2000));
    bg.Tick(stats, 2, now);
    now += 1000;
  }
  ASSERT_EQ(bg.intervals().records().size(), 1u);
  const rollout::IntervalRecord& r = bg.intervals().records().front();
  ASSERT_TRUE(r.canary && r.baseline);
  EXPECT_EQ(r.canary->requests, 150u) << "the preview traffic is the new version's";
  EXPECT_EQ(r.baseline->requests, 800u);
  ASSERT_EQ(r.judgements.size(), 1u);
  EXPECT_EQ(r.judgements[0].analysis, "pre-promotion analysis");
  ASSERT_NE(bg.ActiveStepAnalysis(), nullptr);
  EXPECT_EQ(bg.ActiveStepAnalysis()->criteria.min_success_rate, 0.99);
}

TEST(ServiceRolloutTest, ARestoredRolloutKeepsItsIntervalsAndAnOlderRecordHasNone) {
  Drive run(ServiceRollout::Start("web", 2, CanaryPlan(), Analysis(), 1'700'000'000'000));
  run.rollout.Tick(run.stats, 1, run.now);
  run.Second(0);
  run.Second(0);
  ASSERT_EQ(run.rollout.intervals().records().size(), 1u);
  nlohmann::json record = run.rollout.Record();

  ServiceRollout restored("web", 2, CanaryPlan(), Analysis(), rollout::RolloutState{});
  ASSERT_TRUE(restored.Restore(record).ok());
  ASSERT_EQ(restored.intervals().records().size(), 1u);
  EXPECT_EQ(restored.intervals().records().front(), run.rollout.intervals().records().front());

  // A record from before intervals were kept, and one whose intervals do not parse, still
  // restore the rollout: the history is only what the dashboard shows.
  for (const nlohmann::json& intervals : {nlohmann::json(), nlohmann::json("garbage")}) {
    nlohmann::json older = record;
    if (intervals.is_null()) {
      older.erase("intervals");
    } else {
      older["intervals"] = intervals;
    }
    ServiceRollout again("web", 2, CanaryPlan(), Analysis(), rollout::RolloutState{});
    ASSERT_TRUE(again.Restore(older).ok()) << older.dump();
    EXPECT_EQ(again.step_run().passed, 1);
    EXPECT_TRUE(again.intervals().records().empty());
  }
}

TEST(ServiceRolloutTest, ACanaryThreeTimesSlowerIsRolledBackByTheBaselineComparison) {
  rollout::RolloutPlan plan = CanaryPlan();
  plan.steps = {{CanaryStep::Kind::kWeight, 2000, milliseconds(0)},
                {CanaryStep::Kind::kManualPause, 0, milliseconds(0)}};
  plan.background_analysis = true;
  AnalysisConfigs configs;
  AnalysisConfig background;
  background.criteria.max_p99 = milliseconds(10'000);  // loose: only the comparison can fail
  background.criteria.compare_baseline = true;
  background.interval = milliseconds(1000);
  configs.background = background;
  Drive run(ServiceRollout::Start("web", 2, plan, configs, 1'700'000'000'000));
  run.rollout.Tick(run.stats, 1, run.now);
  for (int i = 0; i < 4 && run.rollout.state().phase != rollout::RolloutPhase::kAborted; ++i) {
    Serve(&run.stats, "revision 2", "web-new", 200, 0, microseconds(6000 + 40 * i));
    Serve(&run.stats, "revision 1", "web-old", 800, 0, microseconds(2000 + 10 * i));
    run.now += 1000;
    run.rollout.Tick(run.stats, 1, run.now);
  }
  EXPECT_EQ(run.rollout.state().phase, rollout::RolloutPhase::kAborted);
  EXPECT_NE(run.rollout.state().abort_reason.find("slower than baseline"), std::string::npos)
      << run.rollout.state().abort_reason;
}

TEST(ServiceRolloutTest, APersonsCommandAppliesAtOnceOrSaysWhy) {
  Drive run(ServiceRollout::Start("web", 2, CanaryPlan(), Analysis(), 1'700'000'000'000));
  run.rollout.Tick(run.stats, 1, run.now);
  rollout::RolloutDecision d =
      run.rollout.Command(rollout::RolloutCommand::kAbort, "alice", run.stats, 1, run.now);
  EXPECT_TRUE(d.command_error.empty());
  EXPECT_EQ(d.targets.new_weight_bp, 0u);
  d = run.rollout.Command(rollout::RolloutCommand::kUndo, "alice", run.stats, 1, run.now);
  EXPECT_FALSE(d.command_error.empty());
}

}  // namespace
}  // namespace cairn::control

namespace cairn::control {
namespace {

// A judged step of one Prometheus check: "db_errors <= 0.1".
AnalysisConfigs MetricAnalysis() {
  AnalysisConfig a;
  a.criteria.metrics.push_back({"db_errors", rollout::Comparison::kLessOrEqual, 0.1});
  a.queries.push_back({"db_errors", "http://127.0.0.1:9090", "sum(db_errors)"});
  a.limits.count = 2;
  a.interval = milliseconds(1000);
  AnalysisConfigs configs;
  configs.steps[1] = a;
  return configs;
}

TEST(ServiceRolloutTest, AMetricVerdictWaitsForItsQueryAndPassesOnItsNumber) {
  Drive run(ServiceRollout::Start("web", 2, CanaryPlan(), MetricAnalysis(), 1'700'000'000'000));
  run.rollout.Tick(run.stats, 1, run.now);  // the weight step
  run.Second(0);                            // the judged step starts its first interval
  EXPECT_TRUE(run.rollout.TakeQueries().empty());
  run.Second(0);  // the interval ends: its query goes out, the verdict waits
  std::vector<PendingQuery> queries = run.rollout.TakeQueries();
  ASSERT_EQ(queries.size(), 1u);
  EXPECT_EQ(queries[0].request.query, "sum(db_errors)");
  EXPECT_EQ(queries[0].request.timeout, milliseconds(1000));  // within the interval
  EXPECT_TRUE(run.rollout.TakeQueries().empty());             // taken once
  run.now += 100;
  rollout::RolloutDecision d = run.rollout.Tick(run.stats, 1, run.now);
  EXPECT_FALSE(Has(d, "rollout.verdict"));
  EXPECT_EQ(run.rollout.step_run().passed, 0);

  run.rollout.SupplyReading(queries[0].batch, false, {"db_errors", 0.02, ""});
  run.now += 100;
  d = run.rollout.Tick(run.stats, 1, run.now);
  ASSERT_TRUE(Has(d, "rollout.verdict"));
  EXPECT_EQ(run.rollout.step_run().passed, 1);
  EXPECT_EQ(d.events[0].message,
            "step analysis: pass: db_errors = 0.02 (<= 0.1) (1 passed, 0 failed, 0 inconclusive)");
}

TEST(ServiceRolloutTest, AMetricOutsideItsConditionRollsTheCanaryBack) {
  Drive run(ServiceRollout::Start("web", 2, CanaryPlan(), MetricAnalysis(), 1'700'000'000'000));
  run.rollout.Tick(run.stats, 1, run.now);
  run.Second(0);
  run.Second(0);
  std::vector<PendingQuery> queries = run.rollout.TakeQueries();
  ASSERT_EQ(queries.size(), 1u);
  run.rollout.SupplyReading(queries[0].batch, false, {"db_errors", 0.4, ""});
  run.now += 100;
  rollout::RolloutDecision d = run.rollout.Tick(run.stats, 1, run.now);
  EXPECT_EQ(run.rollout.state().phase, rollout::RolloutPhase::kAborted);
  EXPECT_EQ(d.targets.new_weight_bp, 0u);
  EXPECT_NE(run.rollout.state().abort_reason.find("db_errors = 0.4, not <= 0.1"), std::string::npos)
      << run.rollout.state().abort_reason;
}

TEST(ServiceRolloutTest, AnUnansweredQueryIsInconclusiveOnceItsTimeIsUp) {
  Drive run(ServiceRollout::Start("web", 2, CanaryPlan(), MetricAnalysis(), 1'700'000'000'000));
  run.rollout.Tick(run.stats, 1, run.now);
  run.Second(0);
  run.Second(0);
  std::vector<PendingQuery> queries = run.rollout.TakeQueries();
  ASSERT_EQ(queries.size(), 1u);
  run.now += 1500;  // still within timeout + grace
  EXPECT_FALSE(Has(run.rollout.Tick(run.stats, 1, run.now), "rollout.verdict"));
  run.now += 600;
  rollout::RolloutDecision d = run.rollout.Tick(run.stats, 1, run.now);
  ASSERT_TRUE(Has(d, "rollout.verdict"));
  EXPECT_EQ(run.rollout.step_run().inconclusive, 1);
  EXPECT_EQ(run.rollout.TakeVerdicts(),
            (std::vector<rollout::Verdict>{rollout::Verdict::kInconclusive}));
  // A late answer for that interval changes nothing.
  run.rollout.SupplyReading(queries[0].batch, false, {"db_errors", 0.9, ""});
  EXPECT_EQ(run.rollout.step_run().failed, 0);
}

}  // namespace
}  // namespace cairn::control
