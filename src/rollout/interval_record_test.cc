#include "rollout/interval_record.h"

#include <gtest/gtest.h>

namespace cairn::rollout {
namespace {

using std::chrono::milliseconds;

// `ok` requests in the bucket around 10 ms and `failed` 5xx in it.
Window TenMillis(uint64_t ok, uint64_t failed) {
  Window w;
  w.latency = EmptyRouterHistogram();
  w.latency.counts[20] = ok + failed;
  w.status_2xx = ok;
  w.status_5xx = failed;
  return w;
}

IntervalRecord Judged(Verdict verdict) {
  IntervalRecord r;
  r.at_ms = 1'700'000'000'000;
  r.step = 1;
  r.canary = SideOf(TenMillis(990, 10));
  r.baseline = IntervalSide{};  // a stable version that served nothing
  r.judgements.push_back({"step analysis", verdict, "a summary", 0.99, milliseconds(250), true});
  return r;
}

TEST(IntervalRecordTest, ASideHoldsWhatTheJudgeWouldReadOfTheWindow) {
  std::optional<IntervalSide> side = SideOf(TenMillis(990, 10));
  ASSERT_TRUE(side.has_value());
  EXPECT_EQ(side->requests, 1000u);
  EXPECT_EQ(side->failures, 10u);
  EXPECT_DOUBLE_EQ(side->success_rate, 0.99);
  EXPECT_EQ(side->latency_samples, 1000u);
  EXPECT_DOUBLE_EQ(side->p99_us, MeasureWindow(TenMillis(990, 10)).p99_us);
  EXPECT_GT(side->p99_us, 7900);
  EXPECT_LE(side->p99_us, 10000);

  Window reset = TenMillis(5, 0);
  reset.reset = true;
  EXPECT_FALSE(SideOf(reset).has_value()) << "a reset window measures no interval";
}

TEST(IntervalRecordTest, AJudgementKeepsItsVerdictAndTheThresholdsItWasHeldTo) {
  AnalysisCriteria criteria;
  criteria.min_success_rate = 0.995;
  criteria.max_p99 = milliseconds(5);
  criteria.min_requests = 100;
  Judgement j = Judge(criteria, TenMillis(990, 10), Window{});
  IntervalJudgement v = JudgementOf("background analysis", j);
  EXPECT_EQ(v.analysis, "background analysis");
  EXPECT_EQ(v.verdict, Verdict::kFail);
  EXPECT_EQ(v.summary, j.Summary());
  EXPECT_EQ(v.min_success_rate, 0.995);
  EXPECT_EQ(v.max_p99, milliseconds(5));
  EXPECT_FALSE(v.compare_baseline);
}

TEST(IntervalRecordTest, TheHistoryNumbersIntervalsAndKeepsTheNewest) {
  IntervalHistory history;
  for (size_t i = 0; i < IntervalHistory::kMaxIntervals + 5; ++i) {
    history.Add(Judged(Verdict::kPass));
  }
  EXPECT_EQ(history.total(), IntervalHistory::kMaxIntervals + 5);
  ASSERT_EQ(history.records().size(), IntervalHistory::kMaxIntervals);
  EXPECT_EQ(history.records().front().number, 6u);
  EXPECT_EQ(history.records().back().number, IntervalHistory::kMaxIntervals + 5);
}

TEST(IntervalRecordTest, TheHistoryRoundTripsThroughJson) {
  IntervalHistory history;
  history.Add(Judged(Verdict::kPass));
  IntervalRecord unmeasured = Judged(Verdict::kInconclusive);
  unmeasured.canary.reset();
  unmeasured.baseline.reset();
  unmeasured.judgements[0].min_success_rate.reset();
  unmeasured.judgements[0].max_p99.reset();
  unmeasured.judgements.push_back({"background analysis", Verdict::kFail, "b", {}, {}, false});
  history.Add(unmeasured);

  auto back = IntervalHistoryFromJson(ToJson(history));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->total(), 2u);
  ASSERT_EQ(back->records().size(), 2u);
  EXPECT_EQ(back->records()[0], history.records()[0]);
  EXPECT_EQ(back->records()[1], history.records()[1]);
}

TEST(IntervalRecordTest, AStoredHistoryThatIsNotOursIsAnErrorNamingIt) {
  IntervalHistory history;
  history.Add(Judged(Verdict::kPass));
  history.Add(Judged(Verdict::kFail));
  nlohmann::json good = ToJson(history);

  nlohmann::json bad_verdict = good;
  bad_verdict["records"][0]["judgements"][0]["verdict"] = "maybe";
  auto a = IntervalHistoryFromJson(bad_verdict);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("unknown verdict \"maybe\""), std::string::npos);

  nlohmann::json out_of_order = good;
  std::swap(out_of_order["records"][0], out_of_order["records"][1]);
  auto b = IntervalHistoryFromJson(out_of_order);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("out of order"), std::string::npos);

  nlohmann::json mistyped = good;
  mistyped["records"][1]["canary"]["requests"] = "many";
  auto c = IntervalHistoryFromJson(mistyped);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("interval history"), std::string::npos);

  EXPECT_FALSE(IntervalHistoryFromJson(nlohmann::json::array()).ok());
}

}  // namespace
}  // namespace cairn::rollout
