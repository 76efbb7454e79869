// The reconcile loop: every tick, observe processes and health, then let DecideService say
// what to start and stop, and track each service's rollout against its progress deadline.
#include <algorithm>
#include <filesystem>
#include <set>

#include "control/controller.h"
#include "control/controller_internal.h"
#include "control/host_scan.h"
#include "core/ids.h"
#include "runtime/log_rotation.h"
#include "runtime/probe.h"
#include "runtime/proc.h"

namespace cairn::control {
namespace {

constexpr Duration kRotationInterval{5000};
// The least time between taking an instance out of the route table and stopping it.
constexpr Duration kDrainGrace{200};

std::string MetaKey(const char* kind, const std::string& service) {
  return std::string(kind) + "/" + service;
}

}  // namespace

void Controller::ScheduleTick() {
  timer_.expires_after(options_.tick);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !running_) return;
    Tick();
    if (running_) ScheduleTick();
  });
}

void Controller::Tick() {
  SteadyTime now = clock_->Now();
  ObserveProcesses(now);
  RestartCrashed(now);
  ProbeDue(now);
  if (!stopping_all_) Reconcile(now);
  PublishRoutes();
  FinishDrains(now);
  WatchEjections(now);
  RotateLogs(now);
  FlushEvents();
  FinishStopAll();
  counters_.ObserveTick(clock_->Now() - now);
}

void Controller::ObserveProcesses(SteadyTime now) {
  std::vector<std::string> gone;
  for (auto& [id, live] : live_) {
    if (live->phase == InstancePhase::kCrashed) continue;
    runtime::InstanceStatus status = driver_->Inspect(live->handle);
    bool setting_up = status.state == runtime::InstanceState::kStarting;
    if (status.state == runtime::InstanceState::kRunning || setting_up) {
      // Without a health check, "healthy" means seen running after the (re)start, not merely
      // started: a command that exits at once must never count, nor complete a rollout.
      if (!setting_up && live->phase == InstancePhase::kStarting &&
          live->service.health.kind == spec::HealthKind::kNone) {
        live->phase = InstancePhase::kHealthy;
        if (!live->adopted) {
          counters_.ObserveStartLatency(live->record.service, now - live->started_steady);
        }
      }
      if (live->phase == InstancePhase::kStopping && !live->draining && !live->kill_sent &&
          now >= live->stop_deadline) {
        (void)driver_->Kill(live->handle);
        live->kill_sent = true;
        events_.Add("instance.killed", live->record.service, id,
                    "instance " + id + " did not stop within " +
                        FormatDuration(live->service.stop_timeout) + "; sent SIGKILL");
      }
      continue;
    }
    if (live->phase == InstancePhase::kStopping) {
      events_.Add("instance.stopped", live->record.service, id, "instance " + id + " stopped");
      gone.push_back(id);
      continue;
    }
    if (status.state == runtime::InstanceState::kStartFailed) {
      // The runtime could not set it up (runc, a command missing from the image): a failed
      // start, retried with the template's start backoff, not a crash of a program that ran.
      live->phase = InstancePhase::kCrashed;
      live->probe_in_flight = false;
      live->restart_at =
          OnStartFailure(live->record.service, live->record.template_hash, id,
                         MakeError(ErrorCode::kUnavailable, status.start_error), now);
      continue;
    }
    std::string how = status.state == runtime::InstanceState::kExited
                          ? (status.signal ? "was killed by signal " + std::to_string(status.signal)
                                           : "exited with code " + std::to_string(status.exit_code))
                          : "disappeared";
    live->phase = InstancePhase::kCrashed;
    live->probe_in_flight = false;
    bool was_looping = live->restarts.crash_looping();
    live->restart_at = live->restarts.OnExit(live->started_steady, now);
    if (!was_looping && live->restarts.crash_looping())
      ++counters_.crash_loops[live->record.service];
    auto delay = std::chrono::duration_cast<Duration>(live->restart_at - now);
    std::string loop = live->restarts.crash_looping() ? " (crash loop)" : "";
    events_.Add("instance.crashed", live->record.service, id,
                "instance " + id + " " + how + "; restarting in " + FormatDuration(delay) + loop,
                {{"revision", live->record.revision},
                 {"exit_code", status.exit_code},
                 {"signal", status.signal},
                 {"restarts", live->restarts.restarts()},
                 {"crash_looping", live->restarts.crash_looping()},
                 {"restart_in_seconds", delay.count() / 1000.0}});
  }
  for (const auto& id : gone) Forget(id);
}

