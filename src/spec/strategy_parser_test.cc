// strategy: rolling, canary and blue_green as the environment file writes them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "spec/spec.h"

namespace cairn::spec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// A service `web` with an http port 8080 and a tcp port 9000; `strategy` follows at 4 spaces.
constexpr const char* kHead =
    "environment: demo\n"
    "services:\n"
    "  web:\n"
    "    command: run\n"
    "    ports: { http: { listen: 8080 }, raw: { listen: 9000, protocol: tcp } }\n"
    "    strategy:\n";  // line 6; the strategy's own lines start at 7

std::vector<std::string> Errors(const std::string& yaml) {
  ParseOutcome outcome = ParseSpec(yaml, "");
  EXPECT_FALSE(outcome.spec.has_value());
  std::vector<std::string> out;
  for (const SpecError& e : outcome.errors) {
    out.push_back(std::to_string(e.line) + ":" + std::to_string(e.col) + ": " + e.path + ": " +
                  e.message);
  }
  return out;
}

ServiceSpec Web(const std::string& yaml) {
  ParseOutcome outcome = ParseSpec(yaml, "test.yaml");
  EXPECT_TRUE(outcome.errors.empty()) << ErrorsToError(outcome.errors).message;
  if (!outcome.spec) return ServiceSpec{};
  return outcome.spec->services.at("web");
}

std::string With(const std::string& strategy) { return std::string(kHead) + strategy; }

// ---- Accepted forms ----

TEST(StrategyParserTest, NoStrategyIsRollingWithDefaults) {
  ServiceSpec web = Web("environment: demo\nservices:\n  web:\n    command: run\n");
  EXPECT_EQ(web.strategy, StrategyKind::kRolling);
  EXPECT_EQ(web.canary, CanarySpec{});
  EXPECT_EQ(web.blue_green, BlueGreenSpec{});
  EXPECT_EQ(Web(With("      {}\n")).strategy, StrategyKind::kRolling);
}

TEST(StrategyParserTest, CanaryEveryFieldAndStepForm) {
  ServiceSpec web =
      Web(With("      canary:\n"
               "        steps:\n"
               "          - weight: 5\n"
               "          - pause: 30s\n"
               "          - weight: 0.5\n"
               "          - pause: { duration: 1m }\n"
               "          - weight: \"25%\"\n"
               "          - analysis: { count: 5, latency_p99: \"<= 100ms\" }\n"
               "          - weight: 100\n"
               "          - pause: {}\n"
               "        cohort: header:X-User-Id\n"
               "        replicas: 2\n"
               "        progress_deadline: 2m\n"
               "        analysis:\n"
               "          interval: 10s\n"
               "          success_rate: \">= 99.5%\"\n"
               "          latency_p99: \"<= 250ms\"\n"
               "          latency_p50: \"< 20ms\"\n"
               "          baseline: compare\n"
               "          min_requests: 20\n"
               "          failure_limit: 2\n"
               "          inconclusive_limit: 4\n"
               "          count: 2\n"
               "          prometheus:\n"
               "            - name: db_errors\n"
               "              query: 'sum(rate(db_errors_total[1m]))'\n"
               "              condition: \"<= 0.5\"\n"
               "            - name: queue\n"
               "              address: http://prom.internal:9443/prom\n"
               "              query: max(queue_depth)\n"
               "              condition: \"> -3\"\n"));
  ASSERT_EQ(web.strategy, StrategyKind::kCanary);
  const CanarySpec& canary = web.canary;
  ASSERT_EQ(canary.steps.size(), 8u);
  EXPECT_EQ(canary.steps[0].kind, CanaryStepKind::kWeight);
  EXPECT_EQ(canary.steps[0].weight_bp, 500);
  EXPECT_EQ(canary.steps[1].kind, CanaryStepKind::kPause);
  EXPECT_EQ(canary.steps[1].pause, std::optional<Duration>(30s));
  EXPECT_EQ(canary.steps[2].weight_bp, 50);
  EXPECT_EQ(canary.steps[3].pause, std::optional<Duration>(1min));
  EXPECT_EQ(canary.steps[4].weight_bp, 2500);
  EXPECT_EQ(canary.steps[6].weight_bp, 10000);
  EXPECT_EQ(canary.steps[7].kind, CanaryStepKind::kPause);
  EXPECT_EQ(canary.steps[7].pause, std::nullopt);
  EXPECT_EQ(canary.cohort, (CohortSpec{CohortSource::kHeader, "x-user-id"}));
  EXPECT_EQ(canary.replicas, 2);
  EXPECT_EQ(canary.progress_deadline, 2min);

  ASSERT_TRUE(canary.analysis.has_value());
  const AnalysisSpec& analysis = *canary.analysis;
  EXPECT_EQ(analysis.interval, 10s);
  EXPECT_EQ(analysis.success_rate, (ThresholdSpec{Comparison::kGreaterOrEqual, 99.5}));
  EXPECT_EQ(analysis.latency.at(99), (LatencyThresholdSpec{Comparison::kLessOrEqual, 250ms}));
  EXPECT_EQ(analysis.latency.at(50), (LatencyThresholdSpec{Comparison::kLess, 20ms}));
  EXPECT_EQ(analysis.baseline, Baseline::kCompare);
  EXPECT_EQ(analysis.min_requests, 20);
  EXPECT_EQ(analysis.failure_limit, 2);
  EXPECT_EQ(analysis.inconclusive_limit, 4);
  EXPECT_EQ(analysis.count, 2);
  ASSERT_EQ(analysis.prometheus.size(), 2u);
  EXPECT_EQ(analysis.prometheus[0].name, "db_errors");
  EXPECT_EQ(analysis.prometheus[0].address, "http://127.0.0.1:9090");  // the default
  EXPECT_EQ(analysis.prometheus[0].query, "sum(rate(db_errors_total[1m]))");
  EXPECT_EQ(analysis.prometheus[0].condition, (ThresholdSpec{Comparison::kLessOrEqual, 0.5}));
  EXPECT_EQ(analysis.prometheus[1].address, "http://prom.internal:9443/prom");
  EXPECT_EQ(analysis.prometheus[1].condition, (ThresholdSpec{Comparison::kGreater, -3}));

  // The judged step is the background analysis with its two overrides applied.
  const CanaryStep& judged = canary.steps[5];
  EXPECT_EQ(judged.kind, CanaryStepKind::kAnalysis);
  AnalysisSpec expected = analysis;
  expected.count = 5;
  expected.latency[99] = {Comparison::kLessOrEqual, 100ms};
  EXPECT_EQ(judged.analysis, expected);
}

