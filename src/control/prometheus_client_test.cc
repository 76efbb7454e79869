// PrometheusClient against a stand-in HTTP server on loopback (the real Prometheus is in
// tests/e2e/prometheus_analysis_test.sh): the answer's number, a refused connection, a server
// that never answers, all delivered as readings within the timeout.
#include "control/prometheus_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <optional>

namespace cairn::control {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using std::chrono::milliseconds;
using ::testing::HasSubstr;

// Accepts one connection; answers `response` after reading the request, or never.
class OneShotServer {
 public:
  OneShotServer(asio::io_context& io, std::optional<std::string> response)
      : acceptor_(io, {asio::ip::make_address("127.0.0.1"), 0}),
        socket_(io),
        response_(std::move(response)) {
    acceptor_.async_accept(socket_, [this](boost::system::error_code ec) {
      if (ec) return;
      asio::async_read_until(socket_, request_,
                             "query=", [this](boost::system::error_code ec, size_t) {
                               if (ec || !response_) return;
                               asio::async_write(socket_, asio::buffer(*response_),
                                                 [](boost::system::error_code, size_t) {});
                             });
    });
  }
  std::string Address() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }

 private:
  tcp::acceptor acceptor_;
  tcp::socket socket_;
  asio::streambuf request_;
  std::optional<std::string> response_;
};

rollout::MetricReading Ask(asio::io_context& io, const std::string& address,
                           milliseconds timeout = milliseconds(2000)) {
  PrometheusClient client(io);
  std::optional<rollout::MetricReading> got;
  client.Query({"db_errors", address, "sum(db_errors)", timeout},
               [&](rollout::MetricReading r) { got = std::move(r); });
  io.run_for(timeout + milliseconds(2000));
  EXPECT_TRUE(got.has_value()) << "no answer within the timeout";
  return got.value_or(rollout::MetricReading{});
}

TEST(PrometheusClientTest, ReadsTheNumberOfAnInstantQuery) {
  asio::io_context io;
  std::string body =
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0.25"]}]}})";
  OneShotServer server(io, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\n\r\n" + body);
  rollout::MetricReading r = Ask(io, server.Address());
  EXPECT_EQ(r.name, "db_errors");
  ASSERT_TRUE(r.value.has_value()) << r.error;
  EXPECT_DOUBLE_EQ(*r.value, 0.25);
}

TEST(PrometheusClientTest, ARefusedConnectionIsAReadingWithItsReason) {
  asio::io_context io;
  std::string address;
  {
    tcp::acceptor closed(io, {asio::ip::make_address("127.0.0.1"), 0});
    address = "http://127.0.0.1:" + std::to_string(closed.local_endpoint().port());
  }
  rollout::MetricReading r = Ask(io, address);
  EXPECT_FALSE(r.value.has_value());
  EXPECT_THAT(r.error, HasSubstr("cannot reach Prometheus at " + address));
}

TEST(PrometheusClientTest, AServerThatNeverAnswersTimesOut) {
  asio::io_context io;
  OneShotServer server(io, std::nullopt);
  rollout::MetricReading r = Ask(io, server.Address(), milliseconds(300));
  EXPECT_FALSE(r.value.has_value());
  EXPECT_THAT(r.error, HasSubstr("did not answer within 300ms"));
}

}  // namespace
}  // namespace cairn::control
