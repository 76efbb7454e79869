// ServiceRollout: one service's progressive rollout at run time — the rollout machine
// (src/rollout/rollout_machine.h), the analyses it asks for (judge + run limits, fed by the
// router's counters through an IntervalMeter) and the record the controller persists.
//
// The controller owns one per service in a canary or blue-green rollout and calls Tick every
// controller tick with the router's counters and the new version's healthy instance count; it
// carries out the returned targets (instances, route split) and logs the events. Commands from
// people go through Command, which runs one machine transition at once so the caller learns
// whether it applied.
//
// What is judged: the new version's window (a canary's requests, or a blue-green's preview
// traffic) against the stable version's window over the same interval.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "control/interval_meter.h"
#include "control/prometheus_client.h"
#include "core/clock.h"
#include "core/result.h"
#include "rollout/analysis_run.h"
#include "rollout/interval_record.h"
#include "rollout/judge.h"
#include "rollout/rollout_machine.h"
#include "router/router_stats.h"

namespace cairn::control {

struct AnalysisConfig {
  rollout::AnalysisCriteria criteria;
  rollout::AnalysisLimits limits;  // a background analysis has count 0: it runs to the end
  Duration interval{5000};
  // One query per criteria.metrics check, same order and names: read when an interval ends.
  std::vector<MetricRequest> queries;
};

// A metric query the controller is to send, and the interval's verdict it feeds.
struct PendingQuery {
  uint64_t batch = 0;  // ServiceRollout::SupplyReading takes it back with the answer
  bool background = false;
  MetricRequest request;
};

// The analyses a rollout's plan names: per judged canary step (by step index), the canary's
// background analysis, a blue-green's pre-promotion analysis.
struct AnalysisConfigs {
  std::map<size_t, AnalysisConfig> steps;
  std::optional<AnalysisConfig> background;
  std::optional<AnalysisConfig> prepromotion;
};

class ServiceRollout {
 public:
  ServiceRollout(std::string service, int64_t new_revision, rollout::RolloutPlan plan,
                 AnalysisConfigs analyses, rollout::RolloutState state);

  // A rollout starting now.
  static ServiceRollout Start(std::string service, int64_t new_revision, rollout::RolloutPlan plan,
                              AnalysisConfigs analyses, int64_t now_ms);

  // One controller tick: judge a due analysis interval, then advance the machine.
  rollout::RolloutDecision Tick(const router::RouterStats& stats, int new_healthy, int64_t now_ms);
  // A person's command, applied at once; decision.command_error says when it could not be.
  rollout::RolloutDecision Command(rollout::RolloutCommand command, const std::string& actor,
                                   const router::RouterStats& stats, int new_healthy,
                                   int64_t now_ms);

  // The metric queries of an interval that just ended, to be sent now (each returned once).
  // The interval's verdict waits for their answers (SupplyReading), or for their timeout.
  std::vector<PendingQuery> TakeQueries();
  // One query's answer; an answer for a batch no longer awaited is dropped.
  void SupplyReading(uint64_t batch, bool background, rollout::MetricReading reading);

  // Whether the next Tick or Command judges an analysis interval and so reads the router's
  // counters (otherwise an empty RouterStats will do).
  bool WantsMeasurements() const {
    return !rollout::IsTerminal(state_.phase) &&
           (last_targets_.step_analysis || last_targets_.background_analysis);
  }

  const std::string& service() const { return service_; }
  int64_t new_revision() const { return new_revision_; }
  const rollout::RolloutPlan& plan() const { return plan_; }
  const rollout::RolloutState& state() const { return state_; }
  const rollout::AnalysisRunState& step_run() const { return step_run_; }
  const rollout::AnalysisRunState& background_run() const { return background_run_; }
  // The last judgement of either analysis (for status views), if any.
  const std::optional<rollout::Judgement>& last_judgement() const { return last_judgement_; }
  // The judged intervals, oldest first (for status views: what the dashboard plots).
  const rollout::IntervalHistory& intervals() const { return intervals_; }
  // The analyses judging intervals now, as the last decision asked for them: the current
  // step's (a blue-green's pre-promotion analysis) and the background one. Null when none.
  const AnalysisConfig* ActiveStepAnalysis() const;
  const AnalysisConfig* ActiveBackgroundAnalysis() const;
  // The verdicts judged since the last call, oldest first (the controller counts them).
  std::vector<rollout::Verdict> TakeVerdicts() { return std::exchange(verdicts_, {}); }

  // The record persisted at every transition: revision, machine state, analysis counts, the
  // judged intervals.
  nlohmann::json Record() const;
  // Restores the machine state and analysis counts from a Record for the same revision.
  Status Restore(const nlohmann::json& record);

  // The route-table version name of a revision ("revision 7"), as BuildRouteTable names it.
  static std::string VersionName(int64_t revision);

 private:
  rollout::RolloutDecision Step(rollout::RolloutInputs inputs, const router::RouterStats& stats);
  void Judge(const router::RouterStats& stats, int64_t now_ms, bool step, bool background,
             std::vector<rollout::RolloutEvent>* events);
  // The judged analysis the machine's current step names, or null.
  const AnalysisConfig* StepConfig() const;
  rollout::Window NewWindow(const router::RouterStats& stats);
  rollout::Window StableWindow(const router::RouterStats& stats);
  // Records a verdict per analysis from the interval's windows and metric readings, and the
  // interval (which ended at `ended_ms`) in intervals_.
  void Record(const AnalysisConfig* step_config, const AnalysisConfig* background_config,
              int64_t ended_ms, const rollout::Window& fresh, const rollout::Window& stable,
              const std::vector<rollout::MetricReading>& step_readings,
              const std::vector<rollout::MetricReading>& background_readings,
              std::vector<rollout::RolloutEvent>* events);

  // An interval that has ended and waits for its metric readings.
  struct AwaitedVerdict {
    uint64_t batch = 0;
    bool step = false;         // whether it judges the step analysis...
    uint64_t step_run_id = 0;  // ...of this run
    bool background = false;   // whether it judges the background analysis
    int64_t ended_ms = 0;
    rollout::Window fresh;
    rollout::Window stable;
    std::vector<rollout::MetricReading> step_readings;
    std::vector<rollout::MetricReading> background_readings;
    size_t outstanding = 0;
    int64_t give_up_ms = 0;  // judged then with what has come (the rest: no answer)
  };

  std::string service_;
  int64_t new_revision_;
  rollout::RolloutPlan plan_;
  AnalysisConfigs analyses_;
  rollout::RolloutState state_;
  rollout::RolloutTargets last_targets_;
  // The judged analysis in progress (for state_.analysis_id == step_run_id_).
  uint64_t step_run_id_ = 0;
  rollout::AnalysisRunState step_run_;
  rollout::AnalysisRunState background_run_;
  bool background_started_ = false;
  int64_t next_judgement_ms_ = 0;  // end of the interval being measured; 0: none started
  IntervalMeter meter_;
  std::optional<rollout::Judgement> last_judgement_;
  rollout::IntervalHistory intervals_;
  std::vector<rollout::Verdict> verdicts_;  // see TakeVerdicts
  std::optional<AwaitedVerdict> awaited_;
  std::vector<PendingQuery> queries_;  // not yet taken by the controller
  uint64_t last_batch_ = 0;
};

}  // namespace cairn::control
