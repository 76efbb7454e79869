#include "api/server.h"

#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "api/event_stream.h"
#include "api/http_stream.h"
#include "api/image_prepare.h"
#include "api/image_routes.h"
#include "api/log_stream.h"
#include "api/metrics_route.h"
#include "api/reply.h"
#include "api/routes.h"
#include "api/ui_routes.h"
#include "api/verify_route.h"
#include "core/descriptors.h"

namespace cairn::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;

constexpr auto kIdleTimeout = std::chrono::seconds(120);
constexpr size_t kMaxBodyBytes = ApiServer::kMaxBodyBytes;
// After a 413, the rest of the body is read and dropped for at most this long and this many
// bytes, so the client reads the answer instead of a reset (as the router's lingering close).
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr size_t kLingerBytes = 64u << 20;
constexpr auto kLogPollInterval = std::chrono::milliseconds(200);
// How often an idle event stream sends a comment (and notices a client that went away).
constexpr auto kEventKeepalive = std::chrono::seconds(15);

// GET /v1/events/stream: `after` from the query, else from Last-Event-ID (a reconnecting
// EventSource), else 0 (the whole history memory and journal hold).
EventStreamRequest EventStreamRequestOf(const Request& req, const std::string& last_event_id) {
  EventStreamRequest out;
  std::string after = req.query.count("after") ? req.query.at("after") : last_event_id;
  out.after = std::max<int64_t>(0, std::strtoll(after.c_str(), nullptr, 10));
  if (req.query.count("service")) out.service = req.query.at("service");
  return out;
}

awaitable<void> StreamLogs(beast::tcp_stream& stream, control::Controller& controller,
                           const Request& req, std::shared_ptr<bool> open) {
  std::string service = req.path.substr(std::string("/v1/logs/").size());
  LogFollower follower(controller, service);
  if (!follower.ServiceKnown()) {
    std::string body = "{\"error\":{\"code\":\"not_found\",\"message\":\"no service named \\\"" +
                       service + "\\\" has instances\",\"context\":\"\"}}\n";
    std::string head =
        "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n";
    co_await asio::async_write(stream.socket(), asio::buffer(head + body), use_awaitable);
    co_return;
  }
  int tail = 100;
  if (req.query.count("tail")) tail = std::max(0, std::atoi(req.query.at("tail").c_str()));
  bool follow = req.query.count("follow") && req.query.at("follow") != "0";
  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Cache-Control: no-store\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  std::string first = follower.Start(tail);
  if (!first.empty()) head += Chunk(first);
  co_await asio::async_write(stream.socket(), asio::buffer(head), use_awaitable);
  asio::steady_timer timer(stream.socket().get_executor());
  while (follow && *open && !PeerClosed(stream.socket())) {
    timer.expires_after(kLogPollInterval);
    co_await timer.async_wait(use_awaitable);
    std::string more = follower.Poll();
    if (!more.empty()) {
      co_await asio::async_write(stream.socket(), asio::buffer(Chunk(more)), use_awaitable);
    }
  }
  co_await asio::async_write(stream.socket(), asio::buffer(std::string("0\r\n\r\n")),
                             use_awaitable);
}

// What a session needs besides its socket; owned by the ApiServer, which outlives it.
struct Services {
  control::Controller& controller;
  const router::Router* router;
  image::ImageStore* images;
  asio::thread_pool& work_pool;  // long store work: build, import, gc, an apply's unpacks
  asio::thread_pool& read_pool;  // quick reads: image ls and inspect, /metrics
  control::DriftCheck* drift;
  control::ImageProvider* provider;
  StoreGcCounters* gc;
};

// A request body over kMaxBodyBytes: 413 with the limit, then a lingering close.
awaitable<void> AnswerTooLarge(beast::tcp_stream& stream, unsigned version) {
  http::response<http::string_body> res{http::status::payload_too_large, version};
  res.set(http::field::server, "cairn");
  res.set(http::field::content_type, "application/json");
  res.keep_alive(false);
  res.body() =
      ErrorReply(MakeError(ErrorCode::kInvalidArgument, "the request body is larger than the " +
                                                            std::to_string(kMaxBodyBytes >> 20) +
                                                            " MiB the cairn API accepts"))
          .body;
  res.prepare_payload();
  beast::error_code ec;
  stream.expires_after(kLingerTime);
  co_await http::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  std::vector<char> scratch(64 * 1024);
  size_t dropped = 0;
  while (dropped < kLingerBytes) {
    size_t n = co_await stream.async_read_some(asio::buffer(scratch),
                                               asio::redirect_error(use_awaitable, ec));
    if (ec) break;  // EOF (the client read the answer and closed) or the linger time is up
    dropped += n;
  }
}

