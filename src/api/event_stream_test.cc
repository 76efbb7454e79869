#include "api/event_stream.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <string>

#include "core/clock.h"

namespace cairn::api {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

// A connected pair on loopback: the server's end and a client's end that never reads.
struct SocketPair {
  SocketPair(asio::io_context& io, bool small_buffers) : server(io), client(io) {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);
    if (!small_buffers) return;
    // Small buffers, so a few pieces of events fill them.
    server.set_option(asio::socket_base::send_buffer_size(4096));
    client.set_option(asio::socket_base::receive_buffer_size(4096));
  }
  tcp::socket server;
  tcp::socket client;
};

// Runs the stream to its end and says so; a plain function (GCC 12 mishandles lambda
// coroutines' captures).
asio::awaitable<void> StreamThenMark(tcp::socket& socket, telemetry::EventLog& log,
                                     std::shared_ptr<bool> open,
                                     std::chrono::milliseconds write_timeout, bool* ended) {
  EventStreamRequest request;  // named: GCC 12 destroys a prvalue argument of a coroutine twice
  co_await StreamEvents(socket, log, std::move(request), std::move(open), 10s, write_timeout);
  *ended = true;
}

TEST(EventStreamTest, AStreamWhoseClientDoesNotReadEndsInsteadOfHoldingOn) {
  FakeClock clock;
  telemetry::EventLog log(&clock);
  std::string message(2000, 'x');
  for (int i = 0; i < 2000; ++i) log.Add("instance.started", "web", "web-1", message);
  asio::io_context io;
  SocketPair pair(io, true);
  bool ended = false;
  asio::co_spawn(io, StreamThenMark(pair.server, log, std::make_shared<bool>(true), 200ms, &ended),
                 asio::detached);
  // Bounded: a stream that never gives up would leave `ended` false when this returns.
  for (int i = 0; i < 100 && !ended; ++i) io.run_for(100ms);
  EXPECT_TRUE(ended) << "the stream is still waiting on a client that does not read";
}

TEST(EventStreamTest, AReadingClientGetsEveryEventInBoundedPieces) {
  FakeClock clock;
  telemetry::EventLog log(&clock);
  std::string message(2000, 'y');
  for (int i = 0; i < 300; ++i) log.Add("instance.started", "web", "web-1", message);
  asio::io_context io;
  SocketPair pair(io, false);
  auto open = std::make_shared<bool>(true);
  bool ended = false;
  asio::co_spawn(io, StreamThenMark(pair.server, log, open, 5s, &ended), asio::detached);
  std::string received;
  char buf[65536];
  pair.client.non_blocking(true);
  auto drain = [&] {
    for (;;) {
      boost::system::error_code ec;
      size_t n = pair.client.read_some(asio::buffer(buf), ec);
      if (ec) return;
      received.append(buf, n);
    }
  };
  for (int i = 0; i < 500 && received.find("id: 300\n") == std::string::npos; ++i) {
    io.run_for(10ms);
    drain();
  }
  EXPECT_NE(received.find("id: 1\n"), std::string::npos);
  EXPECT_NE(received.find("id: 300\n"), std::string::npos);
  *open = false;
  log.Add("instance.stopped", "web", "web-1", "wakes the stream, which sees it must end");
  for (int i = 0; i < 100 && !ended; ++i) {
    io.run_for(10ms);
    drain();
  }
  EXPECT_TRUE(ended);
}

}  // namespace
}  // namespace cairn::api