TEST(StrategyParserTest, AnalysisDefaults) {
  ServiceSpec web =
      Web(With("      canary:\n"
               "        steps: [{weight: 10}]\n"
               "        analysis: { success_rate: \"> 99%\" }\n"));
  const AnalysisSpec& analysis = *web.canary.analysis;
  EXPECT_EQ(analysis.interval, 5s);
  EXPECT_EQ(analysis.success_rate, (ThresholdSpec{Comparison::kGreater, 99}));
  EXPECT_TRUE(analysis.latency.empty());
  EXPECT_EQ(analysis.baseline, Baseline::kNone);
  EXPECT_EQ(analysis.min_requests, 50);
  EXPECT_EQ(analysis.failure_limit, 0);
  EXPECT_EQ(analysis.inconclusive_limit, 3);
  EXPECT_EQ(analysis.count, 3);
  EXPECT_TRUE(analysis.prometheus.empty());
  EXPECT_EQ(web.canary.cohort.source, CohortSource::kNone);
  EXPECT_EQ(web.canary.replicas, std::nullopt);
  EXPECT_EQ(web.canary.progress_deadline, 5min);
}

TEST(StrategyParserTest, DecreasingWeightsAndAJudgedStepWithItsOwnChecksAreAllowed) {
  ServiceSpec web = Web(
      With("      canary:\n"
           "        steps: [{weight: 50}, {analysis: {success_rate: \">= 99%\"}}, {weight: 10}]\n"
           "        cohort: cookie:Session_ID\n"));
  ASSERT_EQ(web.canary.steps.size(), 3u);
  EXPECT_EQ(web.canary.steps[2].weight_bp, 1000);
  EXPECT_FALSE(web.canary.analysis.has_value());
  EXPECT_EQ(web.canary.steps[1].analysis.count, 3);
  // Cookie names are case-sensitive: kept as written.
  EXPECT_EQ(web.canary.cohort, (CohortSpec{CohortSource::kCookie, "Session_ID"}));
}

