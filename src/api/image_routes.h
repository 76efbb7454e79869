// The image store over HTTP: /v1/images (list), /v1/images/inspect?ref=R, and POST
// /v1/images/{build,import,export,tag,rm,verify,gc}. See README.md for the bodies.
//
// Threading: called on the controller strand, like every route; the store's work (hashing,
// compressing, copying blobs) is blocking, so it runs on a pool and the strand carries on
// serving other requests meanwhile: the GET routes (ls, inspect: a few small reads) on
// `pools.read`, every POST on `pools.work`, so a long import never delays `image ls`. Paths in
// requests are the server's: the CLI sends absolute paths of the machine both run on.
#pragma once

// clang-format off
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange without including it
// clang-format on
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <string>

#include "api/metrics_store.h"
#include "api/routes.h"
#include "control/controller.h"
#include "image/store.h"

namespace cairn::api {

bool IsImagePath(const std::string& path);

struct ImagePools {
  boost::asio::thread_pool& work;  // POST: build, import, export, tag, rm, verify, gc
  boost::asio::thread_pool& read;  // GET: ls, inspect
};

// `gc_counters` (may be null) counts the gcs for /metrics.
boost::asio::awaitable<Reply> ImageRoute(image::ImageStore& store, ImagePools pools,
                                         control::Controller& controller, Request request,
                                         StoreGcCounters* gc_counters = nullptr);

}  // namespace cairn::api
