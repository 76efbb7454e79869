#include "cli/cli.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/events_command.h"
#include "cli/image_command.h"
#include "cli/rollout_command.h"
#include "cli/server_runner.h"
#include "cli/up_command.h"

namespace cairn::cli {
namespace {

int RunCommandLine(int argc, char** argv) {
  CLI::App app{"cairn: immutable infrastructure in one binary"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("cairn ") + CAIRN_VERSION);

  GlobalOptions g;
  std::string output;
  auto add_client_flags = [&](CLI::App* cmd, bool has_output) {
    cmd->add_option("--addr", g.addr,
                    "server address HOST:PORT (default $CAIRN_ADDR or 127.0.0.1:7400)");
    if (has_output) {
      cmd->add_option("-o,--output", output, "output format")
          ->check(CLI::IsMember({"text", "json"}));
    }
  };
  ApplyOptions apply;
  auto add_apply_flags = [&](CLI::App* cmd, bool with_file) {
    if (with_file)
      cmd->add_option("-f,--file", apply.file, "environment file")->capture_default_str();
    cmd->add_option("-m,--message", apply.message, "why this change is made");
    cmd->add_option("--author", apply.author, "who makes it (default $USER)");
    cmd->add_option("--expect-revision", apply.expect_revision,
                    "refuse unless the head is this revision (0: none yet)");
    cmd->add_flag("--wait", apply.wait, "wait until the rollout finishes; exit 4 if it fails");
  };

  ServerOptions server_options;
  std::string log_format = "text";
  auto add_log_format = [&log_format](CLI::App* cmd) {
    cmd->add_option("--log-format", log_format,
                    "the server's stderr lines: text (for people) or json (one object a line)")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
  };
  auto* server = app.add_subcommand("server", "run the cairn server (API, controller, instances)");
  server->add_option("--data-dir", server_options.data_dir,
                     "state and logs (default ~/.local/share/cairn)");
  server->add_option("--addr", server_options.addr, "API listen address")->capture_default_str();
  server->add_flag("--takeover", server_options.takeover,
                   "take over from the server running on this data dir: its listening sockets, "
                   "data dir and instances, without refusing a connection (an upgrade); starts "
                   "as usual when none runs");
  server
      ->add_option("--drain-timeout", server_options.drain_timeout,
                   "after a takeover by a next server: how long open connections get before "
                   "this one exits anyway")
      ->capture_default_str();
  auto add_alert_flags = [&](CLI::App* cmd) {
    cmd->add_option("--config", server_options.config_file,
                    "server configuration file (alert receivers)");
    cmd->add_option("--alert-webhook", server_options.alert_webhooks,
                    "send alerts to this http:// URL in Alertmanager format (repeatable)")
        ->allow_extra_args(false);
  };
  add_alert_flags(server);
  add_log_format(server);

  auto* up = app.add_subcommand("up", "server in the foreground + apply FILE + live progress");
  up->add_option("--data-dir", server_options.data_dir,
                 "state and logs (default ~/.local/share/cairn)");
  up->add_option("--addr", server_options.addr, "API listen address")->capture_default_str();
  add_alert_flags(up);
  add_log_format(up);
  add_apply_flags(up, true);

  auto* plan = app.add_subcommand("plan", "show what applying FILE would change");
  add_client_flags(plan, true);
  plan->add_option("-f,--file", apply.file, "environment file")->capture_default_str();
  plan->add_flag("--detailed-exitcode", apply.detailed_exitcode,
                 "exit 0 when nothing changes, 2 when something does, 1 on error");

  auto* apply_cmd = app.add_subcommand("apply", "record FILE as a new revision and roll it out");
  add_client_flags(apply_cmd, true);
  add_apply_flags(apply_cmd, true);

  int64_t rollback_to = 0;
  auto* rollback = app.add_subcommand("rollback", "new revision equal to an earlier one");
  add_client_flags(rollback, true);
  rollback->add_option("revision", rollback_to, "revision number to return to")->required();
  add_apply_flags(rollback, false);

  std::string service;
  auto* status = app.add_subcommand("status", "services, rollouts and instances");
  add_client_flags(status, true);
  status->add_option("service", service, "only this service");

  auto* history = app.add_subcommand("history", "every revision, oldest first");
  add_client_flags(history, true);

  int64_t diff_from = 0, diff_to = 0;
  auto* diff = app.add_subcommand("diff", "field-level difference between two revisions");
  add_client_flags(diff, true);
  diff->add_option("from", diff_from, "older revision")->required();
  diff->add_option("to", diff_to, "newer revision")->required();

  bool follow = false;
  int tail = 100;
  auto* logs = app.add_subcommand("logs", "instance logs of a service");
  add_client_flags(logs, false);
  logs->add_option("service", service, "service name")->required();
  logs->add_flag("-f,--follow", follow, "keep printing new lines");
  logs->add_option("--tail", tail, "lines per instance to start with")->capture_default_str();

  auto* traffic =
      app.add_subcommand("traffic", "what the router measured, per version and instance");
  add_client_flags(traffic, true);
  traffic->add_option("service", service, "only this service");

  EventsOptions events_options;
  auto* events =
      app.add_subcommand("events", "what happened: revisions, rollouts, verdicts, instances");
  add_client_flags(events, true);
  events->add_option("service", events_options.service, "only this service's events");
  events->add_option("--service", events_options.service, "only this service's events");
  events->add_flag("-f,--follow", events_options.follow,
                   "keep printing events as they happen (reconnects after a server restart)");
  events->add_option("-n,--last", events_options.last, "how many of the newest to show first")
      ->capture_default_str();
  events->add_option("--after", events_options.after, "every event after this sequence number");

  int audit_limit = 50;
  auto* audit = app.add_subcommand("audit", "who changed what and when, newest first");
  add_client_flags(audit, true);
  audit->add_option("--limit", audit_limit, "records to show")->capture_default_str();

  RolloutOptions rollout;
  auto* rollout_cmd =
      app.add_subcommand("rollout", "watch and steer a rollout (canary, blue-green or rolling)");
  rollout_cmd->require_subcommand(1);
  auto* rollout_status = rollout_cmd->add_subcommand("status", "where a rollout stands");
  add_client_flags(rollout_status, true);
  rollout_status->add_option("service", rollout.service, "service name")->required();
  rollout_status->add_flag("-w,--watch", rollout.watch,
                           "follow until the rollout ends; exit 0 complete, 4 failed");
  rollout_status->add_option("--timeout", rollout.timeout, "--watch gives up after this long")
      ->capture_default_str();
  const std::vector<std::pair<const char*, const char*>> rollout_commands = {
      {"promote", "end the current step or pause (blue-green: switch now)"},
      {"abort", "every user back on the stable version; the rollout fails"},
      {"pause", "hold the rollout where it is"},
      {"resume", "carry on after pause"},
      {"retry", "start an aborted rollout again from the first step"},
      {"undo", "blue-green, after the switch: back to the old version"}};
  for (const auto& [name, help] : rollout_commands) {
    auto* cmd = rollout_cmd->add_subcommand(name, help);
    add_client_flags(cmd, true);
    cmd->add_option("service", rollout.service, "service name")->required();
    cmd->add_option("--author", rollout.author, "who sends it (default $USER)");
    if (std::string(name) == "promote") {
      cmd->add_flag("--full", rollout.full, "canary: skip the remaining steps");
    }
  }

  ImageOptions image;
  auto* image_cmd = app.add_subcommand("image", "build, import and keep OCI images");
  image_cmd->require_subcommand(1);
  auto* image_build = image_cmd->add_subcommand("build", "a deterministic image from DIR");
  add_client_flags(image_build, true);
  image_build->add_option("dir", image.path, "directory whose files make the image")->required();
  image_build->add_option("-t,--tag", image.tag, "NAME:TAG to point at it");
  image_build->add_option("--entrypoint", image.entrypoint,
                          "program, or a JSON array such as '[\"/bin/app\", \"--flag\"]'");
  image_build->add_option("--cmd", image.cmd, "default arguments, same forms");
  image_build->add_option("-e,--env", image.env, "KEY=VALUE (repeatable)");
  image_build->add_option("--label", image.labels, "KEY=VALUE (repeatable)");
  image_build->add_option("-w,--workdir", image.workdir, "working directory of the program");
  image_build->add_option("--compression", image.compression, "gzip or zstd")
      ->capture_default_str();
  auto* image_import = image_cmd->add_subcommand(
      "import", "an OCI layout, OCI archive or docker archive (docker save, skopeo copy)");
  add_client_flags(image_import, true);
  image_import->add_option("path", image.path, "directory or tar file")->required();
  image_import->add_option("-t,--tag", image.tag, "NAME:TAG instead of the source's names");
  image_import->add_option("--ref", image.source_ref, "only the source's image of this name");
  auto* image_export = image_cmd->add_subcommand("export", "an image as an OCI layout or archive");
  add_client_flags(image_export, true);
  image_export->add_option("ref", image.ref, "NAME:TAG or digest")->required();
  image_export->add_option("path", image.path, "directory (oci) or file (oci-archive)")->required();
  image_export->add_option("--format", image.format, "oci or oci-archive")->capture_default_str();
  auto* image_ls = image_cmd->add_subcommand("ls", "every tag with its digest and size");
  add_client_flags(image_ls, true);
  auto* image_inspect = image_cmd->add_subcommand("inspect", "an image's config, layers, tags");
  add_client_flags(image_inspect, true);
  image_inspect->add_option("ref", image.ref, "NAME:TAG or digest")->required();
  auto* image_tag = image_cmd->add_subcommand("tag", "point NAME:TAG at an image");
  add_client_flags(image_tag, true);
  image_tag->add_option("ref", image.ref, "the image: NAME:TAG or digest")->required();
  image_tag->add_option("tag", image.tag, "the new NAME:TAG")->required();
  auto* image_rm = image_cmd->add_subcommand("rm", "remove a tag (blobs go at the next gc)");
  add_client_flags(image_rm, true);
  image_rm->add_option("tag", image.tag, "NAME:TAG")->required();
  auto* image_verify = image_cmd->add_subcommand(
      "verify", "re-hash every blob (or one image's); exit 6 if any differs");
  add_client_flags(image_verify, true);
  image_verify->add_option("ref", image.ref, "only this image");
  auto* image_gc =
      image_cmd->add_subcommand("gc", "remove blobs no tag, revision or instance needs");
  add_client_flags(image_gc, true);
  image_gc->add_option("--keep-revisions", image.keep_revisions,
                       "keep the images of only the last N revisions (default 0: all)");

  auto* verify = app.add_subcommand(
      "verify", "check every running image's root against its image; replace drifted instances");
  add_client_flags(verify, true);

  auto* version = app.add_subcommand("version", "client and server versions");
  add_client_flags(version, true);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  g.json = output == "json";

  server_options.log_format = *telemetry::ParseLogFormat(log_format);  // checked by IsMember
  if (server->parsed()) {
    server_options.accept_takeover = true;
    return RunServer(server_options, nullptr);
  }
  if (up->parsed()) return UpCommand(g, server_options, apply);
  if (plan->parsed()) return PlanCommand(g, apply);
  if (apply_cmd->parsed()) return ApplyCommand(g, apply);
  if (rollback->parsed()) return RollbackCommand(g, rollback_to, apply);
  if (status->parsed()) return StatusCommand(g, service);
  if (history->parsed()) return HistoryCommand(g);
  if (diff->parsed()) return DiffCommand(g, diff_from, diff_to);
  if (logs->parsed()) return LogsCommand(g, service, follow, tail);
  if (audit->parsed()) return AuditCommand(g, audit_limit);
  if (events->parsed()) return EventsCommand(g, events_options);
  if (traffic->parsed()) return TrafficCommand(g, service);
  if (version->parsed()) return VersionCommand(g);
  if (rollout_cmd->parsed()) {
    rollout.action = rollout_cmd->get_subcommands().front()->get_name();
    return RolloutCommand(g, rollout);
  }
  if (verify->parsed()) return VerifyCommand(g);
  if (image_cmd->parsed()) {
    image.action = image_cmd->get_subcommands().front()->get_name();
    return ImageCommand(g, image);
  }
  return kExitError;
}

}  // namespace

int Main(int argc, char** argv) {
  // Every error a user or a server can cause is a value with its own message; an exception that
  // gets here is a bug in cairn, and it still ends with a sentence and exit 1, not an abort.
  try {
    return RunCommandLine(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr,
                 "error: internal error in cairn %s: %s\n"
                 "This is a bug; please report it with the command that caused it.\n",
                 CAIRN_VERSION, e.what());
  } catch (...) {
    std::fprintf(stderr, "error: internal error in cairn %s (an unknown exception)\n",
                 CAIRN_VERSION);
  }
  return kExitError;
}

}  // namespace cairn::cli
