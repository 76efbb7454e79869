// Controller lifecycle and the user-facing operations: plan, apply, rollback, status.
// The reconcile loop itself lives in controller_loop.cc.
#include "control/controller.h"

#include <signal.h>

#include <set>

#include "control/controller_internal.h"
#include "control/host_scan.h"
#include "control/store_event_journal.h"
#include "core/units.h"
#include "runtime/proc.h"

namespace cairn::control {
namespace {

telemetry::EventLogOptions EventLogOptionsFor(const ControllerOptions& options) {
  telemetry::EventLogOptions events;
  if (options.event_echo) {
    events.echo = options.event_echo;
  } else if (options.echo_events) {
    events.echo = [](const telemetry::Event& e) {
      std::fprintf(stderr, "%s\n", telemetry::EventLogLine(e).c_str());
    };
  }
  return events;
}

}  // namespace

const char* RolloutStateName(RolloutState state) {
  switch (state) {
    case RolloutState::kProgressing:
      return "progressing";
    case RolloutState::kComplete:
      return "complete";
    case RolloutState::kFailed:
      return "failed";
  }
  return "unknown";
}

Controller::Controller(boost::asio::io_context& io, ControllerOptions options,
                       std::unique_ptr<state::StateStore> store,
                       std::unique_ptr<runtime::Driver> driver, const Clock* clock)
    : io_(io),
      options_(std::move(options)),
      store_(std::move(store)),
      driver_(std::move(driver)),
      clock_(clock),
      journal_(std::make_unique<StoreEventJournal>(*store_, options_.events_kept)),
      events_(clock, EventLogOptionsFor(options_)),
      timer_(io) {
  if (!options_.metrics) own_metrics_ = std::make_unique<PrometheusClient>(io);
  metrics_ = options_.metrics ? options_.metrics : own_metrics_.get();
}

Controller::~Controller() { FlushEvents(); }

void Controller::FlushEvents() {
  Status written = events_.Flush();
  if (written.ok()) {
    journal_failing_ = false;
  } else if (!journal_failing_) {
    // Not an event: it could not be written either. The events stay queued for the next tick.
    journal_failing_ = true;
    std::string warning =
        "could not write events to the state store (kept in memory, retried every tick): " +
        written.error().ToString();
    if (options_.logger) {
      options_.logger->Warn(warning);
    } else {
      std::fprintf(stderr, "cairn: %s\n", warning.c_str());
    }
  }
}

Status Controller::Start() {
  auto head = store_->Head();
  if (!head.ok()) return head.error();
  head_ = *head;
  if (auto chain = store_->VerifyChain(); !chain.ok()) return chain.error();
  if (auto attached = events_.Attach(journal_.get()); !attached.ok()) return attached.error();

  auto records = store_->ListInstances();
  if (!records.ok()) return records.error();
  SteadyTime now = clock_->Now();
  std::map<std::string, bool> known;
  for (const auto& rec : *records) {
    known[rec.id] = true;
    runtime::InstanceHandle handle{rec.pid, rec.start_ticks};
    auto status = driver_->Inspect(handle);
    auto spec = SpecOf(rec.revision);
    if (status.state != runtime::InstanceState::kRunning || !spec.ok() ||
        !(*spec)->services.count(rec.service)) {
      events_.Add("instance.lost", rec.service, rec.id,
                  "instance " + rec.id + " (pid " + std::to_string(rec.pid) +
                      ") is no longer running; it will be replaced");
      if (status.state == runtime::InstanceState::kRunning) (void)driver_->Kill(handle);
      (void)store_->DeleteInstance(rec.id);
      continue;
    }
    const spec::ServiceSpec& svc = (*spec)->services.at(rec.service);
    auto live = std::make_unique<Live>(rec, svc, now, options_.restart);
    live->handle = handle;
    live->adopted = true;
    live->phase = svc.health.kind == spec::HealthKind::kNone ? InstancePhase::kHealthy
                                                             : InstancePhase::kStarting;
    live->probed = svc.health.kind == spec::HealthKind::kNone;
    events_.Add("instance.adopted", rec.service, rec.id,
                "adopted running instance " + rec.id + " (pid " + std::to_string(rec.pid) + ")");
    live_[rec.id] = std::move(live);
  }
  // Instances started by a server that died before recording them: nobody knows them.
  for (const auto& proc : FindProcessesTaggedWith(options_.data_dir)) {
    if (known.count(proc.instance_id)) continue;
    if (kill(-proc.pid, SIGKILL) != 0) kill(proc.pid, SIGKILL);
    events_.Add("instance.orphan_stopped", "", proc.instance_id,
                "stopped untracked instance " + proc.instance_id + " (pid " +
                    std::to_string(proc.pid) + ") left by an earlier server");
  }
  // Serve at once what the last server served, before the first tick's probes.
  RestoreRoutes();
  running_ = true;
  Audit("cairn", "server.start", options_.data_dir, "ok");
  ScheduleTick();
  return OkStatus();
}

Result<std::vector<std::string>> Controller::ImageRoots(int keep_revisions) {
  std::set<int64_t> revisions;
  auto list = store_->ListRevisions();
  if (!list.ok()) return list.error();
  size_t first = keep_revisions > 0 && list->size() > static_cast<size_t>(keep_revisions)
                     ? list->size() - static_cast<size_t>(keep_revisions)
                     : 0;
  for (size_t i = first; i < list->size(); ++i) revisions.insert((*list)[i].number);
  std::set<std::string> roots;
  for (const auto& [id, live] : live_) {
    revisions.insert(live->record.revision);
    if (!live->service.image_digest.empty()) roots.insert(live->service.image_digest);
  }
  for (int64_t revision : revisions) {
    auto spec = SpecOf(revision);
    if (!spec.ok()) return spec.error();
    for (const auto& [name, svc] : (*spec)->services) {
      if (!svc.image_digest.empty()) roots.insert(svc.image_digest);
      if (auto stable = MetaNumber("stable/" + name)) {
        auto stable_spec = SpecOf(*stable);
        if (!stable_spec.ok()) return stable_spec.error();
        auto it = (*stable_spec)->services.find(name);
        if (it != (*stable_spec)->services.end() && !it->second.image_digest.empty()) {
          roots.insert(it->second.image_digest);
        }
      }
    }
  }
  return std::vector<std::string>(roots.begin(), roots.end());
}

std::vector<std::string> Controller::RunningImageDigests() const {
  std::set<std::string> digests;
  for (const auto& [id, live] : live_) {
    if (!live->service.image_digest.empty() && live->phase != InstancePhase::kStopping) {
      digests.insert(live->service.image_digest);
    }
  }
  return {digests.begin(), digests.end()};
}

int Controller::ReplaceDrifted(const std::string& digest,
                               const std::vector<std::string>& differences,
                               const std::string& quarantined) {
  std::string what;
  for (const std::string& d : differences) what += (what.empty() ? "" : "; ") + d;
  int replaced = 0;
  for (auto& [id, live] : live_) {
    if (live->service.image_digest != digest || live->phase == InstancePhase::kStopping) continue;
    // A template no revision has: the reconcile loop replaces the instance as it replaces any
    // outdated one, keeping the service's availability rules.
    if (!live->record.template_hash.starts_with("drifted:")) {
      live->record.template_hash = "drifted:" + live->record.template_hash;
    }
    std::string key = "drift/" + live->record.service;
    SetMeta(key, std::to_string(MetaNumber(key).value_or(0) + 1));
    events_.Add("instance.drift", live->record.service, id,
                "instance " + id + " runs on image " + digest.substr(0, 19) +
                    " whose root changed since it was unpacked (" + what + "); replacing it" +
                    (quarantined.empty() ? "" : "; the changed tree is kept at " + quarantined));
    ++replaced;
  }
  return replaced;
}

Result<const spec::EnvironmentSpec*> Controller::SpecOf(int64_t revision) {
  auto it = specs_.find(revision);
  if (it != specs_.end()) return &it->second;
  auto rev = store_->GetRevision(revision);
  if (!rev.ok()) return rev.error();
  nlohmann::json doc = nlohmann::json::parse(rev->spec_json, nullptr, false);
  if (doc.is_discarded()) {
    return MakeError(ErrorCode::kInternal, "stored spec is not JSON",
                     "revision " + std::to_string(revision));
  }
  auto parsed = spec::FromJson(doc);
  if (!parsed.ok()) return parsed.error();
  return &specs_.emplace(revision, std::move(*parsed)).first->second;
}

Status Controller::PinAndValidate(spec::EnvironmentSpec* spec) {
  std::string problems;
  for (auto& [name, svc] : spec->services) {
    if (!svc.image.empty()) {
      if (!options_.images) {
        problems += "services." + name + ".image: this cairn server has no image store\n";
      } else if (!options_.images_unavailable.empty()) {
        problems += "services." + name + ".image: " + options_.images_unavailable +
                    "; give the service a `command` to run it with the process driver\n";
      } else if (auto digest = options_.images->Resolve(svc.image); !digest.ok()) {
        problems += "services." + name + ".image: " + digest.error().message +
                    " (`cairn image ls` lists the store; `cairn image build` or `import` adds "
                    "to it)\n";
      } else {
        svc.image_digest = *digest;
      }
    } else if (!CommandIsExecutable(svc.command)) {
      problems += "services." + name + ".command: \"" + svc.command +
                  "\" is not an executable file, nor found in the cairn server's PATH\n";
    }
    // What the file format allows but this rollout engine cannot run yet.
    if (svc.strategy != spec::StrategyKind::kRolling) {
      if (auto setup = RolloutFromSpec(svc); !setup.ok()) {
        problems += setup.error().ToString() + "\n";
      }
    }
  }
  if (problems.empty()) return OkStatus();
  problems.pop_back();
  return MakeError(ErrorCode::kInvalidArgument, problems);
}

namespace {

Result<spec::EnvironmentSpec> ParseOrError(const std::string& yaml, const std::string& file) {
  spec::ParseOutcome outcome = spec::ParseSpec(yaml, file.empty() ? "cairn.yaml" : file);
  if (!outcome.errors.empty()) return spec::ErrorsToError(outcome.errors);
  return std::move(*outcome.spec);
}

}  // namespace

Result<plan::Plan> Controller::Plan(const std::string& yaml, const std::string& file) {
  auto proposed = ParseOrError(yaml, file);
  if (!proposed.ok()) return proposed.error();
  if (auto ok = PinAndValidate(&*proposed); !ok.ok()) return ok.error();
  const spec::EnvironmentSpec* current = nullptr;
  if (head_) {
    auto spec = SpecOf(head_->number);
    if (!spec.ok()) return spec.error();
    current = *spec;
  }
  return plan::ComputePlan(current, *proposed);
}

Result<ApplyResult> Controller::Apply(const ApplyRequest& request) {
  auto proposed = ParseOrError(request.yaml, request.file);
  Status valid = proposed.ok() ? PinAndValidate(&*proposed) : Status(proposed.error());
  if (!valid.ok()) {
    Audit(request.author, "apply", request.file, "rejected: " + valid.error().ToString());
    return valid.error();
  }
  return AppendSpec(*proposed, request.author, request.message, request.expect_revision,
                    std::nullopt, "apply");
}

Result<ApplyResult> Controller::Rollback(int64_t number, const std::string& author,
                                         const std::string& message,
                                         std::optional<int64_t> expect) {
  auto spec = SpecOf(number);
  if (!spec.ok()) {
    Audit(author, "rollback", "revision " + std::to_string(number),
          "rejected: " + spec.error().ToString());
    return spec.error();
  }
  spec::EnvironmentSpec copy = **spec;
  std::string msg = message.empty() ? "rollback to revision " + std::to_string(number) : message;
  return AppendSpec(copy, author, msg, expect, number, "rollback");
}

Result<ApplyResult> Controller::AppendSpec(const spec::EnvironmentSpec& proposed,
                                           const std::string& author, const std::string& message,
                                           std::optional<int64_t> expect,
                                           std::optional<int64_t> rollback_of,
                                           const std::string& action) {
  ApplyResult result;
  const spec::EnvironmentSpec* current = nullptr;
  if (head_) {
    auto spec = SpecOf(head_->number);
    if (!spec.ok()) return spec.error();
    current = *spec;
  }
  int64_t head_number = head_ ? head_->number : 0;
  if (expect && *expect != head_number) {
    Error err =
        MakeError(ErrorCode::kConflict, "the head is revision " + std::to_string(head_number) +
                                            ", not " + std::to_string(*expect) +
                                            " as expected; review `cairn plan` again and retry");
    Audit(author, action, "revision " + std::to_string(head_number + 1),
          "rejected: " + err.ToString());
    return err;
  }
  result.plan = plan::ComputePlan(current, proposed);
  if (!result.plan.HasChanges()) return result;

  state::NewRevision rev;
  rev.spec_json = spec::CanonicalJson(proposed);
  rev.spec_hash = spec::SpecHash(proposed);
  rev.author = author;
  rev.message = message;
  rev.rollback_of = rollback_of;
  rev.expect_head = head_number;
  auto appended = store_->AppendRevision(rev);
  if (!appended.ok()) {
    Audit(author, action, "revision " + std::to_string(head_number + 1),
          "failed: " + appended.error().ToString());
    return appended.error();
  }
  head_ = *appended;
  ++counters_.revisions[action];
  specs_.emplace(head_->number, proposed);
  result.revision = *appended;
  Audit(author, action, "revision " + std::to_string(head_->number), "ok");
  std::string what =
      rollback_of ? "rollback to revision " + std::to_string(*rollback_of) : "\"" + message + "\"";
  nlohmann::json data = {
      {"revision", head_->number}, {"hash", head_->hash}, {"parent_hash", head_->parent_hash},
      {"author", author},          {"message", message},  {"environment", proposed.environment}};
  if (rollback_of) data["rollback_of"] = *rollback_of;
  events_.Add("revision.applied", "", "",
              "revision " + std::to_string(head_->number) + " applied by " + author + ": " + what,
              std::move(data));
  if (running_) Reconcile(clock_->Now());
  return result;
}

void Controller::Audit(const std::string& actor, const std::string& action,
                       const std::string& target, const std::string& result) {
  state::AuditRecord record;
  record.at = clock_->WallNow();
  record.actor = actor;
  record.action = action;
  record.target = target;
  record.result = result;
  if (auto ok = store_->AppendAudit(record); !ok.ok()) {
    events_.Add("audit.failed", "", "", "could not write audit record: " + ok.error().ToString());
  }
}

StatusInfo Controller::Snapshot() const {
  StatusInfo info;
  info.head = head_;
  if (head_) {
    auto it = specs_.find(head_->number);
    if (it != specs_.end()) info.environment = it->second.environment;
  }
  std::map<std::string, ServiceInfo> services;
  for (const auto& [name, rollout] : rollouts_) {
    ServiceInfo& s = services[name];
    s.name = name;
    s.replicas = rollout.replicas;
    s.revision = rollout.revision;
    s.template_hash = rollout.template_hash;
    s.rollout = rollout.state;
    s.rollout_reason = rollout.reason;
    // Read into the meta cache by the reconcile loop (Snapshot is const).
    auto drift = meta_.find("drift/" + name);
    if (drift != meta_.end() && drift->second) {
      auto count = ParseInt64(*drift->second);  // MetaNumber reported one that is not a number
      if (count.ok()) s.drift_replaced = static_cast<int>(*count);
    }
  }
  for (const auto& [id, live] : live_) {
    ServiceInfo& s = services[live->record.service];
    s.name = live->record.service;
    InstanceInfo inst;
    inst.id = id;
    inst.service = live->record.service;
    inst.revision = live->record.revision;
    inst.template_hash = live->record.template_hash;
    inst.pid = live->handle.pid;
    inst.port = live->record.port;
    inst.phase = live->phase;
    inst.health_detail = live->last_probe;
    inst.restarts = live->restarts.restarts();
    inst.crash_looping = live->restarts.crash_looping();
    inst.started_at = live->record.started_at;
    inst.log_path = live->record.log_path;
    if (inst.phase == InstancePhase::kHealthy) ++s.healthy;
    s.instances.push_back(std::move(inst));
  }
  // The template still failing to start that tries again soonest; one is enough to say why.
  for (const auto& [key, backoff] : start_backoff_) {
    auto it = services.find(key.first);
    if (it == services.end() || backoff.failures() == 0) continue;
    StartFailureInfo f{backoff.last_error(), backoff.failures(), backoff.first_failed_at(),
                       std::max(Duration{}, std::chrono::duration_cast<Duration>(
                                                backoff.next_try() - clock_->Now()))};
    auto& slot = it->second.start_failure;
    if (!slot || f.next_try_in < slot->next_try_in) slot = std::move(f);
  }
  for (const auto& [name, p] : progressive_) {
    if (services.count(name)) services[name].progressive = ProgressiveOf(name);
  }
  for (const auto& [name, r] : rollouts_) {
    if (services.count(name) && !services[name].progressive && r.machine &&
        !rollout::IsTerminal(r.machine->phase)) {
      services[name].progressive = RollingInfo(name, r);
    }
  }
  for (auto& [name, s] : services) info.services.push_back(std::move(s));
  return info;
}

void Controller::StopAll(std::function<void()> done) {
  stopping_all_ = true;
  stop_all_done_ = std::move(done);
  for (auto& [id, live] : live_) {
    if (live->phase != InstancePhase::kStopping) BeginStop(*live, "the server is shutting down");
  }
  FinishStopAll();
}

void Controller::FinishStopAll() {
  if (!stopping_all_ || !live_.empty() || !stop_all_done_) return;
  running_ = false;
  timer_.cancel();
  FlushEvents();
  auto done = std::move(stop_all_done_);
  stop_all_done_ = nullptr;
  done();
}

void Controller::Detach() {
  running_ = false;
  timer_.cancel();
  FlushEvents();
}

}  // namespace cairn::control