// Gives a place in the API's connection cap back when the session ends.
struct ApiSlot {
  explicit ApiSlot(std::shared_ptr<ConnectionLimit> held) : limit(std::move(held)) {}
  std::shared_ptr<ConnectionLimit> limit;
  ApiSlot(const ApiSlot&) = delete;
  ApiSlot& operator=(const ApiSlot&) = delete;
  ~ApiSlot() {
    if (limit) limit->Release();
  }
};

awaitable<void> Session(tcp::socket socket, Services services, std::shared_ptr<bool> open,
                        std::shared_ptr<ConnectionLimit> limit) {
  ApiSlot slot(std::move(limit));
  control::Controller& controller = services.controller;
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  try {
    while (*open) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(kMaxBodyBytes);
      stream.expires_after(kIdleTimeout);
      beast::error_code read_error;
      co_await http::async_read(stream, buffer, parser,
                                asio::redirect_error(use_awaitable, read_error));
      if (read_error == http::error::body_limit) {
        co_await AnswerTooLarge(stream, parser.get().version());
        break;
      }
      if (read_error) throw boost::system::system_error(read_error);
      stream.expires_never();
      const auto& msg = parser.get();
      Request req;
      req.method = std::string(msg.method_string());
      SplitTarget(std::string(msg.target()), &req.path, &req.query);
      req.body = msg.body();
      if (req.method == "GET" && req.path.starts_with("/v1/logs/")) {
        co_await StreamLogs(stream, controller, req, open);
        break;
      }
      if (req.method == "GET" && req.path == "/v1/events/stream") {
        EventStreamRequest events = EventStreamRequestOf(req, std::string(msg["Last-Event-ID"]));
        co_await StreamEvents(stream.socket(), controller.mutable_events(), std::move(events), open,
                              kEventKeepalive);
        break;
      }
      Reply reply;
      // Plain statements around co_await: GCC 12 mishandles a co_await inside ?: (its
      // temporaries are destroyed too early).
      if (req.method == "GET" && req.path == "/metrics") {
        Reply answer = co_await MetricsRoute(
            MetricsSources{controller, services.router, services.images, services.gc},
            services.read_pool);
        reply = std::move(answer);
      } else if (IsImagePath(req.path) && services.images) {
        // Named, not a prvalue argument: GCC 12 destroys those twice in a coroutine call.
        ImagePools pools{services.work_pool, services.read_pool};
        Reply answer = co_await ImageRoute(*services.images, pools, controller, req, services.gc);
        reply = std::move(answer);
      } else if (req.method == "POST" && req.path == "/v1/verify") {
        Reply answer = co_await VerifyRoute(services.drift);
        reply = std::move(answer);
      } else if (IsUiPath(req.path)) {
        reply = UiRoute(req, std::string(msg[http::field::if_none_match]));
      } else if (IsImagePath(req.path)) {
        reply = ErrorReply(MakeError(ErrorCode::kUnavailable, "this server has no image store"));
      } else {
        if (req.method == "POST" && req.path == "/v1/apply" && services.provider) {
          co_await PrepareImagesFor(req.body, *services.provider, services.work_pool);
        }
        reply = Route(controller, req, services.router);
      }
      http::response<http::string_body> res{static_cast<http::status>(reply.status), msg.version()};
      res.set(http::field::server, "cairn");
      res.set(http::field::content_type, reply.content_type);
      for (const auto& [name, value] : reply.headers) res.set(name, value);
      res.keep_alive(msg.keep_alive());
      res.body() = std::move(reply.body);
      res.prepare_payload();
      co_await http::async_write(stream, res, use_awaitable);
      if (!res.keep_alive()) break;
    }
  } catch (const boost::system::system_error&) {
    // The client went away or sent something unreadable: the connection ends, nothing else.
  }
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

