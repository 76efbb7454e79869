// Controller: converges the running instances to the head revision. It is the one place that
// knows specs, revisions, instances and health together; everything it decides comes from the
// pure DecideService, everything it does goes through the StateStore and the Driver.
//
// Threading: every method is called on the io_context the Controller was built with, which
// one thread runs (the controller strand). Nothing here takes a lock.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "control/controller_metrics.h"
#include "control/ejection_watch.h"
#include "control/image_provider.h"
#include "control/rolling_decision.h"
#include "control/rollout_from_spec.h"
#include "control/service_rollout.h"
#include "control/start_backoff.h"
#include "core/clock.h"
#include "plan/plan.h"
#include "rollout/rollout_machine.h"
#include "router/route_table.h"
#include "runtime/driver.h"
#include "runtime/health_tracker.h"
#include "runtime/restart_policy.h"
#include "spec/spec.h"
#include "state/state_store.h"
#include "telemetry/event_log.h"
#include "telemetry/log_writer.h"

namespace cairn::control {

// Where the controller publishes route tables: the router in a server, a fake in tests.
// Called on the controller strand only.
class RoutePublisher {
 public:
  virtual ~RoutePublisher() = default;
  // Fails when the router cannot take the table (a listener port in use); the previous
  // table then stays in force.
  virtual Status Publish(router::RouteTable table) = 0;
  // Requests the router is serving through this instance right now.
  virtual int InFlight(const std::string& instance_id) = 0;
  // The router's counters, for rollout analysis (none by default: nothing measured).
  virtual router::RouterStats Stats() { return {}; }
};

struct ControllerOptions {
  // Absolute path of the data dir; instance logs go to <data_dir>/logs.
  std::string data_dir;
  // How often the controller observes and decides. 100ms keeps a rollout step quick without
  // measurable CPU on an idle server.
  Duration tick{100};
  // Instance logs rotate (copytruncate) past this size, keeping this many old files.
  uint64_t log_max_bytes = 10ull << 20;
  int log_keep = 3;
  runtime::RestartPolicyOptions restart;
  // Retrying a start that failed (exec, image root, environment): 1 s doubling to 5 min.
  StartBackoffOptions start_backoff;
  // Echo every event to stderr as a log line. `cairn up` turns it off: it prints the events
  // itself, through the API, like any client.
  bool echo_events = true;
  // When set (and echo_events), how each event is logged instead of the plain line on stderr
  // (e.g. as a JSON object for `--log-format json`).
  std::function<void(const telemetry::Event&)> event_echo;
  // Where the controller's own warnings go (in the server's log format); null: a plain line on
  // stderr. Not owned; must outlive the controller.
  telemetry::Logger* logger = nullptr;
  // Events kept in the state store's journal (older ones are deleted): about a month of a
  // busy environment, a few tens of MB.
  int64_t events_kept = 100000;
  // The router to keep informed, or null (no routing). Not owned; must outlive the controller.
  RoutePublisher* routes = nullptr;
  // The image store, for services that run an image (`image:`); null: such services are
  // refused at apply. Not owned; must outlive the controller.
  ImageProvider* images = nullptr;
  // Why image instances cannot run on this host (runc missing, no namespaces), or empty when
  // they can: services with `image:` are then refused at apply with this reason.
  std::string images_unavailable;
  // Where Prometheus checks' queries go; null: a PrometheusClient on the controller's
  // io_context. Not owned; must outlive the controller.
  MetricSource* metrics = nullptr;
  // An instance leaving the route table gets this long to finish its in-flight requests
  // before it is sent SIGTERM (sooner once the router reports none in flight).
  Duration drain_timeout{10000};
};

struct ApplyRequest {
  std::string yaml;  // the environment file's text
  std::string file;  // its name, for error positions
  std::string author;
  std::string message;
  std::optional<int64_t> expect_revision;
};

struct ApplyResult {
  plan::Plan plan;
  std::optional<state::Revision> revision;  // the new head; unset when nothing changed
};

struct InstanceInfo {
  std::string id;
  std::string service;
  int64_t revision = 0;
  std::string template_hash;
  int pid = 0;
  int port = 0;
  InstancePhase phase = InstancePhase::kStarting;
  std::string health_detail;  // the last probe's answer
  int restarts = 0;
  bool crash_looping = false;
  WallTime started_at;
  std::string log_path;
};

enum class RolloutState { kProgressing, kComplete, kFailed };
const char* RolloutStateName(RolloutState state);

// A rollout in progress: canary, blue-green, or a rolling replace (which has no steps, no
// weights and no analyses: its state says whether it is paused, complete or aborted).
struct ProgressiveInfo {
  std::string strategy;  // "canary" | "blue_green" | "rolling"
  int64_t new_revision = 0;
  int64_t stable_revision = 0;
  rollout::RolloutState state;
  size_t steps = 0;  // canary steps in the plan
  rollout::AnalysisRunState step_run;
  rollout::AnalysisRunState background_run;
  std::string last_verdict;  // the last judgement's summary
  int replicas = 0;          // instances the service runs when the rollout is complete
  int new_healthy = 0;       // healthy instances of the new revision
  // The analyses judging intervals now (unset when none: a rolling replace never has one) and
  // the judged intervals, oldest first.
  std::optional<AnalysisConfig> step_analysis;
  std::optional<AnalysisConfig> background_analysis;
  std::vector<rollout::IntervalRecord> intervals;
};

// Why instances of a service cannot be started, while cairn backs off trying.
struct StartFailureInfo {
  std::string error;  // the last attempt's
  int failures = 0;   // consecutive
  WallTime since;     // the first of them
  Duration next_try_in{};
};

struct ServiceInfo {
  std::string name;
  int replicas = 0;      // desired
  int64_t revision = 0;  // the revision whose template is the target
  std::string template_hash;
  RolloutState rollout = RolloutState::kProgressing;
  std::string rollout_reason;  // why it failed
  int healthy = 0;
  std::vector<InstanceInfo> instances;
  std::optional<ProgressiveInfo> progressive;
  int drift_replaced = 0;  // instances replaced because their image root drifted (all time)
  std::optional<StartFailureInfo> start_failure;
};

struct StatusInfo {
  std::string environment;
  std::optional<state::Revision> head;
  std::vector<ServiceInfo> services;
};

class Controller {
 public:
  Controller(boost::asio::io_context& io, ControllerOptions options,
             std::unique_ptr<state::StateStore> store, std::unique_ptr<runtime::Driver> driver,
             const Clock* clock);
  ~Controller();

