#include "cli/server_runner.h"

#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "api/server.h"
#include "cli/cli.h"
#include "cli/handoff.h"
#include "cli/output.h"
#include "cli/server_config.h"
#include "cli/socket_activation.h"
#include "control/controller.h"
#include "control/drift_check.h"
#include "control/image_provider.h"
#include "control/router_publisher.h"
#include "image/rootfs_cache.h"
#include "image/store.h"
#include "router/router.h"
#include "runtime/driver.h"
#include "runtime/driver_set.h"
#include "runtime/oci_driver.h"
#include "state/releasable_store.h"
#include "state/state_store.h"
#include "telemetry/alert_notifier.h"
#include "telemetry/log_writer.h"

namespace cairn::cli {

std::string DefaultDataDir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) {
    return std::string(xdg) + "/cairn";
  }
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/tmp") + "/.local/share/cairn";
}

namespace {

// The alert receivers of the configuration file and of --alert-webhook, checked before the
// server starts so a bad URL stops it with the file's position.
Result<telemetry::AlertNotifierOptions> AlertOptions(const ServerOptions& options,
                                                     ServerConfig& config,
                                                     const std::string& external_url) {
  telemetry::AlertNotifierOptions alerts;
  alerts.external_url = external_url;
  alerts.receivers = std::move(config.alert_receivers);
  int n = 0;
  for (const std::string& url : options.alert_webhooks) {
    auto receiver = ReceiverFromFlag(url, ++n);
    if (!receiver.ok()) return receiver.error();
    alerts.receivers.push_back(std::move(*receiver));
  }
  return alerts;
}

}  // namespace