void Controller::RestartCrashed(SteadyTime now) {
  for (auto& [id, live] : live_) {
    if (live->phase != InstancePhase::kCrashed || now < live->restart_at) continue;
    // A template whose starts fail (here or for a new instance) waits out the same backoff.
    auto key = std::make_pair(live->record.service, live->record.template_hash);
    if (auto b = start_backoff_.find(key); b != start_backoff_.end() && !b->second.Allows(now)) {
      live->restart_at = b->second.next_try();
      continue;
    }
    if (auto ok = LaunchProcess(*live); !ok.ok()) {
      live->restart_at = OnStartFailure(key.first, key.second, id, ok.error(), now);
      continue;
    }
    start_backoff_.erase(key);
    ++counters_.instance_restarts[live->record.service];
    events_.Add("instance.restarted", live->record.service, id,
                "restarted instance " + id + " (pid " + std::to_string(live->handle.pid) +
                    ", restart " + std::to_string(live->restarts.restarts()) + ")");
  }
}

void Controller::ProbeDue(SteadyTime now) {
  for (auto& [id, live] : live_) {
    const spec::HealthSpec& h = live->service.health;
    if (h.kind == spec::HealthKind::kNone || live->probe_in_flight || now < live->next_probe) {
      continue;
    }
    if (live->phase == InstancePhase::kCrashed || live->phase == InstancePhase::kStopping) {
      continue;
    }
    runtime::ProbeSpec probe;
    probe.kind = h.kind == spec::HealthKind::kHttp  ? runtime::ProbeKind::kHttp
                 : h.kind == spec::HealthKind::kTcp ? runtime::ProbeKind::kTcp
                                                    : runtime::ProbeKind::kExec;
    probe.http_path = h.http_path;
    probe.exec_command = h.exec_command;
    probe.timeout = h.timeout;
    live->probe_in_flight = true;
    live->next_probe = now + h.interval;
    uint64_t generation = live->generation;
    std::string instance_id = id;
    runtime::StartProbe(io_, probe, live->record.port, live->service.env,
                        [this, instance_id, generation](runtime::ProbeResult result) {
                          auto it = live_.find(instance_id);
                          if (it == live_.end() || it->second->generation != generation) return;
                          OnProbeResult(instance_id, result.ok, result.detail);
                        });
  }
}

void Controller::OnProbeResult(const std::string& id, bool ok, const std::string& detail) {
  Live& live = *live_.at(id);
  live.probe_in_flight = false;
  live.probed = true;
  live.last_probe = detail;
  if (live.phase == InstancePhase::kCrashed || live.phase == InstancePhase::kStopping) return;
  runtime::Health before = live.health.state();
  runtime::Health after = live.health.Observe(ok, clock_->Now());
  live.phase = after == runtime::Health::kHealthy     ? InstancePhase::kHealthy
               : after == runtime::Health::kUnhealthy ? InstancePhase::kUnhealthy
                                                      : InstancePhase::kStarting;
  if (before == runtime::Health::kStarting && after == runtime::Health::kHealthy && !live.adopted) {
    counters_.ObserveStartLatency(live.record.service, clock_->Now() - live.started_steady);
  }
  if (before != after) {
    events_.Add(std::string("instance.") + runtime::HealthName(after), live.record.service, id,
                "instance " + id + " is " + runtime::HealthName(after) + " (" + detail + ")",
                {{"revision", live.record.revision}, {"detail", detail}});
  }
}