  // Adopts the instances an earlier server left running (same pid and start time), forgets
  // the ones that are gone, stops untracked ones tagged with this data dir, publishes the
  // route table the earlier server last published restricted to the adopted instances (which
  // count as healthy until their probes say otherwise), then starts the reconcile loop.
  Status Start();

  // Parses, validates and plans `yaml` against the head without changing anything.
  Result<plan::Plan> Plan(const std::string& yaml, const std::string& file);
  // Plans and, when something changes, appends a revision. Invalid input or a moved head
  // leaves the head unchanged. Every call is audited.
  Result<ApplyResult> Apply(const ApplyRequest& request);
  // Appends a revision whose spec equals revision `number`, recorded as its rollback.
  Result<ApplyResult> Rollback(int64_t number, const std::string& author,
                               const std::string& message, std::optional<int64_t> expect);

  // Image manifests that must survive an image gc: those of the last `keep_revisions`
  // revisions (0: every revision in history), of every service's stable revision (a fallback
  // target), and of every instance alive. Fails when history cannot be read: gc must then not
  // run, rather than remove what a revision needs.
  Result<std::vector<std::string>> ImageRoots(int keep_revisions = 0);

  // Image digests that have live instances now (drift_check.h checks their roots).
  std::vector<std::string> RunningImageDigests() const;
  // The root of image `digest` drifted (`differences` say how; the tree was set aside at
  // `quarantined`): every live instance of it is marked for replacement, which the reconcile
  // loop carries out like a rolling replace (max_surge / max_unavailable), from a root unpacked
  // afresh. One `instance.drift` event per instance; counted in ServiceInfo::drift_replaced.
  // Returns how many instances.
  int ReplaceDrifted(const std::string& digest, const std::vector<std::string>& differences,
                     const std::string& quarantined);

