// How a Judgement reads: the one-line Summary for events and abort reasons, and the JSON with
// every number for the event payload.
#include <cstdio>
#include <string>

#include "rollout/judge.h"

namespace cairn::rollout {
namespace {

std::string Printf(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

// 1020 -> "1,020".
std::string FormatCount(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// A share as a percentage with `decimals` places, trailing zeros dropped: 0.948 -> "94.8%".
std::string FormatPercent(double share, int decimals) {
  std::string s = Printf(("%." + std::to_string(decimals) + "f").c_str(), share * 100);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s + "%";
}

// A measured share beside the limit it is held to, with enough places that the two differ
// (98.996% is not shown as "99% < 99%").
std::pair<std::string, std::string> FormatPercentPair(double value, double limit) {
  int decimals = 2;
  while (decimals < 6 && FormatPercent(value, decimals) == FormatPercent(limit, decimals)) {
    ++decimals;
  }
  return {FormatPercent(value, decimals), FormatPercent(limit, decimals)};
}

// Three significant digits: "0.85 ms", "12.3 ms", "250 ms", "1.25 s".
std::string FormatLatency(double us) {
  if (us < 999500) return Printf("%.3g", us / 1000) + " ms";
  return Printf("%.3g", us / 1e6) + " s";
}

// "p = 0.043", "p = 4e-13"; a p-value below what a double holds reads "p < 1e-300".
std::string FormatP(double p) {
  if (p < 1e-300) return "p < 1e-300";
  return "p = " + Printf("%.2g", p);
}

double Micros(Duration d) { return static_cast<double>(d.count()) * 1000.0; }

// A metric's value as PromQL results are usually read: "0.042", "1.2e+06".
std::string FormatValue(double v) { return Printf("%.4g", v); }

// "db_errors = 0.4 (must be <= 0.1)", "db_errors: no reading (connection refused)".
std::string DescribeMetric(const MetricResult& m) {
  std::string condition =
      std::string(ComparisonSymbol(m.check.comparison)) + " " + FormatValue(m.check.limit);
  if (!m.value) return m.check.name + ": no number (" + m.error + ")";
  if (m.held) return m.check.name + " = " + FormatValue(*m.value) + " (" + condition + ")";
  return m.check.name + " = " + FormatValue(*m.value) + ", not " + condition;
}

std::string DescribeMetrics(const Judgement& j, bool (*pick)(const MetricResult&)) {
  std::string s;
  for (const MetricResult& m : j.metrics) {
    if (!pick(m)) continue;
    if (!s.empty()) s += "; ";
    s += DescribeMetric(m);
  }
  return s;
}

std::string Describe(const Judgement& j, Check check) {
  const AnalysisCriteria& c = j.criteria;
  switch (check) {
    case Check::kCountersReset:
      return "the router's counters went backwards this interval (an instance left the "
             "measurements, or the router restarted)";
    case Check::kTooFewRequests:
      if (j.canary.requests < c.min_requests) {
        return FormatCount(j.canary.requests) + " requests < " + FormatCount(c.min_requests) +
               " required";
      }
      return FormatCount(j.canary.latency_samples) + " latency samples < " +
             FormatCount(c.min_requests) + " required";
    case Check::kTooFewToCompare:
      if (j.baseline.requests < c.min_requests) {
        return "baseline " + FormatCount(j.baseline.requests) + " requests < " +
               FormatCount(c.min_requests) + " required to compare";
      }
      return "latency samples canary " + FormatCount(j.canary.latency_samples) + ", baseline " +
             FormatCount(j.baseline.latency_samples) + " < " + FormatCount(c.min_requests) +
             " required to compare";
    case Check::kSuccessRate: {
      auto [value, limit] =
          FormatPercentPair(j.canary.success_rate, c.min_success_rate.value_or(0));
      return "success rate " + value + " < " + limit;
    }
    case Check::kLatencyP50:
      return "p50 " + FormatLatency(j.canary.p50_us) + " > " + FormatLatency(Micros(*c.max_p50));
    case Check::kLatencyP90:
      return "p90 " + FormatLatency(j.canary.p90_us) + " > " + FormatLatency(Micros(*c.max_p90));
    case Check::kLatencyP95:
      return "p95 " + FormatLatency(j.canary.p95_us) + " > " + FormatLatency(Micros(*c.max_p95));
    case Check::kLatencyP99:
      return "p99 " + FormatLatency(j.canary.p99_us) + " > " + FormatLatency(Micros(*c.max_p99));
    case Check::kErrorsAboveBaseline:
      return "error rate " + FormatPercent(j.error_test.rate_canary, 2) + " vs baseline " +
             FormatPercent(j.error_test.rate_baseline, 2) + " (" +
             ProportionMethodName(j.error_test.method) + " test " + FormatP(j.error_test.p_value) +
             ")";
    case Check::kLatencyAboveBaseline:
      return "slower than baseline: p50 " + FormatLatency(j.canary.p50_us) + " vs " +
             FormatLatency(j.baseline.p50_us) + ", p90 " + FormatLatency(j.canary.p90_us) + " vs " +
             FormatLatency(j.baseline.p90_us) +
             " (Mann-Whitney z = " + Printf("%.1f", j.latency_test.z) + ", " +
             FormatP(j.latency_test.p_value) + ")";
    case Check::kMetric:
      return DescribeMetrics(j, [](const MetricResult& m) { return m.value && !m.held; });
    case Check::kMetricUnavailable:
      return DescribeMetrics(j, [](const MetricResult& m) { return !m.value; });
  }
  return CheckName(check);
}

std::string Over(const Judgement& j) {
  std::string s = " over " + FormatCount(j.canary.requests) + " requests";
  if (j.compared) s += " (baseline " + FormatCount(j.baseline.requests) + ")";
  return s;
}

nlohmann::json NumbersJson(const VersionNumbers& v) {
  return {{"requests", v.requests},         {"failures", v.failures},
          {"success_rate", v.success_rate}, {"latency_samples", v.latency_samples},
          {"p50_ms", v.p50_us / 1000},      {"p90_ms", v.p90_us / 1000},
          {"p95_ms", v.p95_us / 1000},      {"p99_ms", v.p99_us / 1000}};
}

}  // namespace

std::string Judgement::Summary() const {
  std::string s = std::string(VerdictName(verdict)) + ": ";
  const bool router = criteria.HasRouterChecks();
  if (verdict == Verdict::kPass) {
    std::string metric_part = DescribeMetrics(*this, [](const MetricResult&) { return true; });
    if (!router) return s + metric_part;
    s += "success rate " + FormatPercent(canary.success_rate, 2) + ", p99 " +
         FormatLatency(canary.p99_us);
    if (compared) {
      s += ", no worse than baseline (latency " + FormatP(latency_test.p_value) + ", errors " +
           FormatP(error_test.p_value) + ")";
    }
    if (!metric_part.empty()) s += ", " + metric_part;
    return s + Over(*this);
  }
  for (size_t i = 0; i < reasons.size(); ++i) {
    if (i > 0) s += "; ";
    s += Describe(*this, reasons[i]);
  }
  if (verdict == Verdict::kFail && router) s += Over(*this);
  return s;
}

nlohmann::json ToJson(const Judgement& j) {
  nlohmann::json reasons = nlohmann::json::array();
  for (Check c : j.reasons) reasons.push_back(CheckName(c));
  nlohmann::json criteria = {{"min_requests", j.criteria.min_requests},
                             {"compare_baseline", j.criteria.compare_baseline},
                             {"alpha", j.criteria.alpha},
                             {"min_latency_increase", j.criteria.min_latency_increase},
                             {"min_error_rate_increase", j.criteria.min_error_rate_increase}};
  if (j.criteria.min_success_rate) criteria["min_success_rate"] = *j.criteria.min_success_rate;
  const std::pair<const char*, const std::optional<Duration>*> maxima[] = {
      {"max_p50_ms", &j.criteria.max_p50},
      {"max_p90_ms", &j.criteria.max_p90},
      {"max_p95_ms", &j.criteria.max_p95},
      {"max_p99_ms", &j.criteria.max_p99}};
  for (const auto& [name, max] : maxima) {
    if (*max) criteria[name] = (*max)->count();
  }
  nlohmann::json out = {{"verdict", VerdictName(j.verdict)},
                        {"reasons", reasons},
                        {"summary", j.Summary()},
                        {"criteria", criteria},
                        {"canary", NumbersJson(j.canary)}};
  if (j.criteria.compare_baseline) out["baseline"] = NumbersJson(j.baseline);
  if (!j.metrics.empty()) {
    nlohmann::json metrics = nlohmann::json::array();
    for (const MetricResult& m : j.metrics) {
      nlohmann::json item = {{"name", m.check.name},
                             {"condition", std::string(ComparisonSymbol(m.check.comparison)) + " " +
                                               FormatValue(m.check.limit)},
                             {"held", m.held}};
      if (m.value) {
        item["value"] = *m.value;
      } else {
        item["error"] = m.error;
      }
      metrics.push_back(std::move(item));
    }
    out["metrics"] = std::move(metrics);
  }
  if (j.compared) {
    const MannWhitneyResult& u = j.latency_test;
    out["latency_test"] = {{"n_canary", u.n_canary},
                           {"n_baseline", u.n_baseline},
                           {"u", u.u},
                           {"mean", u.mean},
                           {"sd", u.sd},
                           {"z", u.z},
                           {"p_value", u.p_value},
                           {"effect", u.effect}};
    const ProportionTestResult& e = j.error_test;
    out["error_test"] = {{"method", ProportionMethodName(e.method)},
                         {"rate_canary", e.rate_canary},
                         {"rate_baseline", e.rate_baseline},
                         {"z", e.z},
                         {"p_value", e.p_value}};
  }
  return out;
}

}  // namespace cairn::rollout