void Controller::Reconcile(SteadyTime now) {
  const spec::EnvironmentSpec* head_spec = nullptr;
  if (head_) {
    auto spec = SpecOf(head_->number);
    if (spec.ok()) head_spec = *spec;
  }
  std::set<std::string> names;
  if (head_spec) {
    for (const auto& [name, svc] : head_spec->services) names.insert(name);
  }
  for (const auto& [id, live] : live_) names.insert(live->record.service);
  // A service neither in the head nor running any instance is gone: say so once, and forget
  // its rollout records so a service of the same name later starts afresh.
  for (auto it = rollouts_.begin(); it != rollouts_.end();) {
    if (names.count(it->first)) {
      ++it;
      continue;
    }
    ClearMeta(MetaKey("stable", it->first));
    ClearMeta(MetaKey("failed", it->first));
    ClearMeta(MetaKey("failed_reason", it->first));
    ClearMeta(MetaKey("rollout", it->first));
    ClearMeta(MetaKey("drift", it->first));
    events_.Add("service.removed", it->first, "", "service " + it->first + " removed");
    it = rollouts_.erase(it);
  }
  std::erase_if(start_backoff_, [&](const auto& entry) { return !names.count(entry.first.first); });

  for (const std::string& name : names) {
    // Which template should run: the head's, or after a failed rollout the last good one.
    const spec::ServiceSpec* target = nullptr;
    int64_t target_revision = head_ ? head_->number : 0;
    bool fallback = false;
    if (head_spec && head_spec->services.count(name)) {
      target = &head_spec->services.at(name);
      auto failed = MetaNumber(MetaKey("failed", name));
      auto stable = MetaNumber(MetaKey("stable", name));
      if (failed && *failed == head_->number && stable) {
        int64_t stable_rev = *stable;
        auto stable_spec = SpecOf(stable_rev);
        if (stable_spec.ok() && (*stable_spec)->services.count(name)) {
          target = &(*stable_spec)->services.at(name);
          target_revision = stable_rev;
          fallback = true;
        }
      }
    }

    ServiceTarget t;
    if (target) {
      t.template_hash = spec::ServiceTemplateHash(*target);
      t.replicas = target->replicas;
      t.max_surge = target->rolling.max_surge.Resolve(target->replicas, true);
      t.max_unavailable = target->rolling.max_unavailable.Resolve(target->replicas, false);
    }

    Rollout& rollout = rollouts_[name];
    if (rollout.template_hash != t.template_hash || rollout.revision != target_revision ||
        rollout.replicas != t.replicas || rollout.fallback != fallback) {
      Rollout fresh;
      fresh.revision = target_revision;
      fresh.template_hash = t.template_hash;
      fresh.replicas = t.replicas;
      fresh.fallback = fallback;
      fresh.started_at = now;
      if (fallback) {
        fresh.state = RolloutState::kFailed;
        // Keep saying why the head is not running, also after a server restart.
        fresh.reason = rollout.reason;
        auto saved = Meta(MetaKey("failed_reason", name));
        if (fresh.reason.empty() && saved) fresh.reason = *saved;
      }
      (void)MetaNumber(MetaKey("drift", name));  // loads the drift count for status (cached)
      bool had_machine = rollout.machine.has_value();
      // A rolling machine still running ends here: a newer apply took its place.
      if (had_machine) ++counters_.rollouts_finished[{name, "rolling", "superseded"}];
      rollout = std::move(fresh);
      // A rolling replace of what runs (the stable revision's template differs) runs under the
      // rolling machine; a scale or the first version of a service is no replace.
      bool replace = false;
      if (target && !fallback && target->strategy == spec::StrategyKind::kRolling) {
        if (auto stable = MetaNumber(MetaKey("stable", name))) {
          int64_t stable_rev = *stable;
          auto stable_spec = SpecOf(stable_rev);
          replace = stable_rev != target_revision && stable_spec.ok() &&
                    (*stable_spec)->services.count(name) &&
                    spec::ServiceTemplateHash((*stable_spec)->services.at(name)) != t.template_hash;
          if (replace) StartRolling(name, rollout, stable_rev);
        }
      }
      if (had_machine && !replace) ClearMeta(MetaKey("rollout", name));
    }

    // Canary and blue-green follow their rollout engine (controller_progressive.cc).
    if (target && !fallback && target->strategy != spec::StrategyKind::kRolling &&
        ReconcileProgressive(name, *target, t.template_hash, target_revision, now)) {
      continue;
    }
    // Still running when the head moved on (to a rolling change, a removal): superseded.
    if (progressive_.count(name)) SupersedeProgressive(name);

    std::vector<InstanceView> views;
    bool settling = false;
    bool any_stopping = false;
    for (const auto& [id, live] : live_) {
      if (live->record.service != name) continue;
      any_stopping = any_stopping || live->phase == InstancePhase::kStopping;
      if (live->adopted && !live->probed && now - live->started_steady < kAdoptionSettle) {
        settling = true;
      }
      views.push_back({id, live->record.template_hash, live->phase});
    }
    if (settling) continue;
    // A paused rolling replace starts and stops nothing until it is resumed.
    if (RollingHeld(name, rollout, now)) continue;

    ServiceDecision decision = DecideService(t, views);
    for (const auto& id : decision.stop) {
      Live& live = *live_.at(id);
      if (!target) {
        BeginStop(live,
                  "service " + name + " is not in revision " + std::to_string(target_revision));
      } else if (live.record.template_hash != t.template_hash) {
        BeginStop(live, "", target_revision);
      } else {
        BeginStop(live, "scaled down to " + std::to_string(t.replicas) + " instances");
      }
    }
    if (decision.start > 0 && target) {
      StartInstances(name, target_revision, *target, t.template_hash, decision.start, now);
    }

    // Old instances still draining: the new ones are all up, so nothing can fail any more,
    // but the rollout is only done once the old ones are gone.
    if (decision.complete && (any_stopping || !decision.stop.empty())) continue;
    if (decision.complete) {
      // Report reaching the target once, not per tick. A fallback stays kFailed throughout:
      // the head is not what runs.
      if (!rollout.settled) {
        rollout.settled = true;
        rollout.state = fallback ? RolloutState::kFailed : RolloutState::kComplete;
        if (!target) {
          // Nothing left to run; "service.removed" follows once its records are gone.
        } else if (!fallback) {
          FinishRolling(name, rollout);
          SetMeta(MetaKey("stable", name), std::to_string(target_revision));
          events_.Add("rollout.completed", name, "",
                      "service " + name + ": " + std::to_string(t.replicas) + " of " +
                          std::to_string(t.replicas) + " instances of revision " +
                          std::to_string(target_revision) + " healthy");
        } else {
          events_.Add(
              "rollout.reverted", name, "",
              "service " + name + " is back on revision " + std::to_string(target_revision));
        }
      }
      continue;
    }
    // Something changed after the target was reached (an instance crashed, a drifted root is
    // being replaced): work again, with the progress deadline counted from now, not from the
    // apply that may be hours old.
    if (rollout.settled) rollout.started_at = now;
    rollout.settled = false;
    if (rollout.state == RolloutState::kComplete) rollout.state = RolloutState::kProgressing;

    if (!target || fallback || rollout.state == RolloutState::kFailed) continue;
    if (now - rollout.started_at < target->rolling.progress_deadline) continue;
    // Past the deadline: say why, mark the head failed for this service, fall back.
    int healthy_new = 0;
    std::string sample;
    for (const auto& [id, live] : live_) {
      if (live->record.service != name || live->record.template_hash != t.template_hash) continue;
      if (live->phase == InstancePhase::kHealthy) {
        ++healthy_new;
      } else if (sample.empty()) {
        sample = "; instance " + id + " is " + InstancePhaseName(live->phase) +
                 (live->last_probe.empty() ? "" : " (" + live->last_probe + ")");
      }
    }
    rollout.state = RolloutState::kFailed;
    rollout.reason = std::to_string(healthy_new) + " of " + std::to_string(t.replicas) +
                     " new instances healthy after the progress deadline of " +
                     FormatDuration(target->rolling.progress_deadline) + sample;
    SetMeta(MetaKey("failed", name), std::to_string(head_->number));
    SetMeta(MetaKey("failed_reason", name), rollout.reason);
    if (rollout.machine) {
      ++counters_.rollouts_finished[{name, "rolling", "failed"}];
      rollout.machine.reset();
      ClearMeta(MetaKey("rollout", name));
    }
    auto stable = MetaNumber(MetaKey("stable", name));
    std::string next = stable ? "; returning to revision " + std::to_string(*stable)
                              : "; no earlier revision of this service to return to";
    nlohmann::json data = {{"revision", head_->number},
                           {"cause", "deadline"},
                           {"reason", rollout.reason},
                           {"healthy", healthy_new},
                           {"replicas", t.replicas}};
    if (stable) data["stable_revision"] = *stable;
    events_.Add("rollout.failed", name, "",
                "rollout of " + name + " to revision " + std::to_string(head_->number) +
                    " failed: " + rollout.reason + next,
                std::move(data));
  }
}