TEST(StrategyParserTest, BlueGreenEveryField) {
  ServiceSpec web =
      Web(With("      blue_green:\n"
               "        preview: { http: 8081 }\n"
               "        auto_promote: true\n"
               "        analysis: { success_rate: \">= 99%\", count: 6 }\n"
               "        scale_down_delay: 1m\n"
               "        progress_deadline: 3m\n"));
  ASSERT_EQ(web.strategy, StrategyKind::kBlueGreen);
  const BlueGreenSpec& blue_green = web.blue_green;
  EXPECT_EQ(blue_green.preview, (std::map<std::string, int>{{"http", 8081}}));
  EXPECT_EQ(blue_green.auto_promote, (AutoPromoteSpec{true, 0s}));
  ASSERT_TRUE(blue_green.analysis.has_value());
  EXPECT_EQ(blue_green.analysis->count, 6);
  EXPECT_EQ(blue_green.scale_down_delay, 1min);
  EXPECT_EQ(blue_green.progress_deadline, 3min);
}

TEST(StrategyParserTest, BlueGreenDefaultsAndAutoPromoteForms) {
  ServiceSpec web = Web(With("      blue_green: {}\n"));
  EXPECT_EQ(web.strategy, StrategyKind::kBlueGreen);
  EXPECT_TRUE(web.blue_green.preview.empty());
  EXPECT_EQ(web.blue_green.auto_promote, (AutoPromoteSpec{false, 0s}));
  EXPECT_FALSE(web.blue_green.analysis.has_value());
  EXPECT_EQ(web.blue_green.scale_down_delay, 30s);
  EXPECT_EQ(web.blue_green.progress_deadline, 5min);
  EXPECT_EQ(Web(With("      blue_green: { auto_promote: 10m }\n")).blue_green.auto_promote,
            (AutoPromoteSpec{true, 10min}));
  EXPECT_EQ(Web(With("      blue_green: { auto_promote: false }\n")).blue_green.auto_promote,
            (AutoPromoteSpec{false, 0s}));
  // A TCP-only service can switch: the router swaps TCP listeners too.
  ServiceSpec tcp =
      Web("environment: demo\nservices:\n  web:\n    command: run\n"
          "    ports: { raw: { listen: 9000, protocol: tcp } }\n"
          "    strategy: { blue_green: { scale_down_delay: 0 } }\n");
  EXPECT_EQ(tcp.blue_green.scale_down_delay, 0s);
}

TEST(StrategyParserTest, BlueGreenPrometheusOnlyAnalysisNeedsNoPreview) {
  ServiceSpec web = Web(
      With("      blue_green:\n"
           "        analysis:\n"
           "          prometheus: [{name: jobs, query: 'sum(jobs_failed)', condition: '< 1'}]\n"));
  EXPECT_EQ(web.blue_green.analysis->prometheus.size(), 1u);
}

TEST(StrategyParserTest, StrategyMayComeBeforePorts) {
  ServiceSpec web =
      Web("environment: demo\nservices:\n  web:\n    command: run\n"
          "    strategy: { blue_green: { preview: { http: 8081 } } }\n"
          "    ports: { http: { listen: 8080 } }\n");
  EXPECT_EQ(web.blue_green.preview.at("http"), 8081);
}

// ---- Refusals ----

TEST(StrategyParserTest, OnlyOneStrategy) {
  EXPECT_THAT(Errors(With("      canary: { steps: [{weight: 5}] }\n"
                          "      blue_green: {}\n"
                          "      rolling: {}\n")),
              ElementsAre("8:7: services.web.strategy.blue_green: only one strategy may be set, "
                          "found both canary and blue_green (the others: rolling, canary, "
                          "blue_green)",
                          "9:7: services.web.strategy.rolling: only one strategy may be set, found "
                          "both canary and rolling (the others: rolling, canary, blue_green)"));
}

TEST(StrategyParserTest, UnknownStrategySuggestsTheClosest) {
  EXPECT_THAT(Errors(With("      canery: {}\n")),
              ElementsAre("7:7: services.web.strategy.canery: unknown strategy \"canery\" in "
                          "services.web.strategy; allowed: rolling, canary, blue_green; did you "
                          "mean \"canary\"?"));
}

