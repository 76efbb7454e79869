// The rollout engine's plan and analyses from a service's `strategy:` in the environment file
// (canary or blue_green). The one place that maps spec types onto src/rollout's own.
#pragma once

#include "control/prometheus_query.h"
#include "control/route_builder.h"
#include "control/service_rollout.h"
#include "core/result.h"
#include "rollout/rollout_plan.h"
#include "spec/spec.h"

namespace cairn::control {

struct RolloutSetup {
  rollout::RolloutPlan plan;
  AnalysisConfigs analyses;
  router::CohortPolicy cohort;
  std::map<std::string, int> preview_ports;  // port name -> preview listen port
};

// REQUIRES: svc.strategy is kCanary or kBlueGreen. Fails for what the engine cannot run
// (a Prometheus check at an https address), with a message naming the field. The metric
// queries keep their placeholders: ExpandQueries fills them in once the revisions are known.
Result<RolloutSetup> RolloutFromSpec(const spec::ServiceSpec& svc);

// Fills in every metric query's placeholders ({{service}}, {{revision}}, {{stable_revision}}).
void ExpandQueries(const QueryVariables& vars, AnalysisConfigs* analyses);

// The judge's criteria and limits for one analysis of the environment file.
AnalysisConfig AnalysisFromSpec(const spec::AnalysisSpec& analysis, bool background);

}  // namespace cairn::control
