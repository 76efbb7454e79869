// GET /metrics: every cairn metric in the Prometheus text format (docs/metrics.md).
//
// Threading: called on the controller strand, like every route. The controller's part (its
// counters and a status snapshot) is read there, which is quick; the router's counters (one
// round trip to each router worker), the image store's usage (a directory read) and writing the
// text happen on the API's blocking pool, so a scrape never holds the strand while it waits.
#pragma once

// clang-format off
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange without including it
// clang-format on
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "api/metrics_store.h"
#include "api/routes.h"
#include "control/controller.h"
#include "image/store.h"
#include "router/router.h"
#include "telemetry/metric_registry.h"

namespace cairn::api {

// Where the numbers come from; `router` and `images` may be null (a server without them).
struct MetricsSources {
  control::Controller& controller;
  const router::Router* router = nullptr;
  image::ImageStore* images = nullptr;
  const StoreGcCounters* gc = nullptr;
};

// The registry a scrape writes, filled from `sources`. Blocking (the router round trip, the
// store read): for the pool, or a test. `status` and `counters` are the controller's, read on
// its strand.
telemetry::MetricRegistry CollectMetrics(const control::StatusInfo& status,
                                         const control::ControllerMetrics& counters,
                                         const router::Router* router,
                                         const image::ImageStore* images,
                                         const StoreGcCounters* gc);

boost::asio::awaitable<Reply> MetricsRoute(MetricsSources sources, boost::asio::thread_pool& pool);

}  // namespace cairn::api
