// ApiServer: cairn's HTTP JSON API on the controller's io_context. See README.md for routes.
// Threading: construct, Listen and Close on the controller strand; handlers run there too.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <string>

#include "api/metrics_store.h"
#include "control/controller.h"
#include "control/drift_check.h"
#include "core/result.h"
#include "image/store.h"
#include "router/router.h"

namespace cairn::api {

struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 7400;
  std::string ToString() const { return host + ":" + std::to_string(port); }
};

// "HOST:PORT", ":PORT" or "PORT"; the default host is 127.0.0.1.
Result<Endpoint> ParseEndpoint(const std::string& text);

class ApiServer {
 public:
  ApiServer(boost::asio::io_context& io, control::Controller& controller);
  ~ApiServer();
  // Binds and starts accepting. kUnavailable with the address when it is in use.
  Status Listen(const Endpoint& endpoint);
  // Starts accepting on `fd`, a listening socket an earlier server handed over (bound to
  // `endpoint`); the server owns it from here on.
  Status ListenOn(const Endpoint& endpoint, int fd);
  // The listening socket's descriptor (still the server's), for handing it over; -1 when
  // not listening.
  int listen_fd() const {
    return acceptor_ && acceptor_->is_open() ? acceptor_->native_handle() : -1;
  }
  // Stops accepting; open connections end after their current request.
  void Close();
  int bound_port() const { return bound_port_; }
  // GET /metrics serves the Prometheus text format (metrics_route.h, docs/metrics.md): the
  // router's, controller's and image store's figures, whichever this server was given.
  //
  // Serves GET /v1/traffic from `router` (not owned; must outlive the server). Call before
  // Listen.
  void SetRouter(const router::Router* router) { router_ = router; }
  // Serves /v1/images from `store` (not owned; must outlive the server), its blocking work on
  // this server's pools (reads and work apart, see below). Call before Listen.
  void SetImages(image::ImageStore* store) { images_ = store; }
  // Serves POST /v1/verify (integrity drift of running images) from `check` (not owned).
  void SetDriftCheck(control::DriftCheck* check) { drift_ = check; }
  // Unpacks the images an apply names on this server's pool before the controller sees it
  // (image_prepare.h). Not owned.
  void SetImageProvider(control::ImageProvider* provider) { provider_ = provider; }
  // Connections open at once (default 512, core/descriptors.h); past it a new one is answered
  // 503 and closed, so a flood cannot take the descriptors probes and the store need. Call
  // before Listen.
  void SetMaxConnections(int64_t max) { max_connections_ = max; }
  // The largest request body accepted; a larger one is answered 413 with the limit.
  static constexpr size_t kMaxBodyBytes = 8u << 20;  // an environment file is far smaller

 private:
  void StartAccepting();

  boost::asio::io_context& io_;
  control::Controller& controller_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  int bound_port_ = 0;
  std::shared_ptr<bool> open_;
  int64_t max_connections_ = 512;
  const router::Router* router_ = nullptr;
  image::ImageStore* images_ = nullptr;
  control::DriftCheck* drift_ = nullptr;
  control::ImageProvider* provider_ = nullptr;
  StoreGcCounters gc_counters_;  // the image gcs this server ran, for /metrics
  // Two pools, so that long work cannot starve quick reads. work_pool_ runs builds, imports,
  // exports, tag moves, verify, gc and an apply's unpacks: any may take minutes on a big image,
  // and two run at once. read_pool_ runs `image ls`, `image inspect` and /metrics, which read a
  // few small files of the store and the router's counters: they answer while both work threads
  // are busy (or stuck: a job that never returned would otherwise take a thread for good).
  std::unique_ptr<boost::asio::thread_pool> work_pool_ =
      std::make_unique<boost::asio::thread_pool>(2);
  std::unique_ptr<boost::asio::thread_pool> read_pool_ =
      std::make_unique<boost::asio::thread_pool>(2);
};

}  // namespace cairn::api
