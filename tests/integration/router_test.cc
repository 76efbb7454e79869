// The router in front of real instances: a service's declared port is served by cairn's
// router, and a rolling replace under steady load fails no request.
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "test_env.h"

namespace cairn::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct LoadResult {
  int ok = 0;
  int failed = 0;  // non-2xx answers and transport errors
  std::map<std::string, int> versions;
  std::string first_failure;
};

// What the load loop has seen so far, for the test to wait on while the loop runs.
struct LoadProgress {
  std::atomic<int> requests{0};  // answered or failed
  std::atomic<int> v1{0};        // 200s from version v1
  std::atomic<int> v2{0};        // 200s from version v2
};

// Polls `done` every 10 ms until it holds or `timeout` has passed; its last answer.
bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// GETs / on `port` over one keep-alive connection (reconnecting after an error) until `stop`
// is set, at most `max_requests` times and never longer than 120 s, counting in `progress`
// as it goes.
LoadResult SteadyLoad(int port, const std::atomic<bool>& stop, int max_requests,
                      LoadProgress* progress) {
  LoadResult result;
  asio::io_context io;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (int i = 0; i < max_requests && !stop && std::chrono::steady_clock::now() < deadline; ++i) {
    beast::error_code ec;
    if (!stream) {
      stream.emplace(io);
      stream->connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                              static_cast<unsigned short>(port)),
                      ec);
      buffer.clear();
    }
    http::request<http::empty_body> req{http::verb::get, "/", 11};
    req.set(http::field::host, "127.0.0.1");
    if (!ec) http::write(*stream, req, ec);
    http::response<http::string_body> res;
    if (!ec) http::read(*stream, buffer, res, ec);
    ++progress->requests;
    if (ec || res.result_int() != 200) {
      ++result.failed;
      if (result.first_failure.empty()) {
        result.first_failure =
            ec ? ec.message() : std::to_string(res.result_int()) + " " + res.body();
      }
      stream.reset();
      continue;
    }
    ++result.ok;
    json body = json::parse(res.body(), nullptr, false);
    std::string version = body.is_discarded() ? "?" : body.value("version", "?");
    ++result.versions[version];
    if (version == "v1") ++progress->v1;
    if (version == "v2") ++progress->v2;
    if (!res.keep_alive()) stream.reset();
  }
  return result;
}

TEST(RouterIntegrationTest, TheServicePortIsServedByTheRouterAcrossInstances) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  int listen = FreeLoopbackPort();
  ASSERT_TRUE(server.ApplyAndWait(HelloYaml({.replicas = 3, .listen_port = listen}), "first"));

  // Every instance gets requests. Bounded: at most 300 requests or 10 s.
  std::set<std::string> instances;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (int i = 0; i < 300 && instances.size() < 3 && std::chrono::steady_clock::now() < deadline;
       ++i) {
    HttpReply reply = HttpGet(listen, "/");
    ASSERT_EQ(reply.status, 200) << reply.text << "\n" << server.Diagnostics();
    EXPECT_EQ(reply.body["version"], "v1");
    instances.insert(reply.body["instance"].get<std::string>());
  }
  auto traffic = server.Client().Get("/v1/traffic");
  EXPECT_EQ(instances.size(), 3u) << "requests spread over every instance; router figures: "
                                  << (traffic.ok() ? traffic->dump(2) : traffic.error().ToString())
                                  << "\n"
                                  << server.Diagnostics();
}

TEST(RouterIntegrationTest, RollingReplaceUnderSteadyLoadFailsNoRequest) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  int listen = FreeLoopbackPort();
  HelloSpec v1{.replicas = 3, .version = "v1", .listen_port = listen};
  ASSERT_TRUE(server.ApplyAndWait(HelloYaml(v1), "v1"));

  std::atomic<bool> stop{false};
  LoadResult load;
  LoadProgress progress;
  std::thread loader([&] { load = SteadyLoad(listen, stop, 200000, &progress); });
  // The load runs on v1 before the apply, and on v2 after the rollout completed: the loop
  // never pauses, so it sent requests throughout, however fast this machine serves them.
  bool on_v1 = WaitUntil([&] { return progress.v1 >= 20; }, 30s);
  int requests_before = progress.requests;
  HelloSpec v2 = v1;
  v2.version = "v2";
  bool rolled = static_cast<bool>(server.ApplyAndWait(HelloYaml(v2), "v2"));
  int requests_during = progress.requests - requests_before;
  bool on_v2 = rolled && WaitUntil([&] { return progress.v2 >= 20; }, 30s);
  stop = true;
  loader.join();

  ASSERT_TRUE(on_v1) << "no load through v1 before the apply: " << load.first_failure << "\n"
                     << server.Diagnostics();
  ASSERT_TRUE(rolled) << server.Diagnostics();
  EXPECT_TRUE(on_v2) << "no load through v2 after the rollout\n" << server.Diagnostics();
  EXPECT_EQ(load.failed, 0) << "first failure: " << load.first_failure << "\n"
                            << server.Diagnostics();
  EXPECT_GT(requests_during, 0) << "the load loop ran during the rollout";
  std::printf("rolling replace under load: %d requests, %d failed (v1 %d, v2 %d)\n",
              load.ok + load.failed, load.failed, load.versions["v1"], load.versions["v2"]);
}

}  // namespace
}  // namespace cairn::testing
