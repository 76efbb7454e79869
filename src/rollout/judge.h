// The analysis judge: one verdict on one interval of a canary (or a blue-green preview), from
// the router's measurements of it and, with `compare_baseline`, of the stable version over the
// same interval. A pure function: windows in, a Judgement out, every number that produced the
// verdict kept in it, so the event that reports it can show its working.
//
// Never: read a clock, do I/O, or see a spec. The controller maps the environment file's
// `analysis:` onto AnalysisCriteria; keeping spec types out keeps the judge separately tested.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/units.h"
#include "rollout/measurement.h"
#include "rollout/statistics.h"

namespace cairn::rollout {

// How a metric's value must compare with its limit (a Prometheus check's `condition`).
enum class Comparison { kLess, kLessOrEqual, kGreater, kGreaterOrEqual };
const char* ComparisonSymbol(Comparison comparison);  // "<", "<=", ">", ">="
bool Holds(Comparison comparison, double value, double limit);

// A number the router cannot see, read from outside (a PromQL query) once per interval: the
// interval fails when `value <comparison> limit` does not hold.
struct MetricCheck {
  std::string name;  // unique in its analysis; names the reading that answers it
  Comparison comparison = Comparison::kLessOrEqual;
  double limit = 0;
};

// What a metric check's query gave this interval: a number, or why there is none (the server
// could not be reached, the query returned no series or several, NaN).
struct MetricReading {
  std::string name;
  std::optional<double> value;
  std::string error;  // set when !value
};

struct AnalysisCriteria {
  // The canary's success rate (see Window: 5xx and router errors fail) must be at least this,
  // 0..1 (0.99 for "99%"). Unset: not checked.
  std::optional<double> min_success_rate;
  // The canary's latency quantiles must not exceed these. Unset: not checked. Quantiles come
  // from the histogram, so they are exact to within a bucket (a factor of 1.26).
  std::optional<Duration> max_p50;
  std::optional<Duration> max_p90;
  std::optional<Duration> max_p95;
  std::optional<Duration> max_p99;
  // `baseline: compare`: the canary must also be no worse than the stable version measured over
  // the same interval: no higher error rate (two-proportion test) and no slower (Mann-Whitney U).
  bool compare_baseline = false;
  // Fewer canary requests than this (or, for the comparison, baseline requests) and the interval
  // is inconclusive, never a pass. Default 100: below it one failed request moves the success
  // rate by more than a percentage point, so a 99% threshold cannot be told from noise; and the
  // tests' normal approximations want tens of observations a side.
  uint64_t min_requests = 100;
  // Significance level of each comparison test, one-sided. Default 0.05, the usual convention.
  // Each test alone rejects about 5% of intervals where nothing changed; the minimum effects
  // below keep the judge's chance failures under that (judge_test.cc measures 1%: 2 of 200).
  // Chances add up over intervals: a long background analysis may want failure_limit 1.
  double alpha = 0.05;
  // A significant difference fails the canary only if it also matters:
  // - latency: the canary's p50 or p90 is at least this much above the baseline's. Default
  //   0.25 (25%): about one histogram bucket (1.26x); a smaller shift is within the resolution
  //   of the data, and with enough requests any shift at all is "significant".
  double min_latency_increase = 0.25;
  // - errors: the canary's error rate is at least this much above the baseline's, absolute.
  //   Default 0.01 (one more failed request in a hundred): smaller increases are left to
  //   min_success_rate. At 1,000 requests a side and 1% errors, pure chance puts the canary
  //   half a point above the baseline with p < 0.05 in about one interval in thirty; one point
  //   takes that to about one in a hundred (judge_test.cc, SameDistributionRarelyFails).
  double min_error_rate_increase = 0.01;
  // Metric checks (Prometheus queries), each answered by a MetricReading of the same name.
  std::vector<MetricCheck> metrics;

  // Whether anything is judged from the router's measurements. An analysis of metric checks
  // alone needs no traffic through the router: min_requests does not apply to it.
  bool HasRouterChecks() const {
    return min_success_rate || max_p50 || max_p90 || max_p95 || max_p99 || compare_baseline;
  }
};

enum class Verdict { kPass, kFail, kInconclusive };
const char* VerdictName(Verdict verdict);  // "pass", "fail", "inconclusive"

// Why a verdict is not a pass.
enum class Check {
  kCountersReset,    // inconclusive: a window's counters went backwards (Delta)
  kTooFewRequests,   // inconclusive: canary requests (or latency samples for a latency
                     // threshold) < min_requests
  kTooFewToCompare,  // inconclusive: baseline requests, or latency samples, too few
  kSuccessRate,      // fail: below min_success_rate
  kLatencyP50,       // fail: a quantile above its maximum
  kLatencyP90,
  kLatencyP95,
  kLatencyP99,
  kErrorsAboveBaseline,   // fail: error rate significantly and materially above baseline
  kLatencyAboveBaseline,  // fail: significantly and materially slower than baseline
  kMetric,                // fail: a metric check's condition does not hold
  kMetricUnavailable,     // inconclusive: a metric check got no number
};
const char* CheckName(Check check);  // "success_rate", "latency_p99", ...

// What was measured of one version in the interval.
struct VersionNumbers {
  uint64_t requests = 0;
  uint64_t failures = 0;    // 5xx + router errors
  double success_rate = 0;  // 0 when there were no requests
  uint64_t latency_samples = 0;
  double p50_us = 0;
  double p90_us = 0;
  double p95_us = 0;
  double p99_us = 0;
};
// A window's numbers as the judge reads them (quantiles from the histogram).
VersionNumbers MeasureWindow(const Window& window);

// A metric check as judged: the check, what was read, and whether the condition held.
struct MetricResult {
  MetricCheck check;
  std::optional<double> value;
  std::string error;  // no value: why
  bool held = false;
};

struct Judgement {
  Verdict verdict = Verdict::kInconclusive;
  // Fail: every check that failed. Inconclusive: the reason. Pass: empty.
  std::vector<Check> reasons;
  AnalysisCriteria criteria;  // what the numbers were held to
  VersionNumbers canary;
  VersionNumbers baseline;  // measured when criteria.compare_baseline
  bool compared = false;    // the comparison tests ran (enough requests on both sides)
  MannWhitneyResult latency_test;
  ProportionTestResult error_test;
  std::vector<MetricResult> metrics;  // one per criteria.metrics, in order

  // One line for an event or an abort reason, led by the verdict, e.g.
  // "fail: success rate 94.8% < 99% over 1,020 requests".
  std::string Summary() const;
};

// Judges one interval. With router checks, a reset window or too few canary requests is
// inconclusive. Otherwise every check runs; any failed check fails the interval, since a
// failure needs nothing else measured. With no failure, a check that had too little to go on
// (too few latency samples, too few baseline requests to compare, a metric with no reading)
// makes it inconclusive; else it passes. `baseline` is read only when
// criteria.compare_baseline; `metrics` answers criteria.metrics by name (a check with no
// reading of its name counts as unavailable).
Judgement Judge(const AnalysisCriteria& criteria, const Window& canary, const Window& baseline,
                const std::vector<MetricReading>& metrics = {});

// Every number in the judgement, for the event payload.
nlohmann::json ToJson(const Judgement& judgement);

}  // namespace cairn::rollout
