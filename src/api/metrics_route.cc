#include "api/metrics_route.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "api/metrics_router.h"
#include "control/controller_metrics.h"
#include "telemetry/prometheus_text.h"

namespace cairn::api {
namespace {

namespace asio = boost::asio;

// A coroutine whose parameters live in its frame (see image_routes.cc's RunWork).
asio::awaitable<std::string> Render(control::StatusInfo status, control::ControllerMetrics counters,
                                    const router::Router* router, const image::ImageStore* images,
                                    const StoreGcCounters* gc) {
  co_return telemetry::WritePrometheusText(CollectMetrics(status, counters, router, images, gc));
}

}  // namespace

telemetry::MetricRegistry CollectMetrics(const control::StatusInfo& status,
                                         const control::ControllerMetrics& counters,
                                         const router::Router* router,
                                         const image::ImageStore* images,
                                         const StoreGcCounters* gc) {
  telemetry::MetricRegistry registry;
  registry.Family("cairn_build_info", "Always 1; the version label says which cairn serves.",
                  telemetry::MetricType::kGauge);
  registry.Add("cairn_build_info", {{"version", CAIRN_VERSION}}, 1);
  router::RouterStats traffic = router ? router->Stats() : router::RouterStats{};
  std::set<std::string> running;
  for (const auto& service : status.services) {
    for (const auto& instance : service.instances) running.insert(instance.id);
  }
  KeepRunningInstances(running, &traffic);
  AddRouterMetrics(traffic, &registry);
  control::AddControllerMetrics(counters, status, &registry);
  StoreGcCounters none;
  if (images) {
    auto usage = images->Usage();
    AddStoreMetrics(usage.ok() ? &*usage : nullptr, gc ? *gc : none, &registry);
  } else {
    AddStoreMetrics(nullptr, gc ? *gc : none, &registry);
  }
  return registry;
}

asio::awaitable<Reply> MetricsRoute(MetricsSources sources, asio::thread_pool& pool) {
  // Copies, taken on the strand: the controller moves on while the pool works.
  control::StatusInfo status = sources.controller.Snapshot();
  control::ControllerMetrics counters = sources.controller.counters();
  auto strand = co_await asio::this_coro::executor;
  std::string text = co_await asio::co_spawn(
      pool,
      Render(std::move(status), std::move(counters), sources.router, sources.images, sources.gc),
      asio::use_awaitable);
  // Boost 1.74 resumes on the pool's thread: back to the strand before touching the socket.
  co_await asio::post(strand, asio::use_awaitable);
  co_return Reply{200, telemetry::kPrometheusTextContentType, std::move(text)};
}

}  // namespace cairn::api