TEST(StrategyParserTest, CanaryStepsAreRequiredAndNonEmpty) {
  EXPECT_THAT(Errors(With("      canary: { cohort: header:x }\n")),
              ElementsAre("7:7: services.web.strategy.canary.steps: required field is missing: "
                          "the steps, such as [{weight: 10}, {pause: 1m}, {weight: 50}, "
                          "{pause: {}}]"));
  EXPECT_THAT(Errors(With("      canary: { steps: [] }\n")),
              ElementsAre("7:24: services.web.strategy.canary.steps: must not be empty: give at "
                          "least one weight step, such as [{weight: 10}]"));
  EXPECT_THAT(Errors(With("      canary: { steps: {weight: 5} }\n")),
              ElementsAre("7:24: services.web.strategy.canary.steps: expected a list of steps "
                          "(weight, pause or analysis), found a mapping"));
}

TEST(StrategyParserTest, StepIsExactlyOneKnownKind) {
  EXPECT_THAT(
      Errors(With("      canary:\n"
                  "        steps:\n"
                  "          - weight: 5\n"
                  "            pause: 30s\n"
                  "          - wieght: 10\n"
                  "          - {}\n"
                  "          - 20\n")),
      ElementsAre("10:13: services.web.strategy.canary.steps[0].pause: a step is exactly one of "
                  "weight, pause or analysis, found both weight and pause; write them as two "
                  "steps",
                  "11:13: services.web.strategy.canary.steps[1].wieght: unknown step \"wieght\" "
                  "in services.web.strategy.canary.steps[1]; allowed: weight, pause, analysis; "
                  "did you mean \"weight\"?",
                  "12:13: services.web.strategy.canary.steps[2]: expected a step: a mapping "
                  "with one of weight, pause or analysis, found an empty mapping",
                  "13:13: services.web.strategy.canary.steps[3]: expected a step: a mapping "
                  "with one of weight, pause or analysis, found \"20\""));
}

TEST(StrategyParserTest, WeightRange) {
  const std::string rule =
      "a percent of traffic greater than 0 and at most 100, in steps of 0.01, such as 5, 0.5 "
      "or \"25%\"";
  EXPECT_THAT(
      Errors(With("      canary:\n        steps: [{weight: 0}, {weight: 100.5}, "
                  "{weight: 0.005}, {weight: -5}, {weight: \"5\"}, {weight: [5]}]\n")),
      ElementsAre(
          "8:26: services.web.strategy.canary.steps[0].weight: must be " + rule + ", found 0",
          "8:39: services.web.strategy.canary.steps[1].weight: must be " + rule + ", found 100.5",
          "8:56: services.web.strategy.canary.steps[2].weight: must be " + rule + ", found 0.005",
          "8:73: services.web.strategy.canary.steps[3].weight: expected " + rule + ", found \"-5\"",
          "8:87: services.web.strategy.canary.steps[4].weight: expected " + rule +
              ", found the quoted string \"5\"",
          "8:102: services.web.strategy.canary.steps[5].weight: expected " + rule +
              ", found a list"));
}

TEST(StrategyParserTest, PauseForms) {
  EXPECT_THAT(
      Errors(With("      canary:\n        steps:\n          - weight: 5\n"
                  "          - pause:\n          - pause: 0s\n          - pause: soon\n"
                  "          - pause: { duraton: 1m }\n")),
      ElementsAre("10:13: services.web.strategy.canary.steps[1].pause: expected a duration such "
                  "as 30s, or {} to wait for `cairn rollout promote`, found nothing",
                  "11:20: services.web.strategy.canary.steps[2].pause: must be at least 1ms, "
                  "found 0s",
                  "12:20: services.web.strategy.canary.steps[3].pause: invalid value \"soon\": "
                  "expected a duration such as 500ms, 30s, 5m or 1h30m",
                  "13:22: services.web.strategy.canary.steps[4].pause.duraton: unknown field "
                  "\"duraton\" in services.web.strategy.canary.steps[4].pause; allowed: "
                  "duration; did you mean \"duration\"?"));
}

