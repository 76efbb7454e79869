#include "api/image_prepare.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "spec/spec.h"

namespace cairn::api {
namespace {

namespace asio = boost::asio;

// A coroutine taking its inputs as parameters, which live in its frame.
asio::awaitable<void> PrepareAll(std::set<std::string> references, control::ImageProvider* images) {
  for (const std::string& reference : references) {
    auto digest = images->Resolve(reference);
    if (digest.ok()) (void)images->Prepare(*digest);
  }
  co_return;
}

}  // namespace

asio::awaitable<void> PrepareImagesFor(const std::string& body, control::ImageProvider& images,
                                       asio::thread_pool& pool) {
  nlohmann::json request = nlohmann::json::parse(body, nullptr, false);
  if (!request.is_object() || !request.contains("yaml") || !request["yaml"].is_string()) {
    co_return;
  }
  spec::ParseOutcome parsed = spec::ParseSpec(request["yaml"].get<std::string>(), "cairn.yaml");
  if (!parsed.spec) co_return;
  std::set<std::string> references;
  for (const auto& [name, svc] : parsed.spec->services) {
    if (!svc.image.empty()) references.insert(svc.image);
  }
  if (references.empty()) co_return;
  auto home = co_await asio::this_coro::executor;
  co_await asio::co_spawn(pool, PrepareAll(std::move(references), &images), asio::use_awaitable);
  // Boost 1.74 resumes on the pool's thread: back to the strand before anything else.
  co_await asio::post(home, asio::use_awaitable);
}

}  // namespace cairn::api
