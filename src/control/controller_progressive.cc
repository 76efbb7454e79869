// Canary and blue-green rollouts in the controller: the glue between the reconcile loop and a
// ServiceRollout. Which instances run, how traffic splits and what is persisted all follow the
// rollout engine's decision (src/rollout); this file only carries it out.
//
// A service is in a progressive rollout when its head template uses canary or blue_green and
// differs from the template of its stable revision (meta stable/<service>). The first version
// of a service has nothing to compare with and simply starts; a change of replicas or of the
// strategy alone replaces nothing, as with rolling.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "control/controller.h"
#include "control/controller_internal.h"
#include "control/progressive_decision.h"

namespace cairn::control {
namespace {

std::string RolloutKey(const std::string& service) { return "rollout/" + service; }

// The strategy as /metrics and `cairn rollout status` name it.
const char* StrategyLabel(const spec::ServiceSpec& target) {
  return target.strategy == spec::StrategyKind::kCanary ? "canary" : "blue_green";
}

}  // namespace

bool Controller::ReconcileProgressive(const std::string& name, const spec::ServiceSpec& target,
                                      const std::string& target_hash, int64_t target_revision,
                                      SteadyTime now) {
  auto stable_meta = MetaNumber("stable/" + name);
  if (!stable_meta) return false;
  int64_t stable_revision = *stable_meta;
  if (stable_revision == target_revision) return false;

  int64_t wall_ms = ToUnixMillis(clock_->WallNow());
  auto it = progressive_.find(name);
  if (it == progressive_.end() || it->second->rollout.new_revision() != target_revision ||
      it->second->stable_revision != stable_revision) {
    // A rollout to start (or resume after a restart): worked out once, not on every tick.
    if (it != progressive_.end()) {
      // The one in progress is superseded by a newer revision (or a new stable one).
      CountSuperseded(name, *it->second);
    }
    auto stable_spec = SpecOf(stable_revision);
    if (!stable_spec.ok() || !(*stable_spec)->services.count(name)) return false;
    const spec::ServiceSpec& stable = (*stable_spec)->services.at(name);
    std::string stable_hash = spec::ServiceTemplateHash(stable);
    if (stable_hash == target_hash) return false;  // a scale or a strategy-only change
    auto setup = RolloutFromSpec(target);
    if (!setup.ok()) return false;  // refused at apply (PinAndValidate)
    ExpandQueries({name, target_revision, stable_revision}, &setup->analyses);
    auto started =
        ServiceRollout::Start(name, target_revision, setup->plan, setup->analyses, wall_ms);
    auto fresh = std::make_unique<Progressive>(std::move(started), std::move(*setup));
    fresh->stable_revision = stable_revision;
    fresh->target = target;
    fresh->stable = stable;
    fresh->target_hash = target_hash;
    fresh->stable_hash = stable_hash;
    bool resumed = false;
    if (auto saved = Meta(RolloutKey(name))) {
      auto record = nlohmann::json::parse(*saved, nullptr, false);
      resumed = !record.is_discarded() && fresh->rollout.Restore(record).ok();
      if (resumed) fresh->saved = *saved;
    }
    char weight[32];
    std::snprintf(weight, sizeof(weight), "%g%%", fresh->rollout.state().weight_bp / 100.0);
    const char* kind = target.strategy == spec::StrategyKind::kCanary ? "canary" : "blue-green";
    events_.Add(resumed ? "rollout.resumed" : "rollout.started", name, "",
                std::string(resumed ? "resumed the " : "started a ") + kind + " rollout of " +
                    name + " to revision " + std::to_string(target_revision) + " over revision " +
                    std::to_string(stable_revision) +
                    (resumed ? " at step " + std::to_string(fresh->rollout.state().step + 1) +
                                   ", weight " + weight
                             : ""));
    ++counters_.rollouts_started[{name, StrategyLabel(target)}];
    it = progressive_.insert_or_assign(name, std::move(fresh)).first;
  }
  Progressive& p = *it->second;

  // Instances adopted after a restart have no health answer yet: keep the persisted split and
  // decide nothing, so traffic never flips while the server recovers.
  bool settling = false;
  for (const auto& [id, live] : live_) {
    if (live->record.service == name && live->adopted && !live->probed &&
        now - live->started_steady < kAdoptionSettle) {
      settling = true;
    }
  }
  TrafficSplit& split = splits_[name];
  split.new_revision = target_revision;
  split.new_weight_bp = p.rollout.state().weight_bp;
  split.cohort = p.setup.cohort;
  if (settling) return true;

  int new_healthy = HealthyInstances(name, p.target_hash);
  router::RouterStats stats = MeasurementsFor(p);
  // The progress deadline: the instances a step asked for must be healthy within it, or the
  // rollout is aborted (as a rolling replace falls back).
  Duration deadline = target.strategy == spec::StrategyKind::kCanary
                          ? target.canary.progress_deadline
                          : target.blue_green.progress_deadline;
  if (new_healthy >= p.wanted_new) {
    p.short_since = SteadyTime{};
  } else if (p.short_since == SteadyTime{}) {
    p.short_since = now;
  } else if (now - p.short_since >= deadline) {
    std::string why = "the progress deadline (" + std::to_string(new_healthy) + " of " +
                      std::to_string(p.wanted_new) + " new instances healthy after " +
                      FormatDuration(deadline) + ")";
    ApplyProgressive(
        name, p.rollout.Command(rollout::RolloutCommand::kAbort, why, stats, new_healthy, wall_ms),
        now);
    return true;
  }
  ApplyProgressive(name, p.rollout.Tick(stats, new_healthy, wall_ms), now);
  return true;
}

void Controller::ApplyProgressive(const std::string& name, const rollout::RolloutDecision& decision,
                                  SteadyTime now) {
  Progressive& p = *progressive_.at(name);
  p.wanted_new = decision.targets.new_replicas;
  SendQueries(name, p);
  if (!decision.events.empty()) {
    // Each event carries where the rollout stands after this decision, for the dashboard,
    // alerts and scripts; a verdict also carries its own numbers.
    const rollout::RolloutState& state = p.rollout.state();
    nlohmann::json where = {
        {"strategy", p.setup.plan.kind == rollout::StrategyKind::kCanary ? "canary" : "blue_green"},
        {"revision", p.rollout.new_revision()},
        {"stable_revision", p.stable_revision},
        {"phase", rollout::RolloutPhaseName(state.phase)},
        {"step", state.step + 1},
        {"steps", p.setup.plan.steps.size()},
        {"weight_percent", state.weight_bp / 100.0},
        {"paused", state.user_paused}};
    for (const rollout::RolloutEvent& e : decision.events) {
      nlohmann::json data = e.data;
      data["rollout"] = where;
      events_.Add(e.type, name, "", e.message, std::move(data));
    }
  }
  for (rollout::Verdict v : p.rollout.TakeVerdicts()) {
    ++counters_.verdicts[{name, rollout::VerdictName(v)}];
  }
  // Persisted at every transition: a restarted server resumes at the same step and weight.
  std::string record = p.rollout.Record().dump();
  if (record != p.saved) {
    SetMeta(RolloutKey(name), record);
    p.saved = record;
  }

  const rollout::RolloutTargets& t = decision.targets;
  std::vector<InstanceView> views;
  for (const auto& [id, live] : live_) {
    if (live->record.service == name) {
      views.push_back({id, live->record.template_hash, live->phase});
    }
  }
  ProgressiveDecision d =
      DecideProgressive({p.target_hash, t.new_replicas, p.stable_hash, t.stable_replicas}, views);
  int64_t new_revision = p.rollout.new_revision();
  for (const std::string& id : d.stop) {
    Live& live = *live_.at(id);
    // The old version's instances give way to the new one; the new one's are stopped only
    // when the rollout went back (aborted, or fewer canary instances).
    if (live.record.template_hash != p.target_hash) {
      BeginStop(live, "", new_revision);
    } else {
      BeginStop(live, "rollout of revision " + std::to_string(new_revision) + ": " +
                          rollout::RolloutPhaseName(p.rollout.state().phase));
    }
  }
  if (d.start_new > 0)
    StartInstances(name, new_revision, p.target, p.target_hash, d.start_new, now);
  if (d.start_stable > 0) {
    StartInstances(name, p.stable_revision, p.stable, p.stable_hash, d.start_stable, now);
  }

  TrafficSplit& split = splits_[name];
  split.new_revision = new_revision;
  split.new_weight_bp = t.new_weight_bp;
  split.cohort = p.setup.cohort;
  split.preview_ports = t.preview ? p.setup.preview_ports : std::map<std::string, int>{};

  rollout::RolloutPhase phase = p.rollout.state().phase;
  if (phase == rollout::RolloutPhase::kCompleted) {
    // The stable instances were just stopped (drained first); the rolling bookkeeping takes
    // over from here with the new revision as the target and reports completion.
    SetMeta("stable/" + name, std::to_string(new_revision));
    ++counters_.rollouts_finished[{name, StrategyLabel(p.target), "completed"}];
    EndProgressive(name);
  } else if (phase == rollout::RolloutPhase::kAborted) {
    // Every canary instance is already out of the route table and stopping (new_replicas 0):
    // the head is marked failed for this service, and the fallback to the stable revision
    // (controller_loop.cc) keeps what runs.
    std::string reason = p.rollout.state().abort_reason;
    SetMeta("failed/" + name, std::to_string(new_revision));
    SetMeta("failed_reason/" + name, "rollout aborted: " + reason);
    Rollout& r = rollouts_[name];
    r.state = RolloutState::kFailed;
    r.reason = "rollout aborted: " + reason;
    // Why, for alerts and dashboards: a missed progress deadline, a failed analysis, or a person.
    std::string cause = reason.find("the progress deadline") != std::string::npos ? "deadline"
                        : reason.find("analysis failed") != std::string::npos     ? "analysis"
                                                                                  : "aborted";
    ++counters_.rollouts_finished[{name, StrategyLabel(p.target),
                                   p.aborted_by_person ? "aborted" : "failed"}];
    events_.Add("rollout.failed", name, "",
                "rollout of " + name + " to revision " + std::to_string(new_revision) +
                    " aborted: " + reason + "; back on revision " +
                    std::to_string(p.stable_revision),
                {{"revision", new_revision},
                 {"stable_revision", p.stable_revision},
                 {"cause", cause},
                 {"reason", reason}});
    EndProgressive(name);
  }
}

void Controller::SendQueries(const std::string& name, Progressive& p) {
  for (PendingQuery& q : p.rollout.TakeQueries()) {
    metrics_->Query(q.request, [this, alive = std::weak_ptr<int>(alive_), name,
                                revision = p.rollout.new_revision(), batch = q.batch,
                                background = q.background](rollout::MetricReading reading) {
      if (alive.expired()) return;
      auto it = progressive_.find(name);
      if (it == progressive_.end() || it->second->rollout.new_revision() != revision) return;
      it->second->rollout.SupplyReading(batch, background, std::move(reading));
    });
  }
}

int Controller::HealthyInstances(const std::string& service,
                                 const std::string& template_hash) const {
  int n = 0;
  for (const auto& [id, live] : live_) {
    n += live->record.service == service && live->record.template_hash == template_hash &&
         live->phase == InstancePhase::kHealthy;
  }
  return n;
}

router::RouterStats Controller::MeasurementsFor(const Progressive& p) {
  // Collecting the router's counters visits every worker: only when an analysis needs them.
  if (!options_.routes || !p.rollout.WantsMeasurements()) return {};
  return options_.routes->Stats();
}

void Controller::CountSuperseded(const std::string& name, const Progressive& p) {
  ++counters_.rollouts_finished[{name, StrategyLabel(p.target), "superseded"}];
}

void Controller::SupersedeProgressive(const std::string& name) {
  CountSuperseded(name, *progressive_.at(name));
  EndProgressive(name);
}

void Controller::EndProgressive(const std::string& name) {
  progressive_.erase(name);
  splits_.erase(name);
  ClearMeta(RolloutKey(name));
}

ProgressiveInfo Controller::ProgressiveOf(const std::string& name) const {
  const Progressive& p = *progressive_.at(name);
  ProgressiveInfo info;
  info.strategy = p.rollout.plan().kind == rollout::StrategyKind::kCanary ? "canary" : "blue_green";
  info.new_revision = p.rollout.new_revision();
  info.stable_revision = p.stable_revision;
  info.state = p.rollout.state();
  info.steps = p.rollout.plan().steps.size();
  info.step_run = p.rollout.step_run();
  info.background_run = p.rollout.background_run();
  if (p.rollout.last_judgement()) info.last_verdict = p.rollout.last_judgement()->Summary();
  if (const AnalysisConfig* a = p.rollout.ActiveStepAnalysis()) info.step_analysis = *a;
  if (const AnalysisConfig* a = p.rollout.ActiveBackgroundAnalysis()) info.background_analysis = *a;
  const auto& intervals = p.rollout.intervals().records();
  info.intervals.assign(intervals.begin(), intervals.end());
  info.replicas = p.target.replicas;
  info.new_healthy = HealthyInstances(name, p.target_hash);
  return info;
}

Result<ProgressiveInfo> Controller::RolloutCommand(const std::string& service,
                                                   rollout::RolloutCommand command,
                                                   const std::string& actor) {
  std::string action = std::string("rollout.") + rollout::RolloutCommandName(command);
  auto it = progressive_.find(service);
  if (it == progressive_.end() && command == rollout::RolloutCommand::kRetry && head_) {
    // An aborted rollout has handed the service back to its stable revision: retrying clears
    // the head's failure for the service, and the next tick starts the rollout afresh.
    auto failed = MetaNumber("failed/" + service);
    if (failed && *failed == head_->number) {
      ClearMeta("failed/" + service);
      ClearMeta("failed_reason/" + service);
      rollouts_.erase(service);
      events_.Add("rollout.retried", service, "",
                  "rollout of " + service + " to revision " + std::to_string(head_->number) +
                      " started again" + (actor.empty() ? "" : " by " + actor));
      Audit(actor, action, service, "ok");
      ProgressiveInfo info;
      info.new_revision = head_->number;
      return info;
    }
  }
  if (it == progressive_.end()) {
    if (auto rolling = RollingCommand(service, command, actor)) return *rolling;
    Audit(actor, action, service, "refused: no rollout in progress");
    return MakeError(ErrorCode::kNotFound, "no rollout of " + service + " is in progress");
  }
  Progressive& p = *it->second;
  int new_healthy = HealthyInstances(service, p.target_hash);
  router::RouterStats stats = MeasurementsFor(p);
  rollout::RolloutDecision d =
      p.rollout.Command(command, actor, stats, new_healthy, ToUnixMillis(clock_->WallNow()));
  if (!d.command_error.empty()) {
    Audit(actor, action, service, "refused: " + d.command_error);
    return MakeError(ErrorCode::kConflict, d.command_error);
  }
  ProgressiveInfo info = ProgressiveOf(service);
  Audit(actor, action, service, "ok");
  p.aborted_by_person = command == rollout::RolloutCommand::kAbort;
  ApplyProgressive(service, d, clock_->Now());
  PublishRoutes();  // an abort or a switch reaches the router now, not at the next tick
  return info;
}

}  // namespace cairn::control
