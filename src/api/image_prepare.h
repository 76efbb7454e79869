// Before an apply reaches the controller: unpack the roots of the images the environment file
// names, on the API's worker pool, so the controller strand never stops for an unpack when the
// new instances start (it finds each root in the cache). Failures are left for the apply
// itself to report, with the field that names the image.
#pragma once

// clang-format off
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange without including it
// clang-format on
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <string>

#include "control/image_provider.h"

namespace cairn::api {

// `body` is POST /v1/apply's ({yaml, file, ...}). Resumes on the caller's executor.
boost::asio::awaitable<void> PrepareImagesFor(const std::string& body,
                                              control::ImageProvider& images,
                                              boost::asio::thread_pool& pool);

}  // namespace cairn::api
