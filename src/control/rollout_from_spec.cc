#include "control/rollout_from_spec.h"

#include "control/prometheus_query.h"

namespace cairn::control {

namespace {

rollout::Comparison MetricComparison(spec::Comparison comparison) {
  switch (comparison) {
    case spec::Comparison::kLess:
      return rollout::Comparison::kLess;
    case spec::Comparison::kLessOrEqual:
      return rollout::Comparison::kLessOrEqual;
    case spec::Comparison::kGreater:
      return rollout::Comparison::kGreater;
    case spec::Comparison::kGreaterOrEqual:
      return rollout::Comparison::kGreaterOrEqual;
  }
  return rollout::Comparison::kLessOrEqual;
}

}  // namespace

AnalysisConfig AnalysisFromSpec(const spec::AnalysisSpec& a, bool background) {
  AnalysisConfig c;
  c.interval = a.interval;
  // "> 99%" and ">= 99%" are one threshold for a judge that counts whole requests.
  if (a.success_rate) c.criteria.min_success_rate = a.success_rate->value / 100.0;
  for (const auto& [quantile, bound] : a.latency) {
    std::optional<Duration>* slot = quantile == 50   ? &c.criteria.max_p50
                                    : quantile == 90 ? &c.criteria.max_p90
                                    : quantile == 95 ? &c.criteria.max_p95
                                                     : &c.criteria.max_p99;
    *slot = bound.limit;
  }
  c.criteria.compare_baseline = a.baseline == spec::Baseline::kCompare;
  c.criteria.min_requests = static_cast<uint64_t>(a.min_requests);
  c.limits.failure_limit = a.failure_limit;
  c.limits.inconclusive_limit = a.inconclusive_limit;
  c.limits.count = background ? 0 : a.count;
  for (const spec::PrometheusCheckSpec& check : a.prometheus) {
    c.criteria.metrics.push_back(
        {check.name, MetricComparison(check.condition.comparison), check.condition.value});
    c.queries.push_back({check.name, check.address, check.query});
  }
  return c;
}

void ExpandQueries(const QueryVariables& vars, AnalysisConfigs* analyses) {
  auto expand = [&](AnalysisConfig& config) {
    for (MetricRequest& q : config.queries) q.query = ExpandQuery(q.query, vars);
  };
  for (auto& [_, config] : analyses->steps) expand(config);
  if (analyses->background) expand(*analyses->background);
  if (analyses->prepromotion) expand(*analyses->prepromotion);
}

namespace {

// An address the query provider cannot use (https), named by its field.
Status RefuseUnsupported(const spec::AnalysisSpec& a, const std::string& where) {
  for (size_t i = 0; i < a.prometheus.size(); ++i) {
    auto address = ParseHttpAddress(a.prometheus[i].address);
    if (!address.ok()) {
      return MakeError(ErrorCode::kInvalidArgument, address.error().message,
                       where + ".prometheus[" + std::to_string(i) + "].address");
    }
  }
  return OkStatus();
}

}  // namespace

Result<RolloutSetup> RolloutFromSpec(const spec::ServiceSpec& svc) {
  RolloutSetup out;
  rollout::RolloutPlan& plan = out.plan;
  plan.replicas = svc.replicas;
  std::string base = "services." + svc.name + ".strategy";
  if (svc.strategy == spec::StrategyKind::kCanary) {
    const spec::CanarySpec& c = svc.canary;
    plan.kind = rollout::StrategyKind::kCanary;
    plan.canary_replicas = c.replicas.value_or(0);
    for (size_t i = 0; i < c.steps.size(); ++i) {
      const spec::CanaryStep& s = c.steps[i];
      rollout::CanaryStep step;
      switch (s.kind) {
        case spec::CanaryStepKind::kWeight:
          step.kind = rollout::CanaryStep::Kind::kWeight;
          step.weight_bp = static_cast<uint32_t>(s.weight_bp);
          break;
        case spec::CanaryStepKind::kPause:
          step.kind =
              s.pause ? rollout::CanaryStep::Kind::kPause : rollout::CanaryStep::Kind::kManualPause;
          step.pause = s.pause.value_or(Duration(0));
          break;
        case spec::CanaryStepKind::kAnalysis: {
          step.kind = rollout::CanaryStep::Kind::kAnalysis;
          std::string where = base + ".canary.steps[" + std::to_string(i) + "].analysis";
          if (Status ok = RefuseUnsupported(s.analysis, where); !ok.ok()) return ok.error();
          out.analyses.steps[i] = AnalysisFromSpec(s.analysis, false);
          break;
        }
      }
      plan.steps.push_back(step);
    }
    if (c.analysis) {
      if (Status ok = RefuseUnsupported(*c.analysis, base + ".canary.analysis"); !ok.ok()) {
        return ok.error();
      }
      plan.background_analysis = true;
      out.analyses.background = AnalysisFromSpec(*c.analysis, true);
    }
    if (c.cohort.source == spec::CohortSource::kHeader) {
      out.cohort = {router::CohortSource::kHeader, c.cohort.name};
    } else if (c.cohort.source == spec::CohortSource::kCookie) {
      out.cohort = {router::CohortSource::kCookie, c.cohort.name};
    }
    return out;
  }
  const spec::BlueGreenSpec& b = svc.blue_green;
  plan.kind = rollout::StrategyKind::kBlueGreen;
  plan.preview = !b.preview.empty();
  out.preview_ports = b.preview;
  plan.auto_promote = !b.auto_promote.enabled            ? rollout::AutoPromote::kManual
                      : b.auto_promote.delay.count() > 0 ? rollout::AutoPromote::kAfterDelay
                                                         : rollout::AutoPromote::kImmediate;
  plan.auto_promote_delay = b.auto_promote.delay;
  plan.scale_down_delay = b.scale_down_delay;
  if (b.analysis) {
    if (Status ok = RefuseUnsupported(*b.analysis, base + ".blue_green.analysis"); !ok.ok()) {
      return ok.error();
    }
    plan.prepromotion_analysis = true;
    out.analyses.prepromotion = AnalysisFromSpec(*b.analysis, false);
  }
  return out;
}

}  // namespace cairn::control
