// A real HTTP webhook receiver on loopback for the alert tests, served by the test's own
// io_context (single-threaded, so its records need no lock).
#pragma once

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <string>
#include <vector>

namespace cairn::telemetry {

// Answers each request with the next status of `statuses` (the last one repeats), recording
// every body; status 0 means: read the request and never answer.
class Receiver {
  using tcp = boost::asio::ip::tcp;

 public:
  Receiver(boost::asio::io_context& io, std::vector<int> statuses)
      : acceptor_(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)),
        statuses_(std::move(statuses)) {
    boost::asio::co_spawn(io, Accept(), boost::asio::detached);
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/hook";
  }
  std::vector<std::string> bodies;
  std::vector<std::string> targets;

 private:
  boost::asio::awaitable<void> Accept() {
    for (;;) {
      boost::beast::error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(
          boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      if (ec) co_return;
      boost::asio::co_spawn(acceptor_.get_executor(), Serve(std::move(socket)),
                            boost::asio::detached);
    }
  }
  boost::asio::awaitable<void> Serve(tcp::socket socket) {
    boost::beast::error_code ec;
    boost::beast::flat_buffer buffer;
    boost::beast::http::request<boost::beast::http::string_body> req;
    co_await boost::beast::http::async_read(
        socket, buffer, req, boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (ec) co_return;
    bodies.push_back(req.body());
    targets.push_back(std::string(req.target()));
    int status = statuses_[std::min(bodies.size(), statuses_.size()) - 1];
    if (status == 0) {
      held_.push_back(std::move(socket));  // never answers, never closes
      co_return;
    }
    boost::beast::http::response<boost::beast::http::string_body> res{
        static_cast<boost::beast::http::status>(status), 11};
    if (status != 204) res.body() = "{}";
    res.prepare_payload();
    co_await boost::beast::http::async_write(
        socket, res, boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  }

  tcp::acceptor acceptor_;
  std::vector<int> statuses_;
  std::vector<tcp::socket> held_;
};

}  // namespace cairn::telemetry
