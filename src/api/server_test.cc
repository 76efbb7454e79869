#include "api/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>

#include "api/client.h"
#include "control/controller_harness_for_test.h"
#include "image/image_test_util.h"

namespace cairn::api {
namespace {

using control::ControllerHarness;
using control::ServiceYaml;
using ::testing::HasSubstr;

TEST(ParseEndpointTest, HostAndPort) {
  auto ep = ParseEndpoint("10.0.0.5:8080");
  ASSERT_TRUE(ep.ok()) << ep.error().ToString();
  EXPECT_EQ(ep->host, "10.0.0.5");
  EXPECT_EQ(ep->port, 8080);
  EXPECT_EQ(ep->ToString(), "10.0.0.5:8080");
}

TEST(ParseEndpointTest, PortAloneUsesTheLoopbackHost) {
  auto colon = ParseEndpoint(":7401");
  ASSERT_TRUE(colon.ok());
  EXPECT_EQ(colon->host, "127.0.0.1");
  EXPECT_EQ(colon->port, 7401);

  auto bare = ParseEndpoint("7402");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->host, "127.0.0.1");
  EXPECT_EQ(bare->port, 7402);

  auto zero = ParseEndpoint("0");  // let the kernel pick
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->port, 0);
}

TEST(ParseEndpointTest, RejectsBadPortsNamingTheInput) {
  for (const char* text : {"", "localhost", "host:", "host:http", "1.2.3.4:80x", ":-1",
                           "127.0.0.1:65536", "127.0.0.1:99999999999"}) {
    auto ep = ParseEndpoint(text);
    ASSERT_FALSE(ep.ok()) << text;
    EXPECT_EQ(ep.error().code, ErrorCode::kInvalidArgument) << text;
    EXPECT_THAT(ep.error().message, HasSubstr("\"" + std::string(text) + "\"")) << text;
  }
  EXPECT_TRUE(ParseEndpoint("127.0.0.1:65535").ok());
}

// A server on a loopback port the kernel picked, in front of a controller with a FakeDriver.
// The test's thread runs the io_context (so the server and the controller stay on one thread)
// while the blocking client calls run on another.
class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(h_.Start().ok());
    server_ = std::make_unique<ApiServer>(h_.io(), h_.controller());
    BeforeListen(*server_);
    Status listening = server_->Listen(Endpoint{"127.0.0.1", 0});
    ASSERT_TRUE(listening.ok()) << listening.error().ToString();
    ASSERT_GT(server_->bound_port(), 0);
  }
  void TearDown() override {
    if (server_) server_->Close();
    h_.io().restart();
    h_.io().run_for(std::chrono::milliseconds(20));
  }

  // What a test's server is given before it listens.
  virtual void BeforeListen(ApiServer&) {}

  Client MakeClient() {
    return Client(Endpoint{"127.0.0.1", server_->bound_port()}, std::chrono::seconds(10));
  }

  // Runs `call` on another thread while serving, and returns what it returned.
  template <typename F>
  auto Serve(F call) {
    auto result = std::async(std::launch::async, call);
    h_.io().restart();
    while (result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      h_.io().run_for(std::chrono::milliseconds(5));
    }
    return result.get();
  }

  ControllerHarness h_;
  std::unique_ptr<ApiServer> server_;
};

TEST_F(ApiServerTest, ClientGetsTheVersionOverLoopback) {
  auto reply = Serve([this] { return MakeClient().Get("/v1/version"); });
  ASSERT_TRUE(reply.ok()) << reply.error().ToString();
  EXPECT_EQ((*reply)["version"], CAIRN_VERSION);
  EXPECT_EQ((*reply)["api"], "v1");
}

TEST_F(ApiServerTest, ErrorRepliesBecomeErrorsWithTheirCode) {
  auto missing = Serve([this] { return MakeClient().Get("/v1/revisions/5"); });
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  auto bad = Serve([this] { return MakeClient().Post("/v1/apply", {{"yaml", "x"}}); });
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(bad.error().message, HasSubstr("author"));
}

// A body over the limit is answered 413 with the limit, which the client reports instead of
// "cannot reach the server" (issue 13, item 7). The larger body is more than the server reads
// and drops after answering, so the client's write fails before it reads the answer.
TEST_F(ApiServerTest, ABodyOverTheLimitIsAnswered413AndTheClientSaysSo) {
  for (size_t size : {size_t{9} << 20, size_t{100} << 20}) {
    nlohmann::json body = {{"yaml", std::string(size, 'x')}, {"author", "ana"}, {"message", "m"}};
    auto reply = Serve([&] { return MakeClient().Post("/v1/apply", body); });
    ASSERT_FALSE(reply.ok()) << size;
    EXPECT_EQ(reply.error().code, ErrorCode::kInvalidArgument) << reply.error().ToString();
    EXPECT_THAT(reply.error().message, HasSubstr("larger than the 8 MiB the cairn API accepts"));
  }
  EXPECT_EQ(h_.driver().starts(), 0);
}

TEST_F(ApiServerTest, ApplyOverHttpStartsInstances) {
  nlohmann::json body = {{"yaml", ServiceYaml("v1", 2)}, {"author", "ana"}, {"message", "m"}};
  auto reply = Serve([&] { return MakeClient().Post("/v1/apply", body); });
  ASSERT_TRUE(reply.ok()) << reply.error().ToString();
  EXPECT_EQ((*reply)["revision"]["number"], 1);
  EXPECT_EQ(h_.driver().starts(), 2);

  auto conflict = Serve([&] {
    nlohmann::json stale = body;
    stale["yaml"] = ServiceYaml("v2", 2);
    stale["expect_revision"] = 0;
    return MakeClient().Post("/v1/apply", stale);
  });
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code, ErrorCode::kConflict);
}