TEST(StrategyParserTest, StepsNeedAWeightBeforeAnyAnalysis) {
  EXPECT_THAT(Errors(With("      canary:\n        steps: [{pause: {}}]\n")),
              ElementsAre("8:16: services.web.strategy.canary.steps: no weight step: the canary "
                          "would get no traffic before it is promoted; add a step such as "
                          "{weight: 10} (or use blue_green to switch at once)"));
  EXPECT_THAT(Errors(With("      canary:\n"
                          "        analysis: { success_rate: \">= 99%\" }\n"
                          "        steps: [{analysis: {}}, {weight: 10}]\n")),
              ElementsAre("9:17: services.web.strategy.canary.steps[0]: an analysis step before "
                          "the first weight step would judge a canary that receives no traffic; "
                          "move it after a weight step"));
}

TEST(StrategyParserTest, AnalysisNeedsACheck) {
  EXPECT_THAT(Errors(With("      canary:\n        steps: [{weight: 5}]\n"
                          "        analysis: { interval: 5s }\n")),
              ElementsAre("9:9: services.web.strategy.canary.analysis: an analysis needs at least "
                          "one check: success_rate, latency_p50, latency_p90, latency_p95, "
                          "latency_p99 or prometheus"));
  // A judged step without a canary-level analysis must bring its own.
  EXPECT_THAT(Errors(With("      canary:\n        steps: [{weight: 5}, {analysis: {count: 2}}]\n")),
              ElementsAre("8:31: services.web.strategy.canary.steps[1].analysis: an analysis "
                          "needs at least one check: success_rate, latency_p50, latency_p90, "
                          "latency_p95, latency_p99 or prometheus"));
}

TEST(StrategyParserTest, AnalysisFieldsAreValidated) {
  EXPECT_THAT(
      Errors(With("      canary:\n        steps: [{weight: 5}]\n        analysis:\n"
                  "          interval: 500ms\n"
                  "          success_rate: \"<= 99%\"\n"
                  "          latency_p99: \">= 250ms\"\n"
                  "          latency_p75: \"<= 1s\"\n"
                  "          baseline: stable\n"
                  "          min_requests: 0\n"
                  "          failure_limit: -1\n"
                  "          inconclusive_limt: 3\n"
                  "          count: 0\n")),
      ElementsAre(
          "10:21: services.web.strategy.canary.analysis.interval: must be at least 1s, found "
          "500ms",
          "11:25: services.web.strategy.canary.analysis.success_rate: invalid value \"<= 99%\": "
          "expected a comparison (>= or >) and a percentage, such as \">= 99%\" or \"> 99.5%\"",
          "12:24: services.web.strategy.canary.analysis.latency_p99: invalid value \">= 250ms\": "
          "expected a comparison (<= or <) and a duration greater than 0, such as \"<= 250ms\" "
          "or \"< 1s\"",
          "13:11: services.web.strategy.canary.analysis.latency_p75: unknown field "
          "\"latency_p75\" in services.web.strategy.canary.analysis; allowed: interval, "
          "success_rate, latency_p50, latency_p90, latency_p95, latency_p99, baseline, "
          "min_requests, failure_limit, inconclusive_limit, count, prometheus; did you mean "
          "\"latency_p95\"?",
          "14:21: services.web.strategy.canary.analysis.baseline: expected compare or none, "
          "found \"stable\"",
          "15:25: services.web.strategy.canary.analysis.min_requests: must be between 1 and "
          "1000000, found 0",
          "16:26: services.web.strategy.canary.analysis.failure_limit: must be between 0 and "
          "1000, found -1",
          "17:11: services.web.strategy.canary.analysis.inconclusive_limt: unknown field "
          "\"inconclusive_limt\" in services.web.strategy.canary.analysis; allowed: interval, "
          "success_rate, latency_p50, latency_p90, latency_p95, latency_p99, baseline, "
          "min_requests, failure_limit, inconclusive_limit, count, prometheus; did you mean "
          "\"inconclusive_limit\"?",
          "18:18: services.web.strategy.canary.analysis.count: must be between 1 and 1000, "
          "found 0"));
}

TEST(StrategyParserTest, SuccessRateAboveHundredCanNeverHold) {
  EXPECT_THAT(Errors(With("      canary:\n        steps: [{weight: 5}]\n"
                          "        analysis: { success_rate: \"> 100%\" }\n")),
              ElementsAre("9:35: services.web.strategy.canary.analysis.success_rate: \"> 100%\" "
                          "can never hold: no success rate is above 100%; write \">= 100%\" to "
                          "require every request to succeed"));
}