Result<std::string> Controller::StartInstance(const std::string& service, int64_t revision,
                                              const spec::ServiceSpec& svc) {
  state::InstanceRecord rec;
  rec.id = service + "-" + RandomHexId(4);
  rec.service = service;
  rec.revision = revision;
  rec.template_hash = spec::ServiceTemplateHash(svc);
  rec.log_path = options_.data_dir + "/logs/" + rec.id + ".log";
  auto live = std::make_unique<Live>(rec, svc, clock_->Now(), options_.restart);
  if (auto ok = LaunchProcess(*live); !ok.ok()) return ok.error();
  std::string id = rec.id;
  ++counters_.instance_starts[service];
  events_.Add("instance.started", service, id,
              "started instance " + id + " of revision " + std::to_string(revision) + " (pid " +
                  std::to_string(live->handle.pid) + ", port " + std::to_string(live->record.port) +
                  ")",
              {{"revision", revision}, {"pid", live->handle.pid}, {"port", live->record.port}});
  live_[id] = std::move(live);
  return id;
}

void Controller::StartInstances(const std::string& service, int64_t revision,
                                const spec::ServiceSpec& svc, const std::string& template_hash,
                                int count, SteadyTime now) {
  auto key = std::make_pair(service, template_hash);
  if (auto b = start_backoff_.find(key); b != start_backoff_.end() && !b->second.Allows(now)) {
    return;
  }
  for (int i = 0; i < count; ++i) {
    auto started = StartInstance(service, revision, svc);
    if (!started.ok()) {
      OnStartFailure(service, template_hash, "", started.error(), now);
      return;
    }
    start_backoff_.erase(key);
  }
}

