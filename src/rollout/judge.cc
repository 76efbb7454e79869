#include "rollout/judge.h"

#include <optional>

namespace cairn::rollout {
namespace {

double Micros(Duration d) { return static_cast<double>(d.count()) * 1000.0; }

Judgement Inconclusive(Judgement j, Check why) {
  j.verdict = Verdict::kInconclusive;
  j.reasons = {why};
  return j;
}

}  // namespace

VersionNumbers MeasureWindow(const Window& w) {
  VersionNumbers v;
  v.requests = w.Requests();
  v.failures = w.Failures();
  if (v.requests > 0) v.success_rate = w.SuccessRate();
  v.latency_samples = w.latency.Count();
  v.p50_us = QuantileMicros(w.latency, 0.50);
  v.p90_us = QuantileMicros(w.latency, 0.90);
  v.p95_us = QuantileMicros(w.latency, 0.95);
  v.p99_us = QuantileMicros(w.latency, 0.99);
  return v;
}

const char* ComparisonSymbol(Comparison comparison) {
  switch (comparison) {
    case Comparison::kLess:
      return "<";
    case Comparison::kLessOrEqual:
      return "<=";
    case Comparison::kGreater:
      return ">";
    case Comparison::kGreaterOrEqual:
      return ">=";
  }
  return "?";
}

bool Holds(Comparison comparison, double value, double limit) {
  switch (comparison) {
    case Comparison::kLess:
      return value < limit;
    case Comparison::kLessOrEqual:
      return value <= limit;
    case Comparison::kGreater:
      return value > limit;
    case Comparison::kGreaterOrEqual:
      return value >= limit;
  }
  return false;
}

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass:
      return "pass";
    case Verdict::kFail:
      return "fail";
    case Verdict::kInconclusive:
      return "inconclusive";
  }
  return "unknown";
}

const char* CheckName(Check check) {
  switch (check) {
    case Check::kCountersReset:
      return "counters_reset";
    case Check::kTooFewRequests:
      return "too_few_requests";
    case Check::kTooFewToCompare:
      return "too_few_to_compare";
    case Check::kSuccessRate:
      return "success_rate";
    case Check::kLatencyP50:
      return "latency_p50";
    case Check::kLatencyP90:
      return "latency_p90";
    case Check::kLatencyP95:
      return "latency_p95";
    case Check::kLatencyP99:
      return "latency_p99";
    case Check::kErrorsAboveBaseline:
      return "errors_above_baseline";
    case Check::kLatencyAboveBaseline:
      return "latency_above_baseline";
    case Check::kMetric:
      return "metric";
    case Check::kMetricUnavailable:
      return "metric_unavailable";
  }
  return "unknown";
}

Judgement Judge(const AnalysisCriteria& criteria, const Window& canary, const Window& baseline,
                const std::vector<MetricReading>& metrics) {
  Judgement j;
  j.criteria = criteria;
  j.canary = MeasureWindow(canary);
  const bool compare = criteria.compare_baseline;
  if (compare) j.baseline = MeasureWindow(baseline);
  std::optional<Check> undecided;  // a check that could not be judged; a failure overrides it

  // Metric checks first: they are judged whatever the router saw.
  for (const MetricCheck& check : criteria.metrics) {
    MetricResult& r = j.metrics.emplace_back(MetricResult{check, std::nullopt, "no reading"});
    for (const MetricReading& reading : metrics) {
      if (reading.name != check.name) continue;
      r.value = reading.value;
      r.error = reading.value ? "" : reading.error;
    }
    if (!r.value) {
      undecided = Check::kMetricUnavailable;
      continue;
    }
    r.held = Holds(check.comparison, *r.value, check.limit);
    if (!r.held && (j.reasons.empty() || j.reasons.back() != Check::kMetric)) {
      j.reasons.push_back(Check::kMetric);
    }
  }
  if (!criteria.HasRouterChecks() && !criteria.metrics.empty()) {
    if (!j.reasons.empty()) {
      j.verdict = Verdict::kFail;
    } else if (undecided) {
      return Inconclusive(j, *undecided);
    } else {
      j.verdict = Verdict::kPass;
    }
    return j;
  }

  // A failed metric decides even when the router saw too little.
  auto too_little = [&](Check why) {
    if (!j.reasons.empty()) {
      j.verdict = Verdict::kFail;
      return j;
    }
    return Inconclusive(j, why);
  };
  if (canary.reset || (compare && baseline.reset)) return too_little(Check::kCountersReset);
  if (j.canary.requests < criteria.min_requests) return too_little(Check::kTooFewRequests);
  if (criteria.min_success_rate && j.canary.success_rate < *criteria.min_success_rate) {
    j.reasons.push_back(Check::kSuccessRate);
  }

  struct Threshold {
    const std::optional<Duration>& max;
    double value_us;
    Check check;
  };
  const Threshold thresholds[] = {{criteria.max_p50, j.canary.p50_us, Check::kLatencyP50},
                                  {criteria.max_p90, j.canary.p90_us, Check::kLatencyP90},
                                  {criteria.max_p95, j.canary.p95_us, Check::kLatencyP95},
                                  {criteria.max_p99, j.canary.p99_us, Check::kLatencyP99}};
  for (const Threshold& t : thresholds) {
    if (!t.max) continue;
    if (j.canary.latency_samples < criteria.min_requests) {
      undecided = Check::kTooFewRequests;
    } else if (t.value_us > Micros(*t.max)) {
      j.reasons.push_back(t.check);
    }
  }

  if (compare) {
    if (j.baseline.requests < criteria.min_requests ||
        j.canary.latency_samples < criteria.min_requests ||
        j.baseline.latency_samples < criteria.min_requests) {
      if (!undecided) undecided = Check::kTooFewToCompare;
    } else {
      j.compared = true;
      j.error_test = ErrorRateHigher(j.canary.failures, j.canary.requests, j.baseline.failures,
                                     j.baseline.requests);
      if (j.error_test.p_value < criteria.alpha &&
          j.error_test.rate_canary - j.error_test.rate_baseline >=
              criteria.min_error_rate_increase) {
        j.reasons.push_back(Check::kErrorsAboveBaseline);
      }
      j.latency_test = MannWhitneySlower(canary.latency.counts, baseline.latency.counts);
      const double factor = 1 + criteria.min_latency_increase;
      bool material = j.canary.p50_us >= j.baseline.p50_us * factor ||
                      j.canary.p90_us >= j.baseline.p90_us * factor;
      if (j.latency_test.p_value < criteria.alpha && material) {
        j.reasons.push_back(Check::kLatencyAboveBaseline);
      }
    }
  }

  if (!j.reasons.empty()) {
    j.verdict = Verdict::kFail;
  } else if (undecided) {
    return Inconclusive(j, *undecided);
  } else {
    j.verdict = Verdict::kPass;
  }
  return j;
}

}  // namespace cairn::rollout
