// Runs a cairn server in this process: state store, controller and API on one io_context.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "telemetry/log_format.h"

namespace cairn::cli {

struct ServerOptions {
  std::string data_dir;  // empty: $XDG_DATA_HOME/cairn, else ~/.local/share/cairn
  std::string addr = "127.0.0.1:7400";
  // On SIGINT/SIGTERM: true stops every instance before exiting (`cairn up`); false leaves
  // them running for the next server to adopt (`cairn server`).
  bool stop_instances_on_exit = false;
  // Log events to stderr (off for `cairn up`, which prints them as a client).
  bool echo_events = true;
  // The server configuration file (server_config.h), or none.
  std::string config_file;
  // `--alert-webhook URL`s: receivers in Alertmanager format, beside the file's.
  std::vector<std::string> alert_webhooks;
  // The format of every line the server writes to stderr, access lines included.
  telemetry::LogFormat log_format = telemetry::LogFormat::kText;
  // `--takeover`: take the listening sockets, the data dir and the instances over from the
  // server running on the data dir (cli/handoff.h), so an upgrade refuses no connection;
  // starts as usual when none runs there.
  bool takeover = false;
  // Listen on <data_dir>/handoff.sock for a next server's takeover (`cairn server`; not
  // `cairn up`, whose instances end with it).
  bool accept_takeover = false;
  // After handing over: how long open client connections get to finish before this server
  // exits anyway (a TCP session may last for hours). A request in progress gets its answer
  // with `Connection: close`; 30 s is well above a typical request.
  std::string drain_timeout = "30s";
};

// The data dir to use when none is given.
std::string DefaultDataDir();

// Blocks until a signal (or `stop_requested`) ends the server. `on_ready` runs on a server
// thread once the API listens. Returns the process exit code; errors are printed.
int RunServer(const ServerOptions& options, const std::function<void()>& on_ready,
              std::atomic<bool>* stop_requested = nullptr);

}  // namespace cairn::cli
