// WebhookSender against a real HTTP receiver on loopback, run on the test's io_context.
#include "telemetry/alert_sender.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <vector>

#include "telemetry/alert_receiver_for_test.h"

namespace cairn::telemetry {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

WebhookSenderOptions Fast() {
  WebhookSenderOptions o;
  o.attempt_timeout = milliseconds(300);
  o.backoff = {milliseconds(10), milliseconds(40)};
  return o;
}

// Runs `io` until `done` holds, for at most 10 s (a bound, not a measurement).
template <typename F>
void RunUntil(asio::io_context& io, F done) {
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done() && std::chrono::steady_clock::now() < end) io.run_for(milliseconds(10));
}

class WebhookSenderTest : public ::testing::Test {
 protected:
  std::unique_ptr<WebhookSender> Sender(const Receiver& r, WebhookSenderOptions o = Fast()) {
    auto url = ParseWebhookUrl(r.url());
    EXPECT_TRUE(url.ok());
    return std::make_unique<WebhookSender>(io_, "test", *url, o, SystemClock::Get(),
                                           [this](const std::string& l) { log_.push_back(l); });
  }
  asio::io_context io_;
  std::vector<std::string> log_;
};

TEST_F(WebhookSenderTest, RetriesAfter5xxAndDeliversInOrder) {
  Receiver receiver(io_, {500, 503, 200});
  auto sender = Sender(receiver);
  sender->Send(R"({"n":1})");
  sender->Send(R"({"n":2})");
  RunUntil(io_, [&] { return sender->stats().delivered == 2; });
  EXPECT_EQ(sender->stats().delivered, 2u);
  EXPECT_EQ(sender->stats().attempts, 4u);
  ASSERT_EQ(receiver.bodies.size(), 4u);
  EXPECT_EQ(receiver.bodies[0], R"({"n":1})");
  EXPECT_EQ(receiver.bodies[2], R"({"n":1})");
  EXPECT_EQ(receiver.bodies[3], R"({"n":2})");
  EXPECT_EQ(receiver.targets[0], "/hook");
  EXPECT_EQ(sender->queued(), 0u);
  bool logged_retry = false;
  for (const auto& l : log_) logged_retry |= l.find("HTTP 500; retrying in") != std::string::npos;
  EXPECT_TRUE(logged_retry);
}

TEST_F(WebhookSenderTest, RetriesTooManyRequests) {
  Receiver receiver(io_, {429, 204});
  auto sender = Sender(receiver);
  sender->Send("{}");
  RunUntil(io_, [&] { return sender->stats().delivered == 1; });
  EXPECT_EQ(sender->stats().attempts, 2u);
}

TEST_F(WebhookSenderTest, DropsOn4xxWithALogLineAndGoesOn) {
  Receiver receiver(io_, {400, 200});
  auto sender = Sender(receiver);
  sender->Send(R"({"n":1})");
  sender->Send(R"({"n":2})");
  RunUntil(io_, [&] { return sender->stats().delivered == 1; });
  EXPECT_EQ(sender->stats().given_up, 1u);
  EXPECT_EQ(sender->stats().attempts, 2u);
  ASSERT_EQ(receiver.bodies.size(), 2u);
  EXPECT_EQ(receiver.bodies[1], R"({"n":2})");
  ASSERT_FALSE(log_.empty());
  EXPECT_NE(log_[0].find("HTTP 400; dropping"), std::string::npos);
}

TEST_F(WebhookSenderTest, RetriesWhenNothingListens) {
  uint16_t port;
  {
    tcp::acceptor probe(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }
  auto url = ParseWebhookUrl("http://127.0.0.1:" + std::to_string(port) + "/");
  ASSERT_TRUE(url.ok());
  WebhookSender sender(io_, "down", *url, Fast(), SystemClock::Get(), nullptr);
  sender.Send("{}");
  RunUntil(io_, [&] { return sender.stats().attempts >= 3; });
  EXPECT_GE(sender.stats().attempts, 3u);
  EXPECT_EQ(sender.stats().delivered, 0u);
  EXPECT_EQ(sender.queued(), 1u);
}

TEST_F(WebhookSenderTest, GivesUpPastMaxAge) {
  Receiver receiver(io_, {500});
  WebhookSenderOptions o = Fast();
  o.max_age = milliseconds(0);  // the first retry would already be too late
  auto sender = Sender(receiver, o);
  sender->Send("{}");
  RunUntil(io_, [&] { return sender->stats().given_up == 1; });
  EXPECT_EQ(sender->stats().attempts, 1u);
  EXPECT_EQ(sender->queued(), 0u);
  ASSERT_FALSE(log_.empty());
  EXPECT_NE(log_.back().find("giving the notification up"), std::string::npos);
}

TEST_F(WebhookSenderTest, HangingReceiverTimesOutAndNeverHoldsTheLoop) {
  Receiver receiver(io_, {0, 200});  // the first request is read and never answered
  auto sender = Sender(receiver);
  // Other work on the same io_context keeps running while the receiver hangs.
  int ticks = 0;
  asio::steady_timer tick(io_);
  std::function<void()> again = [&] {
    tick.expires_after(milliseconds(5));
    tick.async_wait([&](beast::error_code ec) {
      if (!ec) ++ticks, again();
    });
  };
  again();
  sender->Send("{}");
  int ticks_before_answer = -1;
  RunUntil(io_, [&] {
    if (ticks_before_answer < 0 && sender->stats().attempts == 2) ticks_before_answer = ticks;
    return sender->stats().delivered == 1;
  });
  tick.cancel();
  EXPECT_EQ(sender->stats().delivered, 1u);
  EXPECT_EQ(sender->stats().attempts, 2u);
  EXPECT_GT(ticks_before_answer, 0);
  bool logged_timeout = false;
  for (const auto& l : log_) logged_timeout |= l.find("no answer within") != std::string::npos;
  EXPECT_TRUE(logged_timeout);
}

TEST_F(WebhookSenderTest, FullQueueGivesTheOldestUp) {
  Receiver receiver(io_, {0});
  WebhookSenderOptions o = Fast();
  o.queue_capacity = 2;
  auto sender = Sender(receiver, o);
  sender->Send("1");
  sender->Send("2");
  sender->Send("3");
  EXPECT_EQ(sender->queued(), 2u);
  EXPECT_EQ(sender->stats().given_up, 1u);
}

TEST_F(WebhookSenderTest, DestroyingTheSenderMidAttemptIsSafe) {
  Receiver receiver(io_, {0});
  auto sender = Sender(receiver);
  sender->Send("{}");
  RunUntil(io_, [&] { return receiver.bodies.size() == 1; });
  sender.reset();
  io_.run_for(milliseconds(50));
  EXPECT_EQ(receiver.bodies.size(), 1u);
}

}  // namespace
}  // namespace cairn::telemetry
