#include "rollout/judge.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>

namespace cairn::rollout {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A window with the router's buckets: latencies by bucket (bucket 20 is (7.9 ms, 10 ms],
// bucket 25 (25 ms, 31.6 ms]: five buckets are a factor of 10^0.5 = 3.16), of which `failed`
// were 5xx and the rest 2xx.
Window MakeWindow(const std::map<int, uint64_t>& latencies, uint64_t failed) {
  Window w;
  w.latency = EmptyRouterHistogram();
  uint64_t total = 0;
  for (const auto& [bucket, count] : latencies) {
    w.latency.counts[bucket] = count;
    total += count;
  }
  w.status_5xx = failed;
  w.status_2xx = total - failed;
  return w;
}

// 1,000 requests around 10 ms.
const std::map<int, uint64_t> kBaseline = {{18, 100}, {19, 200}, {20, 400}, {21, 200}, {22, 100}};

std::map<int, uint64_t> Shifted(const std::map<int, uint64_t>& latencies, int buckets) {
  std::map<int, uint64_t> out;
  for (const auto& [bucket, count] : latencies) out[bucket + buckets] = count;
  return out;
}

AnalysisCriteria Loose() {
  AnalysisCriteria c;
  c.min_success_rate = 0.99;
  c.max_p99 = seconds(10);
  c.compare_baseline = true;
  return c;
}

// The first shape: a canary failing 5% of requests, against a baseline failing none.
TEST(JudgeTest, CanaryFailingFivePercentFails) {
  Window canary = MakeWindow(kBaseline, 50);
  Window baseline = MakeWindow(kBaseline, 0);
  Judgement j = Judge(Loose(), canary, baseline);
  EXPECT_EQ(j.verdict, Verdict::kFail);
  ASSERT_EQ(j.reasons.size(), 2u);
  EXPECT_EQ(j.reasons[0], Check::kSuccessRate);
  EXPECT_EQ(j.reasons[1], Check::kErrorsAboveBaseline);
  EXPECT_DOUBLE_EQ(j.canary.success_rate, 0.95);
  EXPECT_TRUE(j.compared);
  EXPECT_EQ(j.error_test.method, ProportionMethod::kNormal);
  EXPECT_LT(j.error_test.p_value, 1e-12);
  EXPECT_EQ(j.Summary(),
            "fail: success rate 95% < 99%; error rate 5% vs baseline 0% (z test p = 4e-13)"
            " over 1,000 requests (baseline 1,000)");
}

AnalysisCriteria MetricOnly(Comparison comparison, double limit) {
  AnalysisCriteria c;
  c.metrics.push_back({"db_errors", comparison, limit});
  return c;
}

TEST(JudgeTest, AMetricCheckAloneNeedsNoTrafficThroughTheRouter) {
  Judgement j = Judge(MetricOnly(Comparison::kLessOrEqual, 0.1), Window{}, Window{},
                      {{"db_errors", 0.02, ""}});
  EXPECT_EQ(j.verdict, Verdict::kPass);
  ASSERT_EQ(j.metrics.size(), 1u);
  EXPECT_TRUE(j.metrics[0].held);
  EXPECT_EQ(j.Summary(), "pass: db_errors = 0.02 (<= 0.1)");
}

TEST(JudgeTest, AMetricOutsideItsConditionFails) {
  Judgement j =
      Judge(MetricOnly(Comparison::kLess, 0.1), Window{}, Window{}, {{"db_errors", 0.1, ""}});
  EXPECT_EQ(j.verdict, Verdict::kFail);
  EXPECT_EQ(j.reasons, std::vector<Check>{Check::kMetric});
  EXPECT_EQ(j.Summary(), "fail: db_errors = 0.1, not < 0.1");
  nlohmann::json json = ToJson(j);
  EXPECT_EQ(json["metrics"][0]["value"], 0.1);
  EXPECT_EQ(json["metrics"][0]["condition"], "< 0.1");
  EXPECT_EQ(json["metrics"][0]["held"], false);
}

TEST(JudgeTest, AMetricWithoutANumberIsInconclusiveNeverAPass) {
  Judgement j = Judge(MetricOnly(Comparison::kGreaterOrEqual, 1), Window{}, Window{},
                      {{"db_errors", std::nullopt, "connection refused"}});
  EXPECT_EQ(j.verdict, Verdict::kInconclusive);
  EXPECT_EQ(j.reasons, std::vector<Check>{Check::kMetricUnavailable});
  EXPECT_EQ(j.Summary(), "inconclusive: db_errors: no number (connection refused)");
  // A check nobody answered is no better.
  Judgement unanswered = Judge(MetricOnly(Comparison::kGreaterOrEqual, 1), Window{}, Window{});
  EXPECT_EQ(unanswered.verdict, Verdict::kInconclusive);
  EXPECT_EQ(unanswered.Summary(), "inconclusive: db_errors: no number (no reading)");
}

TEST(JudgeTest, AFailedMetricFailsEvenWhenTheRouterSawTooLittle) {
  AnalysisCriteria c = MetricOnly(Comparison::kLessOrEqual, 0.1);
  c.min_success_rate = 0.99;
  Window quiet = MakeWindow({{20, 10}}, 0);
  Judgement j = Judge(c, quiet, Window{}, {{"db_errors", 0.5, ""}});
  EXPECT_EQ(j.verdict, Verdict::kFail);
  EXPECT_EQ(j.Summary(), "fail: db_errors = 0.5, not <= 0.1 over 10 requests");
  // And a metric that holds leaves a quiet interval inconclusive, as before.
  Judgement held = Judge(c, quiet, Window{}, {{"db_errors", 0.01, ""}});
  EXPECT_EQ(held.verdict, Verdict::kInconclusive);
  EXPECT_EQ(held.reasons, std::vector<Check>{Check::kTooFewRequests});
}

TEST(JudgeTest, RouterChecksAndMetricsPassTogether) {
  AnalysisCriteria c = MetricOnly(Comparison::kGreater, 0);
  c.min_success_rate = 0.99;
  Judgement j = Judge(c, MakeWindow(kBaseline, 0), Window{}, {{"db_errors", 3, ""}});
  EXPECT_EQ(j.verdict, Verdict::kPass);
  EXPECT_EQ(j.Summary(),
            "pass: success rate 100%, p99 15.5 ms, db_errors = 3 (> 0) over 1,000 "
            "requests");
}

TEST(JudgeTest, SummaryNamesTheFailedThresholdAndTheCount) {
  AnalysisCriteria c;
  c.min_success_rate = 0.99;
  std::map<int, uint64_t> latencies = kBaseline;
  latencies[20] += 20;                        // 1,020 requests
  Window canary = MakeWindow(latencies, 53);  // 967 / 1020 = 94.80%
  Judgement j = Judge(c, canary, Window{});
  EXPECT_EQ(j.Summary(), "fail: success rate 94.8% < 99% over 1,020 requests");
}

// The second shape: three times slower (five buckets), under thresholds loose enough
// to let it through; only the comparison with the baseline catches it.
TEST(JudgeTest, CanaryThreeTimesSlowerFailsTheBaselineComparison) {
  Window canary = MakeWindow(Shifted(kBaseline, 5), 0);
  Window baseline = MakeWindow(kBaseline, 0);
  Judgement j = Judge(Loose(), canary, baseline);
  EXPECT_EQ(j.verdict, Verdict::kFail);
  ASSERT_EQ(j.reasons.size(), 1u);
  EXPECT_EQ(j.reasons[0], Check::kLatencyAboveBaseline);
  EXPECT_NEAR(j.canary.p50_us / j.baseline.p50_us, std::pow(10, 0.5), 1e-6);
  EXPECT_LT(j.latency_test.p_value, 1e-100);
  EXPECT_GT(j.latency_test.z, 30);
  EXPECT_DOUBLE_EQ(j.latency_test.effect, 1);  // every canary request slower than every baseline
  EXPECT_EQ(j.Summary().rfind("fail: slower than baseline: p50 28.2 ms vs 8.91 ms, p90 ", 0), 0u)
      << j.Summary();

  AnalysisCriteria thresholds_only = Loose();
  thresholds_only.compare_baseline = false;
  EXPECT_EQ(Judge(thresholds_only, canary, baseline).verdict, Verdict::kPass);
}

TEST(JudgeTest, SameDistributionPasses) {
  Window canary = MakeWindow(kBaseline, 2);
  Window baseline = MakeWindow(kBaseline, 2);
  Judgement j = Judge(Loose(), canary, baseline);
  EXPECT_EQ(j.verdict, Verdict::kPass);
  EXPECT_TRUE(j.reasons.empty());
  EXPECT_TRUE(j.compared);
  EXPECT_GT(j.latency_test.p_value, 0.4);
  EXPECT_GT(j.error_test.p_value, 0.4);
  EXPECT_EQ(j.Summary().rfind("pass: success rate 99.8%, p99 ", 0), 0u) << j.Summary();
}

TEST(JudgeTest, TenRequestsAreInconclusiveNeverAPass) {
  Window canary = MakeWindow({{20, 10}}, 0);
  Judgement j = Judge(Loose(), canary, MakeWindow(kBaseline, 0));
  EXPECT_EQ(j.verdict, Verdict::kInconclusive);
  ASSERT_EQ(j.reasons.size(), 1u);
  EXPECT_EQ(j.reasons[0], Check::kTooFewRequests);
  EXPECT_EQ(j.Summary(), "inconclusive: 10 requests < 100 required");

  // Even with nothing to check at all.
  EXPECT_EQ(Judge(AnalysisCriteria{}, canary, Window{}).verdict, Verdict::kInconclusive);
}

TEST(JudgeTest, TooFewBaselineRequestsAreInconclusive) {
  Judgement j = Judge(Loose(), MakeWindow(kBaseline, 0), MakeWindow({{20, 30}}, 0));
  EXPECT_EQ(j.verdict, Verdict::kInconclusive);
  EXPECT_EQ(j.reasons, std::vector<Check>{Check::kTooFewToCompare});
  EXPECT_FALSE(j.compared);
  EXPECT_EQ(j.Summary(), "inconclusive: baseline 30 requests < 100 required to compare");
}

// A failure needs no baseline: a canary under its threshold fails whatever the baseline saw.
TEST(JudgeTest, AThresholdFailureNeedsNoBaseline) {
  Judgement j = Judge(Loose(), MakeWindow(kBaseline, 100), MakeWindow({{20, 30}}, 0));
  EXPECT_EQ(j.verdict, Verdict::kFail);
  EXPECT_EQ(j.reasons, std::vector<Check>{Check::kSuccessRate});
}

TEST(JudgeTest, ResetWindowIsInconclusive) {
  Window canary = MakeWindow(kBaseline, 500);  // would fail, but the numbers are not one interval
  canary.reset = true;
  Judgement j = Judge(Loose(), canary, MakeWindow(kBaseline, 0));
  EXPECT_EQ(j.verdict, Verdict::kInconclusive);
  EXPECT_EQ(j.reasons, std::vector<Check>{Check::kCountersReset});

  Window baseline = MakeWindow(kBaseline, 0);
  baseline.reset = true;
  EXPECT_EQ(Judge(Loose(), MakeWindow(kBaseline, 0), baseline).verdict, Verdict::kInconclusive);
}

TEST(JudgeTest, LatencyQuantileAboveItsMaximumFails) {
  AnalysisCriteria c;
  c.max_p50 = milliseconds(50);
  c.max_p99 = milliseconds(250);
  // 1,000 requests: most at ~10 ms, 20 at ~1 s (bucket 40): p99 lands in the slow bucket.
  std::map<int, uint64_t> latencies = kBaseline;
  latencies[20] -= 20;
  latencies[40] = 20;
  Judgement j = Judge(c, MakeWindow(latencies, 0), Window{});
  EXPECT_EQ(j.verdict, Verdict::kFail);
  EXPECT_EQ(j.reasons, std::vector<Check>{Check::kLatencyP99});
  EXPECT_EQ(j.Summary().rfind("fail: p99 ", 0), 0u);
  EXPECT_NE(j.Summary().find(" > 250 ms over 1,000 requests"), std::string::npos) << j.Summary();
}

// Requests counted but no latency recorded (a histogram the controller did not fill): a
// latency threshold cannot be judged.
TEST(JudgeTest, LatencyThresholdWithoutSamplesIsInconclusive) {
  AnalysisCriteria c;
  c.max_p99 = milliseconds(250);
  Window canary;
  canary.status_2xx = 1000;
  Judgement j = Judge(c, canary, Window{});
  EXPECT_EQ(j.verdict, Verdict::kInconclusive);
  EXPECT_EQ(j.Summary(), "inconclusive: 0 latency samples < 100 required");
}

// 100,000 requests a side; the canary moves 5% of its requests one bucket slower. The U test
// calls that significant, but p50 and p90 barely move: not worth a rollback.
TEST(JudgeTest, SignificantButTinySlowdownPasses) {
  std::map<int, uint64_t> base = {{18, 10000}, {19, 20000}, {20, 40000}, {21, 20000}, {22, 10000}};
  std::map<int, uint64_t> slower = base;
  slower[20] -= 5000;
  slower[21] += 5000;
  Judgement j = Judge(Loose(), MakeWindow(slower, 0), MakeWindow(base, 0));
  EXPECT_LT(j.latency_test.p_value, 0.05);
  EXPECT_LT(j.canary.p50_us, j.baseline.p50_us * 1.25);
  EXPECT_EQ(j.verdict, Verdict::kPass) << j.Summary();
}

// Same for errors: 0.10% vs 0.16% over 200,000 requests is significant, and well under one
// percentage point.
TEST(JudgeTest, SignificantButTinyErrorIncreasePasses) {
  std::map<int, uint64_t> many = {{20, 200000}};
  Judgement j = Judge(Loose(), MakeWindow(many, 320), MakeWindow(many, 200));
  EXPECT_LT(j.error_test.p_value, 0.05);
  EXPECT_EQ(j.verdict, Verdict::kPass) << j.Summary();
}

TEST(JudgeTest, JsonCarriesEveryNumber) {
  Judgement j = Judge(Loose(), MakeWindow(Shifted(kBaseline, 5), 0), MakeWindow(kBaseline, 0));
  nlohmann::json out = ToJson(j);
  EXPECT_EQ(out["verdict"], "fail");
  EXPECT_EQ(out["reasons"], nlohmann::json::array({"latency_above_baseline"}));
  EXPECT_EQ(out["summary"], j.Summary());
  EXPECT_EQ(out["canary"]["requests"], 1000);
  EXPECT_EQ(out["baseline"]["requests"], 1000);
  EXPECT_EQ(out["criteria"]["max_p99_ms"], 10000);
  EXPECT_EQ(out["criteria"]["min_success_rate"], 0.99);
  EXPECT_FALSE(out["criteria"].contains("max_p50_ms"));
  EXPECT_DOUBLE_EQ(out["latency_test"]["u"].get<double>(), 1e6);
  EXPECT_EQ(out["error_test"]["method"], "none");
}

// ---- Many intervals drawn from one distribution, with a fixed seed. ----

// A deterministic sampler: std::mt19937's output is fixed by the standard, its distributions
// are not (they differ between standard libraries), so the draw is done by hand.
class Sampler {
 public:
  explicit Sampler(uint32_t seed) : engine_(seed) {}
  double Uniform() { return (static_cast<double>(engine_()) + 0.5) / 4294967296.0; }

