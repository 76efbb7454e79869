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
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <vector>

#include "core/units.h"
#include "router/deadline_list.h"
#include "router/worker.h"

namespace cairn::router {

// The deadline of one operation at a time on one connection, kept by the worker's
// DeadlineList. Past it the socket's pending operations are cancelled.
class OpTimer {
 public:
  explicit OpTimer(Worker& worker) : worker_(worker) {}
  OpTimer(const OpTimer&) = delete;
  OpTimer& operator=(const OpTimer&) = delete;

  void Arm(boost::asio::ip::tcp::socket& socket, Duration timeout) {
    worker_.ArmDeadline(entry_, socket, timeout);
  }
  void Disarm() { entry_.Unlink(); }
  bool fired() const { return entry_.fired(); }

 private:
  Worker& worker_;
  DeadlineList::Entry entry_;
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

// `buffers` without their first `skip` bytes.
template <typename Buffers>
std::vector<boost::asio::const_buffer> BuffersAfter(const Buffers& buffers, size_t skip) {
  std::vector<boost::asio::const_buffer> rest;
  for (auto it = boost::asio::buffer_sequence_begin(buffers);
       it != boost::asio::buffer_sequence_end(buffers); ++it) {
    boost::asio::const_buffer b(*it);
    if (skip >= b.size()) {
      skip -= b.size();
      continue;
    }
    rest.push_back(b + skip);
    skip = 0;
  }
  return rest;
}

// Writes all of `buffers`. First at once, without waiting: the router's sockets are in
// non-blocking mode, and a socket with room in its send buffer (nearly always, for an answer
// or a forwarded head) takes everything in one sendmsg with no trip through the scheduler, no
// deadline and no coroutine suspension. Only what does not fit waits, under `timeout`.
template <typename Buffers>
boost::asio::awaitable<void> WriteAll(boost::asio::ip::tcp::socket& s, const Buffers& buffers,
                                      OpTimer& timer, Duration timeout,
                                      boost::system::error_code& ec) {
  size_t total = boost::asio::buffer_size(buffers);
  size_t written = s.write_some(buffers, ec);
  if (!ec && written == total) co_return;
  if (ec && ec != boost::asio::error::would_block) co_return;
  ec = {};
  std::vector<boost::asio::const_buffer> rest = BuffersAfter(buffers, written);
  timer.Arm(s, timeout);
  co_await boost::asio::async_write(s, rest,
                                    boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  timer.Disarm();
}

inline boost::asio::awaitable<void> Connect(boost::asio::ip::tcp::socket& s,
                                            const boost::asio::ip::tcp::endpoint& ep,
                                            OpTimer& timer, Duration timeout,
                                            boost::system::error_code& ec) {
  s.open(ep.protocol(), ec);
  if (!ec) s.non_blocking(true, ec);  // WriteAll writes at once first
  if (ec) co_return;
  timer.Arm(s, timeout);
  co_await s.async_connect(ep, boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  timer.Disarm();
  if (!ec) s.set_option(boost::asio::ip::tcp::no_delay(true), ec);
}

}  // namespace cairn::router
