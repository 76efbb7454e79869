#include "control/rollout_from_spec.h"

#include <gtest/gtest.h>

namespace cairn::control {
namespace {

using std::chrono::milliseconds;

spec::AnalysisSpec Checks() {
  spec::AnalysisSpec a;
  a.interval = milliseconds(2000);
  a.success_rate = spec::ThresholdSpec{spec::Comparison::kGreaterOrEqual, 99.5};
  a.latency[99] = spec::LatencyThresholdSpec{spec::Comparison::kLessOrEqual, milliseconds(250)};
  a.baseline = spec::Baseline::kCompare;
  a.min_requests = 40;
  a.failure_limit = 1;
  a.count = 4;
  return a;
}

TEST(RolloutFromSpecTest, ACanaryMapsStepByStep) {
  spec::ServiceSpec svc;
  svc.name = "web";
  svc.replicas = 4;
  svc.strategy = spec::StrategyKind::kCanary;
  spec::CanaryStep w5{spec::CanaryStepKind::kWeight, 500, std::nullopt, {}};
  spec::CanaryStep timed{spec::CanaryStepKind::kPause, 0, milliseconds(30'000), {}};
  spec::CanaryStep manual{spec::CanaryStepKind::kPause, 0, std::nullopt, {}};
  spec::CanaryStep judged{spec::CanaryStepKind::kAnalysis, 0, std::nullopt, Checks()};
  svc.canary.steps = {w5, timed, judged, manual};
  svc.canary.analysis = Checks();
  svc.canary.cohort = {spec::CohortSource::kHeader, "x-user-id"};
  Result<RolloutSetup> setup = RolloutFromSpec(svc);
  ASSERT_TRUE(setup.ok()) << setup.error().ToString();
  const rollout::RolloutPlan& p = setup->plan;
  EXPECT_EQ(p.kind, rollout::StrategyKind::kCanary);
  EXPECT_EQ(p.replicas, 4);
  ASSERT_EQ(p.steps.size(), 4u);
  EXPECT_EQ(p.steps[0].weight_bp, 500u);
  EXPECT_EQ(p.steps[1].kind, rollout::CanaryStep::Kind::kPause);
  EXPECT_EQ(p.steps[1].pause, milliseconds(30'000));
  EXPECT_EQ(p.steps[2].kind, rollout::CanaryStep::Kind::kAnalysis);
  EXPECT_EQ(p.steps[3].kind, rollout::CanaryStep::Kind::kManualPause);
  EXPECT_TRUE(p.background_analysis);
  ASSERT_EQ(setup->analyses.steps.count(2), 1u);
  const AnalysisConfig& step = setup->analyses.steps.at(2);
  EXPECT_DOUBLE_EQ(*step.criteria.min_success_rate, 0.995);
  EXPECT_EQ(*step.criteria.max_p99, milliseconds(250));
  EXPECT_TRUE(step.criteria.compare_baseline);
  EXPECT_EQ(step.criteria.min_requests, 40u);
  EXPECT_EQ(step.limits.count, 4);
  EXPECT_EQ(step.limits.failure_limit, 1);
  EXPECT_EQ(step.interval, milliseconds(2000));
  EXPECT_EQ(setup->analyses.background->limits.count, 0);  // runs to the end
  EXPECT_EQ(setup->cohort.source, router::CohortSource::kHeader);
  EXPECT_EQ(setup->cohort.name, "x-user-id");
}

TEST(RolloutFromSpecTest, ABlueGreenMapsPreviewAutoPromoteAndItsAnalysis) {
  spec::ServiceSpec svc;
  svc.name = "web";
  svc.replicas = 2;
  svc.strategy = spec::StrategyKind::kBlueGreen;
  svc.blue_green.preview = {{"http", 8081}};
  svc.blue_green.auto_promote = {true, milliseconds(10'000)};
  svc.blue_green.analysis = Checks();
  svc.blue_green.scale_down_delay = milliseconds(60'000);
  Result<RolloutSetup> setup = RolloutFromSpec(svc);
  ASSERT_TRUE(setup.ok());
  EXPECT_EQ(setup->plan.kind, rollout::StrategyKind::kBlueGreen);
  EXPECT_TRUE(setup->plan.preview);
  EXPECT_EQ(setup->preview_ports.at("http"), 8081);
  EXPECT_EQ(setup->plan.auto_promote, rollout::AutoPromote::kAfterDelay);
  EXPECT_EQ(setup->plan.auto_promote_delay, milliseconds(10'000));
  EXPECT_EQ(setup->plan.scale_down_delay, milliseconds(60'000));
  EXPECT_TRUE(setup->plan.prepromotion_analysis);
  EXPECT_EQ(setup->analyses.prepromotion->limits.count, 4);
  svc.blue_green.auto_promote = {true, milliseconds(0)};
  EXPECT_EQ(RolloutFromSpec(svc)->plan.auto_promote, rollout::AutoPromote::kImmediate);
  svc.blue_green.auto_promote = {};
  EXPECT_EQ(RolloutFromSpec(svc)->plan.auto_promote, rollout::AutoPromote::kManual);
}

TEST(RolloutFromSpecTest, PrometheusChecksBecomeMetricChecksWithTheirQueries) {
  spec::ServiceSpec svc;
  svc.name = "web";
  svc.strategy = spec::StrategyKind::kBlueGreen;
  spec::AnalysisSpec a = Checks();
  a.prometheus.push_back({"db_errors",
                          "http://127.0.0.1:9090",
                          "sum(errors{revision=\"{{revision}}\"}) / {{stable_revision}}",
                          {spec::Comparison::kLess, 0.5}});
  svc.blue_green.analysis = a;
  Result<RolloutSetup> setup = RolloutFromSpec(svc);
  ASSERT_TRUE(setup.ok()) << setup.error().message;
  const AnalysisConfig& config = *setup->analyses.prepromotion;
  ASSERT_EQ(config.criteria.metrics.size(), 1u);
  EXPECT_EQ(config.criteria.metrics[0].name, "db_errors");
  EXPECT_EQ(config.criteria.metrics[0].comparison, rollout::Comparison::kLess);
  EXPECT_EQ(config.criteria.metrics[0].limit, 0.5);
  ASSERT_EQ(config.queries.size(), 1u);
  EXPECT_EQ(config.queries[0].address, "http://127.0.0.1:9090");
  ExpandQueries({"web", 8, 7}, &setup->analyses);
  EXPECT_EQ(setup->analyses.prepromotion->queries[0].query, "sum(errors{revision=\"8\"}) / 7");
}

TEST(RolloutFromSpecTest, AnHttpsPrometheusIsRefusedNamingItsField) {
  spec::ServiceSpec svc;
  svc.name = "web";
  svc.strategy = spec::StrategyKind::kBlueGreen;
  spec::AnalysisSpec a = Checks();
  a.prometheus.push_back({"db_errors", "https://prom:9090", "sum(x)", {}});
  svc.blue_green.analysis = a;
  Result<RolloutSetup> setup = RolloutFromSpec(svc);
  ASSERT_FALSE(setup.ok());
  EXPECT_EQ(setup.error().context,
            "services.web.strategy.blue_green.analysis.prometheus[0].address");
}

}  // namespace
}  // namespace cairn::control
