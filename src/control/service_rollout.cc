#include "control/service_rollout.h"

#include <algorithm>
#include <set>
#include <utility>

#include "control/route_builder.h"

namespace cairn::control {
namespace {

rollout::AnalysisStatus StatusOf(const rollout::AnalysisRunState& run) {
  switch (run.outcome) {
    case rollout::AnalysisOutcome::kPassed:
      return rollout::AnalysisStatus::kPassed;
    case rollout::AnalysisOutcome::kFailed:
      return rollout::AnalysisStatus::kFailed;
    case rollout::AnalysisOutcome::kInconclusive:
      return rollout::AnalysisStatus::kInconclusive;
    case rollout::AnalysisOutcome::kRunning:
      break;
  }
  return rollout::AnalysisStatus::kRunning;
}

}  // namespace

std::string ServiceRollout::VersionName(int64_t revision) {
  return "revision " + std::to_string(revision);
}

ServiceRollout::ServiceRollout(std::string service, int64_t new_revision, rollout::RolloutPlan plan,
                               AnalysisConfigs analyses, rollout::RolloutState state)
    : service_(std::move(service)),
      new_revision_(new_revision),
      plan_(std::move(plan)),
      analyses_(std::move(analyses)),
      state_(std::move(state)) {}

ServiceRollout ServiceRollout::Start(std::string service, int64_t new_revision,
                                     rollout::RolloutPlan plan, AnalysisConfigs analyses,
                                     int64_t now_ms) {
  rollout::RolloutState state = rollout::StartRollout(plan, now_ms);
  return ServiceRollout(std::move(service), new_revision, std::move(plan), std::move(analyses),
                        std::move(state));
}

const AnalysisConfig* ServiceRollout::StepConfig() const {
  if (plan_.kind == rollout::StrategyKind::kBlueGreen) {
    return analyses_.prepromotion ? &*analyses_.prepromotion : nullptr;
  }
  auto it = analyses_.steps.find(state_.step);
  return it == analyses_.steps.end() ? nullptr : &it->second;
}

const AnalysisConfig* ServiceRollout::ActiveStepAnalysis() const {
  if (rollout::IsTerminal(state_.phase) || !last_targets_.step_analysis) return nullptr;
  return StepConfig();
}

const AnalysisConfig* ServiceRollout::ActiveBackgroundAnalysis() const {
  if (rollout::IsTerminal(state_.phase) || !last_targets_.background_analysis) return nullptr;
  return analyses_.background ? &*analyses_.background : nullptr;
}

rollout::Window ServiceRollout::NewWindow(const router::RouterStats& stats) {
  // A blue-green version is judged on its preview traffic: it has no other before the switch.
  const std::string& service =
      plan_.kind == rollout::StrategyKind::kBlueGreen ? PreviewServiceName(service_) : service_;
  return meter_.Take(stats, service, VersionName(new_revision_));
}

rollout::Window ServiceRollout::StableWindow(const router::RouterStats& stats) {
  std::set<std::string> versions;
  std::string fresh = VersionName(new_revision_);
  for (const auto& [key, _] : stats.backends) {
    if (key.service == service_ && key.version != fresh) versions.insert(key.version);
  }
  rollout::Window total;
  total.latency = rollout::EmptyRouterHistogram();
  for (const std::string& v : versions) rollout::Merge(&total, meter_.Take(stats, service_, v));
  return total;
}

void ServiceRollout::Judge(const router::RouterStats& stats, int64_t now_ms, bool step,
                           bool background, std::vector<rollout::RolloutEvent>* events) {
  const AnalysisConfig* step_config = step ? StepConfig() : nullptr;
  const AnalysisConfig* background_config =
      background && analyses_.background ? &*analyses_.background : nullptr;
  if (step_config && step_run_id_ != state_.analysis_id) {
    step_run_ = {};
    step_run_id_ = state_.analysis_id;
    next_judgement_ms_ = 0;  // a fresh run measures a fresh interval
    awaited_.reset();
    queries_.clear();
  }
  if (background_config && !background_started_) {
    background_started_ = true;
    background_run_ = {};
  }
  if (!step_config && !background_config) {
    next_judgement_ms_ = 0;
    awaited_.reset();
    queries_.clear();
    return;
  }
  if (awaited_) {
    // An ended interval waits for its metric readings; the next one is being measured.
    if (awaited_->outstanding > 0 && now_ms < awaited_->give_up_ms) return;
    AwaitedVerdict done = std::move(*awaited_);
    awaited_.reset();
    queries_.clear();
    Record(done.step && done.step_run_id == step_run_id_ ? step_config : nullptr,
           done.background ? background_config : nullptr, done.ended_ms, done.fresh, done.stable,
           done.step_readings, done.background_readings, events);
    return;
  }
  // One cadence for both: the judged step's when there is one.
  Duration interval = (step_config ? step_config : background_config)->interval;
  if (next_judgement_ms_ == 0) {
    // Start an interval: the windows taken now only set the meter's starting point.
    NewWindow(stats);
    StableWindow(stats);
    next_judgement_ms_ = now_ms + interval.count();
    return;
  }
  if (now_ms < next_judgement_ms_) return;
  rollout::Window fresh = NewWindow(stats);
  rollout::Window stable = StableWindow(stats);
  next_judgement_ms_ = now_ms + interval.count();
  bool step_queries = step_config && !step_config->queries.empty();
  bool background_queries = background_config && !background_config->queries.empty();
  if (!step_queries && !background_queries) {
    Record(step_config, background_config, now_ms, fresh, stable, {}, {}, events);
    return;
  }
  // Metric checks: the verdict waits for the queries, which must answer within the interval
  // (at most 10 s: a Prometheus slower than that is down for this purpose).
  AwaitedVerdict a;
  a.batch = ++last_batch_;
  a.step = step_config != nullptr;
  a.step_run_id = step_run_id_;
  a.background = background_config != nullptr;
  a.ended_ms = now_ms;
  a.fresh = std::move(fresh);
  a.stable = std::move(stable);
  Duration timeout = std::min(interval, Duration(10000));
  auto ask = [&](const AnalysisConfig* config, bool is_background) {
    if (!config) return;
    for (MetricRequest request : config->queries) {
      request.timeout = timeout;
      queries_.push_back({a.batch, is_background, std::move(request)});
      ++a.outstanding;
    }
  };
  ask(step_config, false);
  ask(background_config, true);
  a.give_up_ms = now_ms + timeout.count() + 1000;
  awaited_ = std::move(a);
}

void ServiceRollout::Record(const AnalysisConfig* step_config,
                            const AnalysisConfig* background_config, int64_t ended_ms,
                            const rollout::Window& fresh, const rollout::Window& stable,
                            const std::vector<rollout::MetricReading>& step_readings,
                            const std::vector<rollout::MetricReading>& background_readings,
                            std::vector<rollout::RolloutEvent>* events) {
  rollout::IntervalRecord interval;
  interval.at_ms = ended_ms;
  interval.step = state_.step;
  interval.canary = rollout::SideOf(fresh);
  interval.baseline = rollout::SideOf(stable);
  auto record = [&](const AnalysisConfig& config, rollout::AnalysisRunState* run, const char* name,
                    const std::vector<rollout::MetricReading>& readings) {
    if (run->outcome != rollout::AnalysisOutcome::kRunning) return;
    rollout::Judgement j = rollout::Judge(config.criteria, fresh, stable, readings);
    rollout::RecordJudgement(config.limits, j, run);
    nlohmann::json data = rollout::ToJson(j);
    data["analysis"] = name;
    data["run"] = rollout::ToJson(*run);
    events->push_back({"rollout.verdict",
                       std::string(name) + ": " + j.Summary() + " (" + std::to_string(run->passed) +
                           " passed, " + std::to_string(run->failed) + " failed, " +
                           std::to_string(run->inconclusive) + " inconclusive)",
                       std::move(data)});
    verdicts_.push_back(j.verdict);
    interval.judgements.push_back(rollout::JudgementOf(name, j));
    last_judgement_ = std::move(j);
  };
  if (step_config) {
    record(*step_config, &step_run_,
           plan_.kind == rollout::StrategyKind::kBlueGreen ? "pre-promotion analysis"
                                                           : "step analysis",
           step_readings);
  }
  if (background_config) {
    record(*background_config, &background_run_, "background analysis", background_readings);
  }
  // An interval no running analysis judged (both had ended) is not part of the course.
  if (!interval.judgements.empty()) intervals_.Add(std::move(interval));
}

std::vector<PendingQuery> ServiceRollout::TakeQueries() { return std::exchange(queries_, {}); }

void ServiceRollout::SupplyReading(uint64_t batch, bool background,
                                   rollout::MetricReading reading) {
  if (!awaited_ || awaited_->batch != batch || awaited_->outstanding == 0) return;
  (background ? awaited_->background_readings : awaited_->step_readings)
      .push_back(std::move(reading));
  --awaited_->outstanding;
}

rollout::RolloutDecision ServiceRollout::Step(rollout::RolloutInputs in,
                                              const router::RouterStats& stats) {
  std::vector<rollout::RolloutEvent> events;
  if (!rollout::IsTerminal(state_.phase)) {
    Judge(stats, in.now_ms, last_targets_.step_analysis, last_targets_.background_analysis,
          &events);
  }
  in.step_analysis = StatusOf(step_run_);
  in.step_analysis_id = step_run_id_;
  in.background_failed = background_run_.outcome == rollout::AnalysisOutcome::kFailed;
  in.analysis_reason = in.background_failed ? background_run_.reason : step_run_.reason;
  rollout::RolloutDecision d = rollout::Advance(plan_, &state_, in);
  events.insert(events.end(), d.events.begin(), d.events.end());
  d.events = std::move(events);
  last_targets_ = d.targets;
  return d;
}

rollout::RolloutDecision ServiceRollout::Tick(const router::RouterStats& stats, int new_healthy,
                                              int64_t now_ms) {
  rollout::RolloutInputs in;
  in.now_ms = now_ms;
  in.new_healthy = new_healthy;
  return Step(in, stats);
}

rollout::RolloutDecision ServiceRollout::Command(rollout::RolloutCommand command,
                                                 const std::string& actor,
                                                 const router::RouterStats& stats, int new_healthy,
                                                 int64_t now_ms) {
  rollout::RolloutInputs in;
  in.now_ms = now_ms;
  in.new_healthy = new_healthy;
  in.command = command;
  in.actor = actor;
  return Step(in, stats);
}

nlohmann::json ServiceRollout::Record() const {
  return nlohmann::json{{"revision", new_revision_},
                        {"state", rollout::ToJson(state_)},
                        {"step_run_id", step_run_id_},
                        {"step_run", rollout::ToJson(step_run_)},
                        {"background_started", background_started_},
                        {"background_run", rollout::ToJson(background_run_)},
                        {"intervals", rollout::ToJson(intervals_)}};
}

Status ServiceRollout::Restore(const nlohmann::json& record) {
  try {
    if (record.at("revision").get<int64_t>() != new_revision_) {
      return MakeError(ErrorCode::kConflict, "rollout record is for another revision");
    }
    auto state = rollout::RolloutStateFromJson(record.at("state"));
    if (!state.ok()) return state.error();
    auto step_run = rollout::AnalysisRunStateFromJson(record.at("step_run"));
    if (!step_run.ok()) return step_run.error();
    auto background_run = rollout::AnalysisRunStateFromJson(record.at("background_run"));
    if (!background_run.ok()) return background_run.error();
    state_ = *state;
    step_run_id_ = record.at("step_run_id").get<uint64_t>();
    step_run_ = *step_run;
    background_started_ = record.at("background_started").get<bool>();
    background_run_ = *background_run;
    // Records written before intervals were kept have none. A history that does not parse is
    // dropped rather than refusing the record: it only shows the course, and refusing would
    // start the rollout over.
    intervals_ = {};
    if (record.contains("intervals")) {
      auto intervals = rollout::IntervalHistoryFromJson(record.at("intervals"));
      if (intervals.ok()) intervals_ = std::move(*intervals);
    }
    // The interval in progress is not persisted: the first tick after a restart starts a new
    // one, so no verdict ever spans the gap.
    next_judgement_ms_ = 0;
    return OkStatus();
  } catch (const nlohmann::json::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, std::string("rollout record: ") + e.what());
  }
}

}  // namespace cairn::control