  // A person's command to a service's rollout (canary, blue-green or rolling), applied at once:
  // NotFound when none is in progress, Conflict (with the reason) when the command cannot apply
  // now.
  Result<ProgressiveInfo> RolloutCommand(const std::string& service,
                                         rollout::RolloutCommand command, const std::string& actor);

  StatusInfo Snapshot() const;
  state::StateStore& store() { return *store_; }
  const telemetry::EventLog& events() const { return events_; }
  // For the API's event stream and the alert manager: subscribe to new events.
  telemetry::EventLog& mutable_events() { return events_; }
  // What the controller counted for GET /metrics (controller_metrics.h).
  const ControllerMetrics& counters() const { return counters_; }

  // Stops every instance (SIGTERM, then SIGKILL after its stop_timeout) and calls `done`
  // once none is left. Used by `cairn up` on Ctrl-C.
  void StopAll(std::function<void()> done);
  // Stops the loop and leaves instances running for the next server to adopt.
  void Detach();

 private:
  struct Live;
  struct Rollout;

  void ScheduleTick();
  void Tick();
  void ObserveProcesses(SteadyTime now);
  void RestartCrashed(SteadyTime now);
  void ProbeDue(SteadyTime now);
  void OnProbeResult(const std::string& id, bool ok, const std::string& detail);
  void Reconcile(SteadyTime now);
  void RotateLogs(SteadyTime now);
  void FinishStopAll();
  // controller_routes.cc: the table on every change, kept in the store (route_record.h);
  // at start, the kept one cut down to adopted instances, before any probe has answered.
  void PublishRoutes();
  void SaveRoutes(const std::string& record);
  void RestoreRoutes();
  void FinishDrains(SteadyTime now);
  // Once a second: an `instance.ejected` event for each instance the router ejected since.
  void WatchEjections(SteadyTime now);
  // Canary and blue-green (controller_progressive.cc). True when the service is in one.
  bool ReconcileProgressive(const std::string& name, const spec::ServiceSpec& target,
                            const std::string& target_hash, int64_t target_revision,
                            SteadyTime now);
  void ApplyProgressive(const std::string& name, const rollout::RolloutDecision& decision,
                        SteadyTime now);
  void EndProgressive(const std::string& name);
  // Ends a canary or blue-green a newer head took the place of, counted as superseded.
  void SupersedeProgressive(const std::string& name);
  // Healthy instances of `service` started from `template_hash`.
  int HealthyInstances(const std::string& service, const std::string& template_hash) const;
  // The rolling machine (controller_rolling.cc): started with a rolling replace of the head,
  // it holds the replace while a person has paused it, ends it, and takes their commands.
  void StartRolling(const std::string& name, Rollout& rollout, int64_t stable_revision);
  // True while the replace must not start or stop anything (paused).
  bool RollingHeld(const std::string& name, Rollout& rollout, SteadyTime now);
  void FinishRolling(const std::string& name, Rollout& rollout);
  // A person's command for a rolling replace in progress; null when there is none.
  std::optional<Result<ProgressiveInfo>> RollingCommand(const std::string& service,
                                                        rollout::RolloutCommand command,
                                                        const std::string& actor);
  ProgressiveInfo RollingInfo(const std::string& name, const Rollout& rollout) const;
  void SaveRolling(const std::string& name, Rollout& rollout);
  ProgressiveInfo ProgressiveOf(const std::string& name) const;

