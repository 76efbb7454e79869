// Small coroutine helpers shared by the HTTP and TCP sessions: operations with a deadline.
// A timeout cancels the socket's pending operation; the caller tells a timeout from another
// error with OpTimer::fired(). Worker thread only.
#pragma once

// clang-format off
// Before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format on
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <memory>

#include "core/units.h"

namespace cairn::router {

class OpTimer {
 public:
  explicit OpTimer(const boost::asio::any_io_executor& ex)
      : timer_(ex), state_(std::make_shared<State>()) {}
  ~OpTimer() { state_->socket = nullptr; }
  OpTimer(const OpTimer&) = delete;
  OpTimer& operator=(const OpTimer&) = delete;

  void Arm(boost::asio::ip::tcp::socket& socket, Duration timeout) {
    uint64_t gen = ++state_->generation;
    state_->socket = &socket;
    state_->fired = false;
    timer_.expires_after(timeout);
    timer_.async_wait([st = state_, gen](boost::system::error_code ec) {
      if (ec || st->generation != gen || st->socket == nullptr) return;
      st->fired = true;
      boost::system::error_code ignored;
      st->socket->cancel(ignored);
    });
  }
  void Disarm() {
    ++state_->generation;
    state_->socket = nullptr;
    timer_.cancel();
  }
  bool fired() const { return state_->fired; }

 private:
  struct State {
    uint64_t generation = 0;
    boost::asio::ip::tcp::socket* socket = nullptr;
    bool fired = false;
  };
  boost::asio::steady_timer timer_;
  std::shared_ptr<State> state_;
};

inline boost::asio::awaitable<size_t> ReadSome(boost::asio::ip::tcp::socket& s, char* data,
                                               size_t size, OpTimer& timer, Duration timeout,
                                               boost::system::error_code& ec) {
  timer.Arm(s, timeout);
  size_t n = co_await s.async_read_some(
      boost::asio::buffer(data, size), boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  timer.Disarm();
  co_return n;
}

template <typename Buffers>
boost::asio::awaitable<void> WriteAll(boost::asio::ip::tcp::socket& s, const Buffers& buffers,
                                      OpTimer& timer, Duration timeout,
                                      boost::system::error_code& ec) {
  timer.Arm(s, timeout);
  co_await boost::asio::async_write(s, buffers,
                                    boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  timer.Disarm();
}

inline boost::asio::awaitable<void> Connect(boost::asio::ip::tcp::socket& s,
                                            const boost::asio::ip::tcp::endpoint& ep,
                                            OpTimer& timer, Duration timeout,
                                            boost::system::error_code& ec) {
  s.open(ep.protocol(), ec);
  if (ec) co_return;
  timer.Arm(s, timeout);
  co_await s.async_connect(ep, boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  timer.Disarm();
  if (!ec) s.set_option(boost::asio::ip::tcp::no_delay(true), ec);
}

}  // namespace cairn::router