TEST(StrategyParserTest, PrometheusChecksAreValidated) {
  EXPECT_THAT(
      Errors(With("      canary:\n        steps: [{weight: 5}]\n        analysis:\n"
                  "          prometheus:\n"
                  "            - name: db\n"
                  "              address: 127.0.0.1:9090\n"
                  "              query: up\n"
                  "              condition: \"== 1\"\n"
                  "            - name: db\n"
                  "              query: \" \"\n"
                  "              condition: \"< x\"\n"
                  "            - { name: Bad }\n"
                  "            - up\n")),
      ElementsAre(
          "12:24: services.web.strategy.canary.analysis.prometheus[0].address: expected the "
          "Prometheus server's URL, such as http://127.0.0.1:9090, found \"127.0.0.1:9090\": "
          "must start with http://",
          "14:26: services.web.strategy.canary.analysis.prometheus[0].condition: invalid value "
          "\"== 1\": expected a comparison (<, <=, > or >=) and a number, such as \"<= 0.5\" or "
          "\"> 100\"",
          "15:21: services.web.strategy.canary.analysis.prometheus[1].name: duplicate check "
          "name \"db\"; first used at line 11",
          "16:22: services.web.strategy.canary.analysis.prometheus[1].query: must not be empty: "
          "a PromQL query that returns one number",
          "17:26: services.web.strategy.canary.analysis.prometheus[1].condition: invalid value "
          "\"< x\": expected a comparison (<, <=, > or >=) and a number, such as \"<= 0.5\" or "
          "\"> 100\"",
          "18:15: services.web.strategy.canary.analysis.prometheus[2].query: required field is "
          "missing: a PromQL query that returns one number",
          "18:15: services.web.strategy.canary.analysis.prometheus[2].condition: required field "
          "is missing: a comparison and a number, such as \"<= 0.5\"",
          "18:23: services.web.strategy.canary.analysis.prometheus[2].name: invalid check name "
          "\"Bad\": must start with a lower-case letter and contain only a-z, 0-9, '_' and '-' "
          "(at most 63 characters)",
          "19:15: services.web.strategy.canary.analysis.prometheus[3]: expected a mapping with "
          "name, query and condition, found \"up\""));
}

TEST(StrategyParserTest, QueryPlaceholdersAreTheKnownOnes) {
  EXPECT_THAT(
      Errors(With("      canary:\n        steps: [{weight: 5}]\n        analysis:\n"
                  "          prometheus:\n"
                  "            - name: ok\n"
                  "              query: 'x{s=\"{{service}}\",r=\"{{revision}}\"} / "
                  "y{r=\"{{stable_revision}}\"}'\n"
                  "              condition: \"< 1\"\n"
                  "            - name: typo\n"
                  "              query: 'x{r=\"{{revison}}\"}'\n"
                  "              condition: \"< 1\"\n")),
      ElementsAre("15:22: services.web.strategy.canary.analysis.prometheus[1].query: unknown "
                  "placeholder {{revison}} in the query; known: {{service}}, {{revision}}, "
                  "{{stable_revision}}"));
}

TEST(StrategyParserTest, CohortIsValidated) {
  const std::string rule =
      "header:NAME or cookie:NAME, such as \"header:X-User-Id\" (NAME: letters, digits and "
      "!#$%&'*+-.^_`|~)";
  for (const char* cohort : {"X-User-Id", "header:", "query:user", "header:X User"}) {
    EXPECT_THAT(Errors(With("      canary:\n        steps: [{weight: 5}]\n        cohort: \"" +
                            std::string(cohort) + "\"\n")),
                ElementsAre("9:17: services.web.strategy.canary.cohort: expected " + rule +
                            ", found the quoted string \"" + cohort + "\""))
        << cohort;
  }
}

TEST(StrategyParserTest, CanaryReplicasRange) {
  EXPECT_THAT(Errors(With("      canary: { steps: [{weight: 5}], replicas: 0 }\n")),
              ElementsAre("7:49: services.web.strategy.canary.replicas: must be between 1 and "
                          "1000, found 0"));
}