  Result<const spec::EnvironmentSpec*> SpecOf(int64_t revision);
  // Checks that every service can run here and pins each `image:` to the digest it names now
  // (spec::ServiceSpec::image_digest), so the revision records what runs.
  Status PinAndValidate(spec::EnvironmentSpec* spec);
  // What an image instance runs: the image's prepared root, program, environment and working
  // directory, with the service's overrides and resources.
  Status ImageConfig(const spec::ServiceSpec& svc, runtime::InstanceConfig* config);
  Result<std::string> StartInstance(const std::string& service, int64_t revision,
                                    const spec::ServiceSpec& svc);
  // Starts up to `count` instances of `svc` unless its starts are backing off after a
  // failure; stops at the first failure, which it records and (coalesced) reports.
  void StartInstances(const std::string& service, int64_t revision, const spec::ServiceSpec& svc,
                      const std::string& template_hash, int count, SteadyTime now);
  // Records a failed start or restart of `service`'s template `template_hash` (instance `id`
  // when a restart) and reports it when StartBackoff says so; returns when to try again.
  SteadyTime OnStartFailure(const std::string& service, const std::string& template_hash,
                            const std::string& id, const Error& error, SteadyTime now);
  // A stored number (a revision, a count) read through Meta; a record that is not one is
  // reported once and treated as absent, so a corrupt row cannot throw through the loop.
  std::optional<int64_t> MetaNumber(const std::string& key);
  Status LaunchProcess(Live& live);
  // Drains (when routed) and stops `live`: an `instance.stopping` event saying `why`, or, when
  // a newer revision takes its place, an `instance.replaced` event naming `replaced_by`.
  void BeginStop(Live& live, const std::string& why,
                 std::optional<int64_t> replaced_by = std::nullopt);
  void Forget(const std::string& id);
  // Controller records (meta keys), read through a write-through cache: the reconcile loop
  // consults them for every service on every tick, and this controller is their only writer
  // (the data dir lock guarantees it), so only the first read of a key touches SQLite.
  std::optional<std::string> Meta(const std::string& key);
  void SetMeta(const std::string& key, const std::string& value);
  void ClearMeta(const std::string& key);
  void Audit(const std::string& actor, const std::string& action, const std::string& target,
             const std::string& result);
  Result<ApplyResult> AppendSpec(const spec::EnvironmentSpec& proposed, const std::string& author,
                                 const std::string& message, std::optional<int64_t> expect,
                                 std::optional<int64_t> rollback_of, const std::string& action);

  boost::asio::io_context& io_;
  ControllerOptions options_;
  std::unique_ptr<state::StateStore> store_;
  std::unique_ptr<runtime::Driver> driver_;
  const Clock* clock_;
  std::unique_ptr<telemetry::EventJournal> journal_;
  telemetry::EventLog events_;
  bool journal_failing_ = false;  // reported once per failure streak
  // Writes the events added since the last call to the journal.
  void FlushEvents();
  ControllerMetrics counters_;
  boost::asio::steady_timer timer_;
  bool running_ = false;

  std::optional<state::Revision> head_;
  std::map<int64_t, spec::EnvironmentSpec> specs_;  // revision -> spec, loaded on demand
  std::map<std::string, std::unique_ptr<Live>> live_;
  std::map<std::string, Rollout> rollouts_;  // by service
  // Templates that could not start, by (service, template hash); erased at a successful start.
  std::map<std::pair<std::string, std::string>, StartBackoff> start_backoff_;
  struct Progressive;
  // The router's counters when the rollout's analysis needs them, none otherwise.
  router::RouterStats MeasurementsFor(const Progressive& p);
  void CountSuperseded(const std::string& name, const Progressive& p);
  std::map<std::string, std::unique_ptr<Progressive>> progressive_;  // by service
  std::map<std::string, TrafficSplit> splits_;              // route splits of progressive rollouts
  std::map<std::string, std::optional<std::string>> meta_;  // see Meta()
  std::set<std::string> unreadable_meta_;                   // "key=value" reported by MetaNumber
  SteadyTime next_rotation_{};
  EjectionWatch ejections_;
  SteadyTime next_ejection_look_{};
  std::function<void()> stop_all_done_;
  // Sends a rollout's metric queries; answers come back through SupplyReading.
  void SendQueries(const std::string& name, Progressive& p);
  std::unique_ptr<MetricSource> own_metrics_;  // when options_.metrics is null
  MetricSource* metrics_;
  // Callbacks of queries in flight hold a weak_ptr to this: dropped once the controller is gone.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  std::string published_routes_;  // signature of the last published table
  std::string failed_routes_;     // signature of the last table the router refused
  uint64_t route_generation_ = 0;
  bool stopping_all_ = false;
};

}  // namespace cairn::control