SteadyTime Controller::OnStartFailure(const std::string& service, const std::string& template_hash,
                                      const std::string& id, const Error& error, SteadyTime now) {
  auto [it, added] =
      start_backoff_.try_emplace(std::make_pair(service, template_hash), options_.start_backoff);
  std::string text = error.ToString();
  StartBackoff::Failure failure = it->second.OnFailure(now, clock_->WallNow(), text);
  ++counters_.start_failures[service];
  if (failure.report) {
    events_.Add("instance.start_failed", service, id, DescribeStartFailure(service, text, failure),
                {{"error", text},
                 {"failures", failure.failures},
                 {"retry_in_seconds", failure.retry_in.count() / 1000.0}});
  }
  return it->second.next_try();
}

Status Controller::LaunchProcess(Live& live) {
  auto port = AllocateLoopbackPort();
  if (!port.ok()) return port.error();
  runtime::InstanceConfig config;
  config.id = live.record.id;
  if (!live.service.image.empty()) {
    if (auto ok = ImageConfig(live.service, &config); !ok.ok()) return ok;
  } else {
    config.argv.push_back(live.service.command);
    for (const auto& a : live.service.args) config.argv.push_back(a);
    config.workdir = live.service.workdir;
  }
  for (const auto& [key, value] : live.service.env) config.env[key] = value;
  config.env["CAIRN_INSTANCE"] = live.record.id;
  config.env["CAIRN_SERVICE"] = live.record.service;
  config.env["CAIRN_REVISION"] = std::to_string(live.record.revision);
  config.env["CAIRN_DATA_DIR"] = options_.data_dir;
  config.port = *port;
  config.log_path = live.record.log_path;
  auto handle = driver_->Start(config);
  if (!handle.ok()) return handle.error();
  SteadyTime now = clock_->Now();
  live.handle = *handle;
  live.record.pid = handle->pid;
  live.record.start_ticks = handle->start_ticks;
  live.record.port = *port;
  live.record.started_at = clock_->WallNow();
  live.started_steady = now;
  live.next_probe = now;
  live.health = runtime::HealthTracker(Live::Thresholds(live.service.health), now);
  live.probed = false;
  live.probe_in_flight = false;
  live.adopted = false;
  live.last_probe.clear();
  ++live.generation;
  live.phase = InstancePhase::kStarting;  // healthy once observed running, or by its probes
  if (auto ok = store_->PutInstance(live.record); !ok.ok()) {
    (void)driver_->Kill(live.handle);
    return ok.error();
  }
  return OkStatus();
}

