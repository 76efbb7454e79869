// cairn_router_bench: the router standalone, for load tests against nginx and HAProxy.
//   cairn_router_bench --listen 127.0.0.1:8080 --backend 127.0.0.1:9001 --backend ... [--workers N]
// Serves one HTTP service (one version, all backends) until SIGINT or SIGTERM, then prints
// the request counts and latency quantiles it measured.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "router/router.h"

namespace {

bool SplitHostPort(const std::string& text, std::string* host, int* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  *host = text.substr(0, colon);
  *port = std::atoi(text.c_str() + colon + 1);
  return !host->empty() && *port > 0 && *port < 65536;
}

int Usage() {
  std::fprintf(stderr,
               "usage: cairn_router_bench --listen HOST:PORT --backend HOST:PORT... "
               "[--workers N] [--tcp]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace cairn::router;
  auto table = std::make_shared<RouteTable>();
  table->generation = 1;
  ListenerRoute listener;
  listener.name = "bench/http";
  listener.service = "bench";
  VersionRoute version;
  version.version = "v1";
  version.weight_bp = 10000;
  RouterOptions options;
  bool have_listen = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc && arg != "--tcp") return Usage();
    if (arg == "--listen") {
      if (!SplitHostPort(argv[++i], &listener.host, &listener.port)) return Usage();
      have_listen = true;
    } else if (arg == "--backend") {
      Backend b;
      if (!SplitHostPort(argv[++i], &b.host, &b.port)) return Usage();
      b.instance_id = "b" + std::to_string(version.backends.size());
      version.backends.push_back(b);
    } else if (arg == "--workers") {
      options.workers = std::atoi(argv[++i]);
    } else if (arg == "--tcp") {
      listener.protocol = ListenerProtocol::kTcp;
    } else {
      return Usage();
    }
  }
  if (!have_listen || version.backends.empty()) return Usage();
  table->listeners.push_back(listener);
  ServiceRoute service;
  service.service = "bench";
  service.versions.push_back(version);
  table->services.push_back(service);

  // Block the signals before the workers start so only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Router router(options, cairn::SystemClock::Get());
  cairn::Status st = router.Publish(table);
  if (!st.ok()) {
    std::fprintf(stderr, "cairn_router_bench: %s\n", st.error().ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "cairn_router_bench: listening on %s:%d with %d workers\n",
               listener.host.c_str(), router.ListenerPort(listener.name), router.worker_count());
  int sig = 0;
  sigwait(&signals, &sig);
  RouterStats stats = router.Stats();
  router.Stop();
  BackendStats all = stats.ForVersion("bench", "");
  std::printf("requests %llu (2xx %llu, 5xx %llu, error %llu) p50 %lldus p99 %lldus\n",
              static_cast<unsigned long long>(all.TotalRequests()),
              static_cast<unsigned long long>(all.Requests(StatusClass::k2xx)),
              static_cast<unsigned long long>(all.Requests(StatusClass::k5xx)),
              static_cast<unsigned long long>(all.Requests(StatusClass::kError)),
              static_cast<long long>(all.latency.Quantile(0.5).count()),
              static_cast<long long>(all.latency.Quantile(0.99).count()));
  return 0;
}
