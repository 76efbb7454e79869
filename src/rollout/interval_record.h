// IntervalRecord: one analysis interval of a rollout as it was judged — what the canary (or a
// blue-green's preview) and the stable version served, and each verdict with the thresholds it
// was held to. The counts of an AnalysisRun say how a run stands; these records say how it got
// there, for a person reading the dashboard's charts or GET /v1/rollouts/S.
//
// IntervalHistory keeps the newest kMaxIntervals of one rollout and is persisted with the
// rollout's record (ToJson / IntervalHistoryFromJson), so a restarted server shows the same
// course. Pure data: no clock, no I/O.
#pragma once

#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/units.h"
#include "rollout/judge.h"

namespace cairn::rollout {

// What one version served in the interval: the numbers the charts plot.
struct IntervalSide {
  uint64_t requests = 0;
  uint64_t failures = 0;    // 5xx + router errors
  double success_rate = 0;  // 0..1; 0 when there were no requests
  uint64_t latency_samples = 0;
  double p99_us = 0;  // 0 when there were no latency samples

  friend bool operator==(const IntervalSide&, const IntervalSide&) = default;
};
// The side of a measured window, or nullopt when the window is not a measurement of this
// interval (its counters went backwards: see Delta).
std::optional<IntervalSide> SideOf(const Window& window);

// One analysis's verdict on the interval. Step and background analyses of a canary judge the
// same interval when both run, so an interval has one or two of these.
struct IntervalJudgement {
  std::string analysis;  // "step analysis", "background analysis", "pre-promotion analysis"
  Verdict verdict = Verdict::kInconclusive;
  std::string summary;  // Judgement::Summary()
  // The thresholds the charts draw, as the judgement held them (unset: not checked).
  std::optional<double> min_success_rate;  // 0..1
  std::optional<Duration> max_p99;
  bool compare_baseline = false;

  friend bool operator==(const IntervalJudgement&, const IntervalJudgement&) = default;
};
IntervalJudgement JudgementOf(const std::string& analysis, const Judgement& judgement);

struct IntervalRecord {
  uint64_t number = 0;  // 1-based over the rollout's measured intervals
  int64_t at_ms = 0;    // wall-clock Unix ms when the interval ended
  size_t step = 0;      // the machine's step index then (canary; 0 for blue-green)
  // The new version (a blue-green's preview) and the stable version over the interval. The
  // stable side is measured even when the analysis does not compare with it, so a person
  // sees the canary beside its baseline either way. Nullopt: no measurement (see SideOf).
  std::optional<IntervalSide> canary;
  std::optional<IntervalSide> baseline;
  std::vector<IntervalJudgement> judgements;  // in the order the analyses judged

  friend bool operator==(const IntervalRecord&, const IntervalRecord&) = default;
};

class IntervalHistory {
 public:
  // Records kept per rollout. 60: at the default 5 s interval the last five minutes, about as
  // many points as a chart a few hundred pixels wide can show apart; it also bounds what
  // /v1/status and the persisted rollout record carry.
  static constexpr size_t kMaxIntervals = 60;

  // Appends `record` numbered after the last one (its `number` is set here), dropping the
  // oldest beyond kMaxIntervals.
  void Add(IntervalRecord record);

  const std::deque<IntervalRecord>& records() const { return records_; }
  // Intervals recorded over the rollout, the dropped ones included.
  uint64_t total() const { return total_; }

 private:
  friend Result<IntervalHistory> IntervalHistoryFromJson(const nlohmann::json& json);
  std::deque<IntervalRecord> records_;
  uint64_t total_ = 0;
};

nlohmann::json ToJson(const IntervalHistory& history);
// A history written by ToJson. An error names what is wrong; the caller decides whether the
// history matters more than the rest of what it restores.
Result<IntervalHistory> IntervalHistoryFromJson(const nlohmann::json& json);

}  // namespace cairn::rollout