// The answer to a connection past the cap, built once.
const std::string& TooManyConnections() {
  static const std::string text = [] {
    std::string body =
        ErrorReply(MakeError(ErrorCode::kUnavailable,
                             "the cairn API has too many connections open; try again shortly"))
            .body;
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
           "Content-Length: " +
           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  }();
  return text;
}

awaitable<void> AcceptLoop(tcp::acceptor& acceptor, Services services, std::shared_ptr<bool> open,
                           std::shared_ptr<ConnectionLimit> limit) {
  AcceptBackoff backoff;
  asio::steady_timer pause(acceptor.get_executor());
  while (*open) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (!*open) co_return;
      // Out of descriptors: wait instead of spinning on the strand the controller shares.
      if (ec.category() == boost::system::system_category() && AcceptOutOfResources(ec.value())) {
        pause.expires_after(std::chrono::milliseconds(backoff.NextDelayMs()));
        co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
      }
      continue;
    }
    backoff.Reset();
    if (!limit->TryAcquire()) {
      const std::string& refusal = TooManyConnections();
      ssize_t sent = ::send(socket.native_handle(), refusal.data(), refusal.size(),
                            MSG_NOSIGNAL | MSG_DONTWAIT);
      (void)sent;  // best effort: refused either way
      socket.close(ec);
      continue;
    }
    asio::co_spawn(acceptor.get_executor(), Session(std::move(socket), services, open, limit),
                   asio::detached);
  }
}

}  // namespace

Result<Endpoint> ParseEndpoint(const std::string& text) {
  Endpoint ep;
  std::string port_text = text;
  size_t colon = text.rfind(':');
  if (colon != std::string::npos) {
    if (colon > 0) ep.host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  int port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "invalid address \"" + text + "\": expected HOST:PORT, e.g. 127.0.0.1:7400");
  }
  ep.port = port;
  return ep;
}

ApiServer::ApiServer(asio::io_context& io, control::Controller& controller)
    : io_(io), controller_(controller), open_(std::make_shared<bool>(true)) {}

ApiServer::~ApiServer() { Close(); }

Status ApiServer::Listen(const Endpoint& endpoint) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(endpoint.host, ec);
  if (ec) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "invalid listen host \"" + endpoint.host + "\": use an IP address");
  }
  tcp::endpoint ep(address, static_cast<unsigned short>(endpoint.port));
  acceptor_ = std::make_unique<tcp::acceptor>(io_);
  acceptor_->open(ep.protocol(), ec);
  if (!ec) acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_->bind(ep, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return MakeError(
        ErrorCode::kUnavailable,
        "cannot listen on " + endpoint.ToString() + ": " + ec.message() +
            (ec == asio::error::address_in_use ? " (another cairn server? pick another with --addr)"
                                               : ""));
  }
  StartAccepting();
  return OkStatus();
}

Status ApiServer::ListenOn(const Endpoint& endpoint, int fd) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(endpoint.host, ec);
  if (ec) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "invalid listen host \"" + endpoint.host + "\": use an IP address");
  }
  acceptor_ = std::make_unique<tcp::acceptor>(io_);
  acceptor_->assign(address.is_v6() ? tcp::v6() : tcp::v4(), fd, ec);
  if (ec) {
    return MakeError(ErrorCode::kUnavailable, "cannot accept on the API socket handed over for " +
                                                  endpoint.ToString() + ": " + ec.message());
  }
  StartAccepting();
  return OkStatus();
}

void ApiServer::StartAccepting() {
  bound_port_ = acceptor_->local_endpoint().port();
  asio::co_spawn(io_,
                 AcceptLoop(*acceptor_,
                            Services{controller_, router_, images_, *work_pool_, *read_pool_,
                                     drift_, provider_, &gc_counters_},
                            open_, std::make_shared<ConnectionLimit>(max_connections_)),
                 asio::detached);
}

void ApiServer::Close() {
  *open_ = false;
  if (acceptor_) {
    boost::system::error_code ec;
    acceptor_->close(ec);
  }
}

}  // namespace cairn::api
