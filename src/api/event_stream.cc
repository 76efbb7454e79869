#include "api/event_stream.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "api/http_stream.h"

namespace cairn::api {

namespace asio = boost::asio;

namespace {

// Events sent per write, and the bytes they may take: a client catching up on a long history
// gets it in bounded pieces, and no stream holds more than one piece in this process.
constexpr size_t kBatch = 500;
constexpr size_t kBatchBytes = 256 * 1024;

// Writes `data` to `socket` within `timeout`; false when it could not (the stream ends). A
// client that has not taken a piece for that long has fallen behind or stopped reading;
// without the bound, a few hundred such clients each held a batch and their sockets' buffers
// for as long as they liked.
asio::awaitable<bool> WriteWithin(asio::ip::tcp::socket& socket, const std::string& data,
                                  std::chrono::milliseconds timeout) {
  asio::steady_timer deadline(socket.get_executor());
  deadline.expires_after(timeout);
  bool expired = false;
  deadline.async_wait([&socket, &expired](boost::system::error_code ec) {
    if (ec) return;  // the write finished first
    expired = true;
    boost::system::error_code ignored;
    socket.cancel(ignored);
  });
  boost::system::error_code ec;
  co_await asio::async_write(socket, asio::buffer(data),
                             asio::redirect_error(asio::use_awaitable, ec));
  deadline.cancel();
  co_return !ec && !expired;
}

}  // namespace

std::string SseFrame(const telemetry::Event& event) {
  // dump() escapes control characters, so the JSON has no newline that would end the field.
  return "id: " + std::to_string(event.seq) + "\nevent: " + event.type +
         "\ndata: " + telemetry::EventToJson(event).dump() + "\n\n";
}

asio::awaitable<void> StreamEvents(asio::ip::tcp::socket& socket, telemetry::EventLog& log,
                                   EventStreamRequest request, std::shared_ptr<bool> open,
                                   std::chrono::milliseconds keepalive,
                                   std::chrono::milliseconds write_timeout) {
  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
      "X-Accel-Buffering: no\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  // Tells EventSource how long to wait before reconnecting.
  head += Chunk("retry: 1000\n\n");
  co_await asio::async_write(socket, asio::buffer(head), asio::use_awaitable);

  // New events cancel the wait. The listener and this coroutine run on the same strand, so an
  // event added while a write is in flight is found by the Since() that follows it.
  asio::steady_timer wake(socket.get_executor());
  telemetry::EventSubscription subscription =
      log.Subscribe([&wake](const telemetry::Event&) { wake.cancel(); });
  int64_t after = request.after;
  while (*open) {
    std::vector<telemetry::Event> events = log.Since(after, request.service, kBatch);
    if (!events.empty()) {
      std::string frames;
      for (const auto& e : events) {
        frames += SseFrame(e);
        after = e.seq;
        if (frames.size() >= kBatchBytes) break;  // the rest in the next piece
      }
      if (!co_await WriteWithin(socket, Chunk(frames), write_timeout)) co_return;
      continue;
    }
    if (PeerClosed(socket)) break;
    wake.expires_after(keepalive);
    boost::system::error_code ec;
    co_await wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && *open) {
      if (!co_await WriteWithin(socket, Chunk(": keepalive\n\n"), write_timeout)) co_return;
    }
  }
  const std::string last_chunk = "0\r\n\r\n";
  boost::system::error_code ignored;
  co_await asio::async_write(socket, asio::buffer(last_chunk),
                             asio::redirect_error(asio::use_awaitable, ignored));
}

}  // namespace cairn::api