Status Controller::ImageConfig(const spec::ServiceSpec& svc, runtime::InstanceConfig* config) {
  if (!options_.images) {
    return MakeError(ErrorCode::kUnavailable, "this server has no image store");
  }
  if (svc.image_digest.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the revision names image " + svc.image + " without its digest");
  }
  // Unpacked once per image and host; every later start finds the tree in the cache.
  auto image = options_.images->Prepare(svc.image_digest);
  if (!image.ok()) return image.error();
  // As Kubernetes: `command` replaces the Entrypoint (and drops the image's Cmd), `args`
  // replace the Cmd.
  config->argv = svc.command.empty() ? image->entrypoint : std::vector<std::string>{svc.command};
  const std::vector<std::string>& cmd = !svc.args.empty()     ? svc.args
                                        : svc.command.empty() ? image->cmd
                                                              : svc.args;
  config->argv.insert(config->argv.end(), cmd.begin(), cmd.end());
  if (config->argv.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "image " + svc.image + " (" + svc.image_digest +
                         ") names no program: its config has neither Entrypoint nor Cmd, and "
                         "the service sets no command");
  }
  config->workdir = svc.workdir.empty() ? image->workdir : svc.workdir;
  // The image's environment first; the service's own variables override it.
  for (const std::string& kv : image->env) {
    size_t eq = kv.find('=');
    if (eq != std::string::npos && eq > 0) config->env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  config->oci.rootfs = image->rootfs;
  if (svc.resources.memory_bytes) config->oci.memory_bytes = *svc.resources.memory_bytes;
  if (svc.resources.cpu) config->oci.cpu = *svc.resources.cpu;
  if (svc.resources.pids) config->oci.pids_limit = *svc.resources.pids;
  return OkStatus();
}

void Controller::BeginStop(Live& live, const std::string& why, std::optional<int64_t> replaced_by) {
  if (live.phase == InstancePhase::kStopping) return;
  bool was_crashed = live.phase == InstancePhase::kCrashed;
  live.phase = InstancePhase::kStopping;
  SteadyTime now = clock_->Now();
  live.stop_deadline = now + live.service.stop_timeout;
  if (replaced_by) {
    events_.Add("instance.replaced", live.record.service, live.record.id,
                "instance " + live.record.id + " of revision " +
                    std::to_string(live.record.revision) + " replaced by revision " +
                    std::to_string(*replaced_by),
                {{"revision", live.record.revision}, {"replaced_by", *replaced_by}});
  } else {
    events_.Add("instance.stopping", live.record.service, live.record.id,
                "stopping instance " + live.record.id + ": " + why);
  }
  if (was_crashed) return;  // no process: the next observation finds it gone and forgets it
  if (options_.routes && !live.service.ports.empty()) {
    // Out of the route table first; SIGTERM once its requests are done (FinishDrains).
    live.draining = true;
    live.drain_started = now;
    live.drain_deadline = now + options_.drain_timeout;
    return;
  }
  (void)driver_->Terminate(live.handle);
}