int RunServer(const ServerOptions& options, const std::function<void()>& on_ready,
              std::atomic<bool>* stop_requested) {
  // Every line this server writes to stderr goes through `logger`, in the chosen format.
  telemetry::Logger logger(options.log_format);
  auto Fail = [&](const Error& error) {
    if (options.log_format == telemetry::LogFormat::kText) return cli::Fail(error);
    logger.Error(error.ToString());
    return ExitCodeFor(error);
  };
  auto endpoint = api::ParseEndpoint(options.addr);
  if (!endpoint.ok()) return Fail(endpoint.error());
  ServerConfig config;
  if (!options.config_file.empty()) {
    auto loaded = LoadServerConfig(options.config_file);
    if (!loaded.ok()) return Fail(loaded.error());
    config = std::move(*loaded);
  }
  auto alerts = AlertOptions(options, config, "http://" + endpoint->ToString());
  if (!alerts.ok()) return Fail(alerts.error());
  auto drain_timeout = ParseDuration(options.drain_timeout);
  if (!drain_timeout.ok()) {
    return Fail(
        MakeError(ErrorCode::kInvalidArgument, drain_timeout.error().message, "--drain-timeout"));
  }
  // Descriptors: as many as the hard limit allows, split so that no flood of connections on
  // one port or on the API can take those the rest of the server needs (core/descriptors.h).
  auto nofile = RaiseDescriptorLimit();
  if (!nofile.ok()) return Fail(nofile.error());
  DescriptorBudget budget = PlanDescriptors(*nofile, config.connections);
  std::error_code fs_error;
  std::string data_dir = options.data_dir.empty() ? DefaultDataDir() : options.data_dir;
  std::filesystem::create_directories(data_dir, fs_error);
  data_dir = std::filesystem::weakly_canonical(std::filesystem::absolute(data_dir)).string();

  // A client that goes away mid-answer must not kill the server.
  signal(SIGPIPE, SIG_IGN);

  // A takeover gets the running server's listening sockets first, while that server still
  // serves, and only then its data dir (handoff.h, handover_machine.h): from here on both
  // hold the sockets, and the kernel queues what neither has accepted yet.
  std::unique_ptr<TakeoverClient> takeover;
  HandedOver handed;
  if (options.takeover) {
    auto client = TakeoverClient::Connect(HandoffSocketPath(data_dir));
    if (!client.ok()) return Fail(client.error());
    takeover = std::move(*client);
    if (!takeover) {
      logger.Info("no cairn server runs on " + data_dir + " to take over from; starting afresh");
    } else {
      auto got = takeover->ReceiveSockets(getpid(), CAIRN_VERSION, std::chrono::seconds(10));
      if (!got.ok()) return Fail(got.error());
      handed = std::move(*got);
      logger.Info("took " + std::to_string(handed.router.size() + (handed.api_fd >= 0 ? 1 : 0)) +
                      " listening sockets over from pid " + std::to_string(handed.pid) +
                      " (cairn " + handed.version + "); waiting for it to release " + data_dir,
                  {{"from_pid", std::to_string(handed.pid)}});
      if (auto released = takeover->WaitReleased(std::chrono::minutes(2)); !released.ok()) {
        if (handed.api_fd >= 0) ::close(handed.api_fd);
        for (const auto& s : handed.router) ::close(s.fd);
        return Fail(released.error());
      }
    }
  }

  // Sockets systemd opened for this server (socket activation, contrib/systemd/): systemd
  // holds them across a restart, so nothing is refused while no server runs.
  auto activated = TakeActivatedSockets();
  if (!activated.ok()) return Fail(activated.error());
  for (const ActivatedSocket& s : *activated) {
    if (handed.api_fd < 0 && s.port == endpoint->port && s.host == endpoint->host) {
      handed.api_fd = s.fd;
      handed.api_host = s.host;
      handed.api_port = s.port;
    } else {
      handed.router.push_back(router::InheritedSocket{s.host, s.port, s.fd});
    }
  }
  if (!activated->empty()) {
    logger.Info("socket activation: " + std::to_string(activated->size()) + " listening sockets");
  }

  auto opened = state::OpenSqliteStore(data_dir, SystemClock::Get());
  if (!opened.ok()) {
    if (takeover) takeover->SendRefused("cannot open the data dir: " + opened.error().message);
    return Fail(opened.error());
  }
  // Closed, not destroyed, when this server hands over: whatever still runs here afterwards
  // gets an error instead of writing a store the next server owns.
  auto store = std::make_unique<state::ReleasableStore>(std::move(*opened));
  state::ReleasableStore* releasable = store.get();

  // The image store: an OCI layout in the data dir that any OCI tool can read.
  image::StoreOptions image_options;
  image_options.root = data_dir + "/images";
  auto images = image::ImageStore::Open(image_options);
  if (!images.ok()) return Fail(images.error());
  image::RootfsCacheOptions rootfs_options;
  rootfs_options.dir = data_dir + "/rootfs";
  // One set of caps: an image import accepted is one the cache can unpack.
  rootfs_options.limits = image_options.unpack_limits;
  image::RootfsCache rootfs_cache(rootfs_options);
  auto image_provider = control::NewStoreImageProvider(**images, rootfs_cache);

  // Image instances run under runc; say at once when this host cannot, and keep going: the
  // process driver runs commands whatever runc can do.
  runtime::OciDriverOptions oci;
  oci.state_root = data_dir + "/runc";
  oci.bundles_dir = data_dir + "/bundles";
  Status oci_ok = runtime::OciAvailable(oci);
  if (!oci_ok.ok()) {
    logger.Warn("services with `image:` cannot run on this host: " + oci_ok.error().message +
                " (services with `command:` run as usual)");
  }

  // The router serves every declared service port; it runs its own worker threads.
  router::RouterOptions router_options;
  router_options.access_log.format = options.log_format == telemetry::LogFormat::kJson
                                         ? router::AccessLogFormat::kJson
                                         : router::AccessLogFormat::kText;
  router_options.max_connections = budget.router_connections;
  router_options.max_connections_per_listener = budget.listener_connections;
  router::Router router(router_options, SystemClock::Get());
  router.Inherit(std::move(handed.router));
  control::RouterPublisher publisher(router);

  boost::asio::io_context io(1);
  control::ControllerOptions copts;
  copts.data_dir = data_dir;
  copts.routes = &publisher;
  copts.echo_events = options.echo_events;
  if (options.echo_events) {
    copts.event_echo = [&logger](const telemetry::Event& e) { logger.LogEvent(e); };
  }
  copts.logger = &logger;
  copts.images = image_provider.get();
  if (!oci_ok.ok())
    copts.images_unavailable = "this host cannot run images: " + oci_ok.error().message;
  control::Controller controller(io, copts, std::move(store),
                                 runtime::NewDriverSet(runtime::NewProcessDriver(), oci),
                                 SystemClock::Get());
  api::ApiServer api(io, controller);
  // Alerts: no I/O on the controller strand, only queued webhook sends (alert_sender.h).
  auto notifier =
      telemetry::AlertNotifier::Create(io, controller.mutable_events(), std::move(*alerts),
                                       SystemClock::Get(), [&logger](const std::string& line) {
                                         logger.Warn(line, {{"component", "alerts"}});
                                       });
  if (!notifier.ok()) return Fail(notifier.error());
  api.SetRouter(&router);
  api.SetImages(images->get());
  // Integrity drift of running images: every 10 minutes (a check re-reads every byte of every
  // running image), and on `cairn verify`.
  control::DriftCheck drift(io, controller, *image_provider, std::chrono::minutes(10));
  api.SetDriftCheck(&drift);
  api.SetImageProvider(image_provider.get());
  api.SetMaxConnections(budget.api_connections);
  Status listening = OkStatus();
  if (handed.api_fd >= 0 && handed.api_port == endpoint->port &&
      handed.api_host == endpoint->host) {
    listening = api.ListenOn(*endpoint, handed.api_fd);
  } else {
    if (handed.api_fd >= 0) ::close(handed.api_fd);  // this server listens elsewhere
    listening = api.Listen(*endpoint);
  }
  if (!listening.ok()) return Fail(listening.error());
  // Adopts the instances and publishes the last route table: the router accepts from here.
  if (auto ok = controller.Start(); !ok.ok()) return Fail(ok.error());
  if (takeover) {
    if (auto said = takeover->SendServing(); !said.ok()) {
      logger.Warn("could not tell pid " + std::to_string(handed.pid) +
                  " that this server serves (" + said.error().message +
                  "); it keeps accepting until it is stopped");
    }
    takeover.reset();
  }
  drift.Start();
  logger.Info(std::string("cairn server ") + CAIRN_VERSION + " listening on " +
                  endpoint->ToString() + ", data dir " + data_dir,
              {{"version", CAIRN_VERSION}, {"addr", endpoint->ToString()}, {"data_dir", data_dir}});
  logger.Info("descriptors: " + std::to_string(budget.limit) + " (service ports " +
                  std::to_string(budget.router_connections) + " connections, at most " +
                  std::to_string(budget.listener_connections) + " on one; API " +
                  std::to_string(budget.api_connections) + "; " + std::to_string(budget.reserve) +
                  " kept for probes, the store and instances)",
              {{"nofile", std::to_string(budget.limit)}});

  // A next server's takeover (`cairn server --takeover`): this one hands its sockets over,
  // releases the data dir, and once the next one serves, drains and exits.
  boost::asio::steady_timer drain_poll(io);
  SteadyTime drain_deadline{};
  std::function<void()> watch_drain = [&] {
    drain_poll.expires_after(std::chrono::milliseconds(50));
    drain_poll.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      int64_t open = router.Stats().active_client_connections;
      if (open > 0 && SystemClock::Get()->Now() < drain_deadline) return watch_drain();
      logger.Info(open == 0 ? "every connection is done; exiting"
                            : "the drain timeout passed with " + std::to_string(open) +
                                  " connections open; exiting");
      io.stop();
    });
  };
  HandoverHooks hooks;
  hooks.sockets = [&] {
    std::vector<std::pair<HandedSocket, int>> out;
    if (api.listen_fd() >= 0) {
      out.push_back(
          {HandedSocket{"api", "api", endpoint->host, api.bound_port()}, api.listen_fd()});
    }
    for (const router::ListenerSockets& l : router.Sockets()) {
      for (int fd : l.fds) out.push_back({HandedSocket{"router", l.name, l.host, l.port}, fd});
    }
    return out;
  };
  std::unique_ptr<HandoffListener> handoff;
  hooks.release = [&] {
    // The order matters: nothing may decide or write once the store is closed, and the next
    // server opens it as soon as it hears `released`. The router keeps accepting.
    api.Close();
    controller.Detach();  // the loop stops; its events are written
    releasable->Release("this server handed its data dir over to a next server");
  };
  hooks.drain = [&] {
    router.Drain();
    drain_deadline = SystemClock::Get()->Now() + *drain_timeout;
    watch_drain();
  };
  hooks.log = [&logger](const std::string& line) { logger.Info(line, {{"component", "handoff"}}); };
  bool shutting_down = false;
  auto shut_down = [&](const char* why) {
    if (releasable->released()) {
      // Handed over: nothing here manages instances any more; only the connections end.
      logger.Info(std::string(why) + " after handing over; exiting now");
      io.stop();
      return;
    }
    if (shutting_down) {
      logger.Warn(std::string("second ") + why + "; exiting now");
      io.stop();
      return;
    }
    shutting_down = true;
    api.Close();
    if (options.stop_instances_on_exit) {
      logger.Info(std::string(why) + "; stopping every instance");
      controller.StopAll([&io] { io.stop(); });
    } else if (!activated->empty()) {
      // systemd keeps the sockets open for the next server: what this one accepted is
      // answered first (a drain), and what arrives meanwhile waits in their queues.
      logger.Info(std::string(why) +
                  "; leaving instances running and the sockets to systemd, draining connections");
      controller.Detach();
      hooks.drain();
    } else {
      logger.Info(std::string(why) + "; leaving instances running for the next server");
      controller.Detach();
      io.stop();
    }
  };

  if (options.accept_takeover) {
    auto listener = HandoffListener::Listen(io, HandoffSocketPath(data_dir), hooks);
    if (listener.ok()) {
      handoff = std::move(*listener);
    } else {
      logger.Warn("a next server cannot take over without a restart: " +
                  listener.error().ToString());
    }
  }

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  std::function<void()> wait_signal = [&] {
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      shut_down(sig == SIGINT ? "interrupted" : "terminated");
      wait_signal();
    });
  };
  wait_signal();

  // `stop_requested` lets an embedding command (cairn up) end the server without a signal.
  boost::asio::steady_timer poll(io);
  std::function<void()> watch = [&] {
    poll.expires_after(std::chrono::milliseconds(100));
    poll.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      if (stop_requested && stop_requested->load() && !shutting_down) shut_down("stopping");
      watch();
    });
  };
  if (stop_requested) watch();
  if (on_ready) boost::asio::post(io, on_ready);
  io.run();
  router.Stop();
  return kExitOk;
}

}  // namespace cairn::cli