TEST(StrategyParserTest, CanaryNeedsAnHttpPort) {
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    command: run\n"
                     "    ports: { raw: { listen: 9000, protocol: tcp } }\n"
                     "    strategy:\n      canary: { steps: [{weight: 5}], cohort: header:u }\n"),
              ElementsAre("7:7: services.web.strategy.canary: a canary needs an http port: the "
                          "router splits HTTP traffic between the versions (and keeps a cohort "
                          "on one); services.web has ports: raw (tcp)"));
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    command: run\n"
                     "    strategy:\n      canary: { steps: [{weight: 5}] }\n"),
              ElementsAre(HasSubstr("6:7: services.web.strategy.canary: a canary needs an http "
                                    "port")));
}

TEST(StrategyParserTest, BlueGreenNeedsAPort) {
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    command: run\n"
                     "    strategy: { blue_green: {} }\n"),
              ElementsAre("5:17: services.web.strategy.blue_green: blue_green switches the "
                          "router's traffic from the old version to the new; services.web has no "
                          "ports (use rolling)"));
}

TEST(StrategyParserTest, PreviewPortsNameHttpPortsOfTheService) {
  EXPECT_THAT(Errors(With("      blue_green:\n        preview: { htp: 8081, raw: 9001, "
                          "http: x }\n")),
              ElementsAre("8:20: services.web.strategy.blue_green.preview.htp: no port \"htp\" "
                          "in services.web.ports (ports: http (http), raw (tcp)); did you mean "
                          "\"http\"?",
                          "8:31: services.web.strategy.blue_green.preview.raw: port \"raw\" is "
                          "tcp: a preview listener serves HTTP through the router; preview an "
                          "http port",
                          "8:48: services.web.strategy.blue_green.preview.http: expected an "
                          "integer, found \"x\""));
}

TEST(StrategyParserTest, PreviewPortMustNotCollideWithAnyListenPort) {
  EXPECT_THAT(Errors(With("      blue_green: { preview: { http: 9000 } }\n")),
              ElementsAre("7:38: services.web.strategy.blue_green.preview.http: listen port 9000 "
                          "is already used by services.web.ports.raw (line 5)"));
  // A later service's port colliding with an earlier preview port is reported at the later.
  EXPECT_THAT(Errors(With("      blue_green: { preview: { http: 8081 } }\n"
                          "  api:\n    command: run\n    ports: { main: { listen: 8081 } }\n")),
              ElementsAre("10:30: services.api.ports.main.listen: listen port 8081 is already "
                          "used by services.web.strategy.blue_green.preview.http (line 7)"));
}

TEST(StrategyParserTest, BlueGreenRefusesCanaryFields) {
  EXPECT_THAT(Errors(With("      blue_green: { pause: {}, auto_promote: maybe }\n")),
              ElementsAre("7:21: services.web.strategy.blue_green.pause: unknown field \"pause\" "
                          "in services.web.strategy.blue_green; allowed: preview, auto_promote, "
                          "analysis, scale_down_delay, progress_deadline",
                          "7:46: services.web.strategy.blue_green.auto_promote: expected true, "
                          "false (wait for `cairn rollout promote`) or a delay such as 10m, found "
                          "\"maybe\""));
}

TEST(StrategyParserTest, BlueGreenRouterChecksNeedAPreview) {
  EXPECT_THAT(Errors(With("      blue_green:\n        analysis: { latency_p95: \"<= 1s\" }\n")),
              ElementsAre("8:9: services.web.strategy.blue_green.analysis: success_rate and "
                          "latency are measured on preview traffic before the switch, and there "
                          "is no preview listener; add preview: {<http port name>: <port>}"));
}

TEST(StrategyParserTest, EveryStrategyErrorAtOnce) {
  std::vector<std::string> errors = Errors(
      With("      canary:\n        steps: [{weight: 0}]\n        cohort: nope\n"
           "  api:\n    command: run\n    strategy: { blue_green: { scale_down_delay: -1s } }\n"));
  ASSERT_EQ(errors.size(), 4u) << ::testing::PrintToString(errors);
  EXPECT_THAT(errors[0], HasSubstr("8:26: services.web.strategy.canary.steps[0].weight"));
  EXPECT_THAT(errors[1], HasSubstr("9:17: services.web.strategy.canary.cohort"));
  EXPECT_THAT(errors[2], HasSubstr("12:17: services.api.strategy.blue_green: blue_green switches"));
  EXPECT_THAT(errors[3], HasSubstr("12:49: services.api.strategy.blue_green.scale_down_delay"));
}

}  // namespace
}  // namespace cairn::spec