void Controller::WatchEjections(SteadyTime now) {
  // Reading the counters visits every router worker: once a second is enough for a person.
  if (!options_.routes || now < next_ejection_look_) return;
  next_ejection_look_ = now + std::chrono::seconds(1);
  for (const Ejection& e : ejections_.Observe(options_.routes->Stats())) {
    events_.Add("instance.ejected", e.service, e.instance,
                "the router ejected instance " + e.instance + " after failures in a row (" +
                    std::to_string(e.total) + " ejection" + (e.total == 1 ? "" : "s") +
                    " since the server started)",
                {{"version", e.version}, {"ejections", e.count}, {"total", e.total}});
  }
}

void Controller::FinishDrains(SteadyTime now) {
  for (auto& [id, live] : live_) {
    if (!live->draining) continue;
    // A worker may have read the previous table just before the swap: give it a moment
    // even when nothing is in flight yet.
    bool idle = options_.routes->InFlight(id) == 0 && now - live->drain_started >= kDrainGrace;
    if (!idle && now < live->drain_deadline) continue;
    live->draining = false;
    live->stop_deadline = now + live->service.stop_timeout;
    (void)driver_->Terminate(live->handle);
  }
}

void Controller::Forget(const std::string& id) {
  if (auto ok = store_->DeleteInstance(id); !ok.ok()) {
    events_.Add("state.error", "", id,
                "could not delete instance record: " + ok.error().ToString());
  }
  live_.erase(id);
}

std::optional<std::string> Controller::Meta(const std::string& key) {
  auto it = meta_.find(key);
  if (it != meta_.end()) return it->second;
  auto stored = store_->GetMeta(key);
  if (!stored.ok()) {
    events_.Add("state.error", "", "", "could not read " + key + ": " + stored.error().ToString());
    return std::nullopt;  // not cached: the next tick reads again
  }
  meta_[key] = *stored;
  return *stored;
}

std::optional<int64_t> Controller::MetaNumber(const std::string& key) {
  auto text = Meta(key);
  if (!text) return std::nullopt;
  auto number = ParseInt64(*text);
  if (number.ok()) return *number;
  if (unreadable_meta_.insert(key + "=" + *text).second) {
    events_.Add("state.error", "", "",
                "the stored record " + key + " is not a number (" + number.error().message +
                    "; it holds " + std::to_string(text->size()) + " bytes): ignored");
  }
  return std::nullopt;
}

void Controller::SetMeta(const std::string& key, const std::string& value) {
  if (auto ok = store_->PutMeta(key, value); !ok.ok()) {
    events_.Add("state.error", "", "", "could not write " + key + ": " + ok.error().ToString());
  }
  meta_[key] = value;  // in force for this server either way; retried by the next write
}

void Controller::ClearMeta(const std::string& key) {
  if (auto ok = store_->DeleteMeta(key); !ok.ok()) {
    events_.Add("state.error", "", "", "could not delete " + key + ": " + ok.error().ToString());
  }
  meta_[key] = std::nullopt;
}

void Controller::RotateLogs(SteadyTime now) {
  if (now < next_rotation_) return;
  next_rotation_ = now + kRotationInterval;
  for (const auto& [id, live] : live_) {
    (void)runtime::RotateLogIfLarger(live->record.log_path, options_.log_max_bytes,
                                     options_.log_keep);
  }
}

}  // namespace cairn::control