TEST_F(ApiServerTest, LogsStreamThePrefixedLinesOfAService) {
  ASSERT_TRUE(h_.Apply(ServiceYaml("v1")).ok());
  std::string id = h_.Service().instances.at(0).id;
  std::filesystem::create_directories(h_.data_dir() + "/logs");
  std::ofstream(h_.data_dir() + "/logs/" + id + ".log") << "ready\n";

  std::string text;
  Status streamed = Serve([&] {
    return MakeClient().Stream("/v1/logs/web?tail=5", [&](std::string_view piece) {
      text.append(piece);
      return true;
    });
  });
  ASSERT_TRUE(streamed.ok()) << streamed.error().ToString();
  EXPECT_EQ(text, id + " | ready\n");

  Status unknown = Serve(
      [&] { return MakeClient().Stream("/v1/logs/nope", [](std::string_view) { return true; }); });
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

TEST_F(ApiServerTest, ListenOnAPortInUseIsUnavailableNamingTheAddress) {
  ApiServer second(h_.io(), h_.controller());
  Endpoint taken{"127.0.0.1", server_->bound_port()};
  Status status = second.Listen(taken);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(status.error().message, HasSubstr(taken.ToString()));
  EXPECT_THAT(status.error().message, HasSubstr("--addr"));
}

TEST_F(ApiServerTest, ListenOnAHostNameIsRejected) {
  ApiServer other(h_.io(), h_.controller());
  Status status = other.Listen(Endpoint{"localhost", 0});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
}

// An ImageProvider whose Prepare holds its pool thread until the test opens the gate: an
// apply's unpack that lasts exactly as long as the test wants.
class GatedImageProvider : public control::ImageProvider {
 public:
  Result<std::string> Resolve(const std::string&) override {
    return "sha256:" + std::string(64, 'a');
  }
  Result<control::PreparedImage> Prepare(const std::string&) override {
    std::unique_lock lock(mu_);
    ++waiting_;
    cv_.wait(lock, [this] { return open_; });
    return MakeError(ErrorCode::kUnavailable, "gated");
  }
  Result<std::vector<std::string>> VerifyRoot(const std::string&) override {
    return MakeError(ErrorCode::kUnavailable, "gated");
  }
  Result<std::string> QuarantineRoot(const std::string&) override {
    return MakeError(ErrorCode::kUnavailable, "gated");
  }
  int waiting() {
    std::lock_guard lock(mu_);
    return waiting_;
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int waiting_ = 0;
  bool open_ = false;
};

// A server with an image store and a GatedImageProvider.
class ApiServerImagesTest : public ApiServerTest {
 protected:
  void BeforeListen(ApiServer& server) override {
    auto store = image::ImageStore::Open(image::StoreOptions{.root = dir_ / "images"});
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    store_ = std::move(*store);
    server.SetImages(store_.get());
    server.SetImageProvider(&provider_);
  }
  void TearDown() override {
    provider_.Open();  // nothing may stay parked on a pool thread past the test
    ApiServerTest::TearDown();
    server_.reset();  // joins its pools while the store and the provider still exist
  }

  image::testing::TempDir dir_;
  std::unique_ptr<image::ImageStore> store_;
  GatedImageProvider provider_;
};

TEST_F(ApiServerImagesTest, ImageLsAndMetricsAnswerWhileLongImageWorkFillsEveryWorkThread) {
  GatedImageProvider& provider = provider_;

  // Two applies naming an image: each one's unpack takes a work thread and keeps it.
  nlohmann::json body = {{"yaml", "environment: test\nservices:\n  web:\n    image: web:1\n"},
                         {"author", "ana"},
                         {"message", "m"}};
  auto first = std::async(std::launch::async, [&] { return MakeClient().Post("/v1/apply", body); });
  auto second =
      std::async(std::launch::async, [&] { return MakeClient().Post("/v1/apply", body); });
  h_.io().restart();
  for (int i = 0; i < 2000 && provider.waiting() < 2; ++i) {
    h_.io().run_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(provider.waiting(), 2) << "both applies should be unpacking";

  // The client's own timeout (10 s) bounds the list: a read queued behind the work misses it.
  auto list = Serve([this] { return MakeClient().Get("/v1/images"); });
  // Stream has no timeout; a bounded poll, while the work still holds both threads, stands in.
  std::string text;
  auto metrics = std::async(std::launch::async, [&] {
    return MakeClient().Stream("/metrics", [&](std::string_view piece) {
      text.append(piece);
      return true;
    });
  });
  bool scraped_while_busy = false;
  for (int i = 0; i < 2000 && !scraped_while_busy; ++i) {
    h_.io().run_for(std::chrono::milliseconds(5));
    scraped_while_busy = metrics.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }
  provider.Open();
  for (auto* f : {&first, &second}) {
    while (f->wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      h_.io().run_for(std::chrono::milliseconds(5));
    }
  }
  while (metrics.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    h_.io().run_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(list.ok()) << list.error().ToString();
  EXPECT_TRUE(list->is_array());
  EXPECT_TRUE(scraped_while_busy) << "/metrics waited for the image work";
  EXPECT_THAT(text, HasSubstr("cairn_store_blobs"));
}

TEST(ClientTest, UnreachableServerIsUnavailableWithAHint) {
  // Bind and close a port so that, most likely, nothing listens on it.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  int port = probe.local_endpoint().port();
  probe.close();

  Client client(Endpoint{"127.0.0.1", port}, std::chrono::seconds(2));
  auto reply = client.Get("/v1/version");
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(reply.error().message, HasSubstr("127.0.0.1:" + std::to_string(port)));
  EXPECT_THAT(reply.error().message, HasSubstr("cairn server"));
}

}  // namespace
}  // namespace cairn::api