  // `requests` requests: a latency bucket from `weights` (bucket -> relative weight), and a 5xx
  // with chance `error_rate`.
  Window Draw(const std::map<int, double>& weights, uint64_t requests, double error_rate,
              int shift = 0) {
    double total = 0;
    for (const auto& [bucket, weight] : weights) total += weight;
    std::map<int, uint64_t> latencies;
    uint64_t failed = 0;
    for (uint64_t i = 0; i < requests; ++i) {
      double u = Uniform() * total;
      int chosen = weights.rbegin()->first;
      for (const auto& [bucket, weight] : weights) {
        if (u < weight) {
          chosen = bucket;
          break;
        }
        u -= weight;
      }
      ++latencies[chosen + shift];
      if (Uniform() < error_rate) ++failed;
    }
    return MakeWindow(latencies, failed);
  }

 private:
  std::mt19937 engine_;
};

// A long-tailed service: most requests near 10 ms, a tail to ~300 ms.
const std::map<int, double> kService = {{15, 2},  {16, 5},  {17, 10}, {18, 18}, {19, 22},
                                        {20, 18}, {21, 10}, {22, 6},  {23, 4},  {24, 2},
                                        {25, 1},  {28, 1},  {30, 0.5}};

// No false alarms: 200 intervals where canary and baseline are the same service (1% errors,
// 1,000 requests each). Each test on its own rejects at about its alpha (with this seed: the U
// test 11 times, the error test 7); the judge, which also wants a material difference, fails at
// most an alpha share (with this seed: 2, both on errors: 2.2% vs 0.8% and 2.1% vs 1%).
TEST(JudgeTest, SameDistributionRarelyFails) {
  constexpr int kTrials = 200;
  AnalysisCriteria c = Loose();
  c.min_success_rate = 0.97;
  Sampler sampler(20240611);
  int fails = 0;
  int latency_rejections = 0;
  int error_rejections = 0;
  int latency_fails = 0;
  for (int i = 0; i < kTrials; ++i) {
    Window canary = sampler.Draw(kService, 1000, 0.01);
    Window baseline = sampler.Draw(kService, 1000, 0.01);
    Judgement j = Judge(c, canary, baseline);
    ASSERT_TRUE(j.compared);
    if (j.verdict == Verdict::kFail) ++fails;
    for (Check check : j.reasons) latency_fails += check == Check::kLatencyAboveBaseline;
    if (j.latency_test.p_value < c.alpha) ++latency_rejections;
    if (j.error_test.p_value < c.alpha) ++error_rejections;
  }
  // About alpha * 200 = 10 each by chance; a test rejecting far more would be miscalibrated.
  EXPECT_LE(latency_rejections, 20);
  EXPECT_LE(error_rejections, 20);
  EXPECT_LE(fails, static_cast<int>(c.alpha * kTrials));
  // The effect minimums at work: none of the chance latency rejections becomes a failure.
  EXPECT_EQ(latency_fails, 0);
}

// And the other side of the same coin: the same service three times slower fails every time.
TEST(JudgeTest, ThreeTimesSlowerAlwaysFails) {
  Sampler sampler(7);
  for (int i = 0; i < 50; ++i) {
    Window canary = sampler.Draw(kService, 1000, 0.01, 5);
    Window baseline = sampler.Draw(kService, 1000, 0.01);
    Judgement j = Judge(Loose(), canary, baseline);
    EXPECT_EQ(j.verdict, Verdict::kFail) << j.Summary();
  }
}

}  // namespace
}  // namespace cairn::rollout
