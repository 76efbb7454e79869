// A rolling replace under the rolling machine (src/rollout/rolling_machine.cc): the reconcile
// loop (controller_loop.cc) still lets DecideService pick which instance to start or stop
// next; this file starts the machine for a replace of the head, holds the replace while a
// person has paused it, records its end, and carries out `cairn rollout pause | resume |
// abort` for it. An abort marks the head failed for the service, as a missed progress deadline
// does, so the existing fallback puts the stable revision's instances back.
#include <nlohmann/json.hpp>

#include "control/controller.h"
#include "control/controller_internal.h"

namespace cairn::control {
namespace {

std::string RolloutKey(const std::string& service) { return "rollout/" + service; }

rollout::RolloutPlan RollingPlan(int replicas) {
  rollout::RolloutPlan plan;
  plan.kind = rollout::StrategyKind::kRolling;
  plan.replicas = replicas;
  return plan;
}

}  // namespace

void Controller::StartRolling(const std::string& name, Rollout& r, int64_t stable_revision) {
  int64_t now_ms = ToUnixMillis(clock_->WallNow());
  r.machine = rollout::StartRollout(RollingPlan(r.replicas), now_ms);
  r.stable_revision = stable_revision;
  // A restarted server carries on where the last one was (paused or not).
  if (auto saved = Meta(RolloutKey(name))) {
    auto record = nlohmann::json::parse(*saved, nullptr, false);
    if (record.is_object() && record.value("strategy", "") == "rolling" &&
        record.value("revision", int64_t{0}) == r.revision && record.contains("state")) {
      auto state = rollout::RolloutStateFromJson(record["state"]);
      if (state.ok()) {
        r.machine = *state;
        r.saved = *saved;
      }
    }
  }
  if (r.machine->user_paused) r.paused_since = clock_->Now();
  ++counters_.rollouts_started[{name, "rolling"}];
  SaveRolling(name, r);
}

void Controller::SaveRolling(const std::string& name, Rollout& r) {
  if (!r.machine) return;
  std::string record =
      nlohmann::json{
          {"strategy", "rolling"}, {"revision", r.revision}, {"state", rollout::ToJson(*r.machine)}}
          .dump();
  if (record == r.saved) return;
  SetMeta(RolloutKey(name), record);
  r.saved = record;
}

bool Controller::RollingHeld(const std::string& name, Rollout& r, SteadyTime now) {
  (void)name;
  if (!r.machine || rollout::IsTerminal(r.machine->phase)) return false;
  if (r.machine->user_paused) {
    if (r.paused_since == SteadyTime{}) r.paused_since = now;
    return true;
  }
  if (r.paused_since != SteadyTime{}) {
    // Resumed: the progress deadline does not count the time spent paused.
    r.started_at += now - r.paused_since;
    r.paused_since = SteadyTime{};
  }
  return false;
}

void Controller::FinishRolling(const std::string& name, Rollout& r) {
  if (!r.machine) return;
  rollout::RolloutInputs in;
  in.now_ms = ToUnixMillis(clock_->WallNow());
  in.rolling_done = true;
  rollout::Advance(RollingPlan(r.replicas), &*r.machine, in);
  if (r.machine->phase == rollout::RolloutPhase::kCompleted) {
    ++counters_.rollouts_finished[{name, "rolling", "completed"}];
    r.machine.reset();
    r.saved.clear();
    ClearMeta(RolloutKey(name));
  }
}

std::optional<Result<ProgressiveInfo>> Controller::RollingCommand(const std::string& service,
                                                                  rollout::RolloutCommand command,
                                                                  const std::string& actor) {
  auto it = rollouts_.find(service);
  if (it == rollouts_.end() || !it->second.machine ||
      rollout::IsTerminal(it->second.machine->phase)) {
    return std::nullopt;
  }
  Rollout& r = it->second;
  std::string action = std::string("rollout.") + rollout::RolloutCommandName(command);
  rollout::RolloutInputs in;
  in.now_ms = ToUnixMillis(clock_->WallNow());
  in.new_healthy = HealthyInstances(service, r.template_hash);
  in.command = command;
  in.actor = actor;
  rollout::RolloutDecision d = rollout::Advance(RollingPlan(r.replicas), &*r.machine, in);
  if (!d.command_error.empty()) {
    Audit(actor, action, service, "refused: " + d.command_error);
    return MakeError(ErrorCode::kConflict, d.command_error);
  }
  for (const rollout::RolloutEvent& e : d.events) events_.Add(e.type, service, "", e.message);
  ProgressiveInfo info = RollingInfo(service, r);
  Audit(actor, action, service, "ok");
  if (r.machine->phase == rollout::RolloutPhase::kAborted) {
    // As a missed progress deadline: the head is failed for this service and the next tick
    // falls back to the stable revision, replacing the new instances with stable ones.
    std::string reason = "rollout aborted: " + r.machine->abort_reason;
    SetMeta("failed/" + service, std::to_string(r.revision));
    SetMeta("failed_reason/" + service, reason);
    r.state = RolloutState::kFailed;
    r.reason = reason;
    ++counters_.rollouts_finished[{service, "rolling", "aborted"}];
    events_.Add("rollout.failed", service, "",
                "rolling replace of " + service + " to revision " + std::to_string(r.revision) +
                    " aborted: " + r.machine->abort_reason + "; returning to revision " +
                    std::to_string(r.stable_revision),
                {{"revision", r.revision},
                 {"stable_revision", r.stable_revision},
                 {"cause", "aborted"},
                 {"reason", r.machine->abort_reason}});
    r.machine.reset();
    r.saved.clear();
    ClearMeta(RolloutKey(service));
    return info;
  }
  SaveRolling(service, r);
  return info;
}

ProgressiveInfo Controller::RollingInfo(const std::string& name, const Rollout& r) const {
  ProgressiveInfo info;
  info.strategy = "rolling";
  info.new_revision = r.revision;
  info.stable_revision = r.stable_revision;
  if (r.machine) info.state = *r.machine;
  info.replicas = r.replicas;
  info.new_healthy = HealthyInstances(name, r.template_hash);
  return info;
}

}  // namespace cairn::control
