// The live event stream, GET /v1/events/stream?after=SEQ&service=S: Server-Sent Events, one
// frame per event ("id: SEQ", "event: TYPE", "data: {event JSON}"), so a browser's
// EventSource or `cairn events -f` sees each event the moment the controller records it, and
// resumes after a reconnect from Last-Event-ID without losing or repeating one.
// Called on the controller strand only.
#pragma once

// clang-format off
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange without including it
// clang-format on
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "telemetry/event_log.h"

namespace cairn::api {

// One SSE frame for `event`. The JSON is on one line, so one `data:` field carries it.
std::string SseFrame(const telemetry::Event& event);

struct EventStreamRequest {
  int64_t after = 0;    // send events with seq > after first (history), then live ones
  std::string service;  // only this service's events when not empty
};

// Writes the response head and then events until the client goes away or `open` turns false
// (checked at least every `keepalive`, when a ": keepalive" comment is also sent so proxies
// and browsers keep the connection). Events go out in pieces of at most 500 events and about
// 256 KiB; a client that has not taken a piece within `write_timeout` has fallen behind, and
// its stream ends (it resumes from Last-Event-ID), so unread streams hold neither memory nor
// the strand.
boost::asio::awaitable<void> StreamEvents(
    boost::asio::ip::tcp::socket& socket, telemetry::EventLog& log, EventStreamRequest request,
    std::shared_ptr<bool> open, std::chrono::milliseconds keepalive,
    std::chrono::milliseconds write_timeout = std::chrono::seconds(10));

}  // namespace cairn::api
