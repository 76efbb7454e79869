// HttpSession: one client connection, one request at a time. Reads a head, picks a version and
// a backend, forwards the head without hop-by-hop headers, streams the body, streams the
// response back, and loops while both sides keep the connection alive. Pipelined requests wait
// in the read buffer until the previous response is sent, so answers stay in order.
//
// Expect: 100-continue is answered by the router itself (the header is not forwarded): once a
// backend is connected and the head sent, the router writes "100 Continue" and streams the
// body. This keeps retries and the pool simple and costs the upstream nothing.
// clang-format off
// Before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format on
#include <sys/ioctl.h>

#include <array>
#include <boost/asio/buffer.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "router/cohort.h"
#include "router/http_response.h"
#include "router/io_util.h"
#include "router/request_log.h"
#include "router/tunnel.h"
#include "router/worker.h"

namespace cairn::router {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using namespace std::string_view_literals;
using asio::ip::tcp;
using boost::system::error_code;

// The client-side read buffer: request heads and request bodies.
constexpr size_t kBufferSize = 16 * 1024;
// The upstream-side read buffer: response heads and bodies. Larger than kBufferSize because
// every read of it costs a read, a write to the client and a coroutine round trip per side:
// at 16 KiB a 16 KiB body plus its head took two of each (callgrind and strace figures in
// docs/benchmarks.md, Router, Profile). 64 KiB is nginx's default proxy_buffers total.
constexpr size_t kResponseBufferSize = 64 * 1024;

// A growable byte window [begin, end) over a vector, allocated on first use: an idle
// keep-alive connection (ten thousand of them, in a flood) holds no response buffer at all.
struct Buffer {
  explicit Buffer(size_t size) : initial(size) {}
  size_t initial;
  std::vector<char> data;
  size_t begin = 0, end = 0;
  size_t size() const { return end - begin; }
  char* head() { return data.data() + begin; }
  std::string_view view() const { return {data.data() + begin, end - begin}; }
  void Consume(size_t n) {
    begin += n;
    if (begin == end) begin = end = 0;
  }
  // Room for at least some more bytes at the end.
  void Reserve(size_t limit) {
    if (data.empty()) data.resize(initial);
    if (end < data.size()) return;
    if (begin > 0) {
      std::memmove(data.data(), data.data() + begin, end - begin);
      end -= begin;
      begin = 0;
      return;
    }
    if (data.size() < limit) data.resize(std::min(limit, data.size() * 2));
  }
  char* tail() { return data.data() + end; }
  size_t room() const { return data.size() - end; }
};

// The value of the first Cookie header, empty when absent.
std::string_view CookieHeader(const std::vector<HttpHeader>& headers) {
  for (const HttpHeader& h : headers) {
    if (h.kind == HeaderKind::kCookie) return h.value;
  }
  return {};
}

class HttpConnection {
 public:
  HttpConnection(Worker& worker, tcp::socket client, std::string listener, std::string service)
      : w_(worker),
        opt_(worker.options()),
        client_(std::move(client)),
        timer_(worker),
        listener_(std::move(listener)),
        service_(std::move(service)) {
    error_code ec;
    auto ep = client_.remote_endpoint(ec);
    if (!ec) client_ip_ = ep.address().to_string();
  }

  awaitable<void> Run() {
    bool first = true;
    for (;;) {
      bool ok = co_await ReadHead(first);
      if (!ok) co_return;
      first = false;
      if (!co_await Proxy()) co_return;
    }
  }

 private:
  // Reads one request head into head_; false when the connection is done.
  awaitable<bool> ReadHead(bool first) {
    SteadyTime deadline = std::chrono::steady_clock::now() + opt_.head_timeout;
    bool started = first || in_.size() > 0;
    for (;;) {
      if (in_.size() > 0) {
        HttpError error;
        ParseStatus st = ParseRequestHead(in_.view(), opt_.limits, &head_, &error);
        if (st == ParseStatus::kComplete) co_return true;
        if (st == ParseStatus::kError) {
          w_.stats().CountError(error);
          StartRefusedLog();
          AccessLine access_line{*this, HeadBegan(deadline)};
          co_await SendError(HttpErrorStatus(error));
          co_return false;
        }
      }
      in_.Reserve(opt_.limits.max_head_bytes + 1);
      Duration timeout = opt_.client_idle_timeout;
      if (started) {
        timeout = std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
        if (timeout.count() <= 0) timeout = Duration(1);
      }
      // Between requests, a draining router (a next server took the sockets over) ends the
      // connection, unless the client's next request has already arrived: that one is served.
      bool idle = !started;
      if (idle && w_.draining() && !BytesWaiting()) co_return false;
      error_code ec;
      size_t n = 0;
      {
        IdleMark mark(w_, idle ? &client_ : nullptr);
        n = co_await ReadSome(client_, in_.tail(), in_.room(), timer_, timeout, ec);
      }
      if (ec) {
        if (idle && w_.draining() && !timer_.fired() && BytesWaiting()) continue;
        if (timer_.fired()) {
          if (started) {
            w_.stats().CountTimeout(TimeoutKind::kHeadRead);
            StartRefusedLog();
            AccessLine access_line{*this, HeadBegan(deadline)};
            co_await SendError(408);
          } else {
            w_.stats().CountTimeout(TimeoutKind::kClientIdle);
          }
        }
        co_return false;
      }
      if (!started) deadline = std::chrono::steady_clock::now() + opt_.head_timeout;
      started = true;
      in_.end += n;
    }
  }

  // Registers a keep-alive wait with the worker for as long as it lasts (Worker::IdleBegin).
  struct IdleMark {
    IdleMark(Worker& w, tcp::socket* socket) : w(w), socket(socket) {
      if (socket != nullptr) w.IdleBegin(socket);
    }
    ~IdleMark() {
      if (socket != nullptr) w.IdleEnd(socket);
    }
    IdleMark(const IdleMark&) = delete;
    IdleMark& operator=(const IdleMark&) = delete;
    Worker& w;
    tcp::socket* socket;
  };

  // Whether the client sent bytes not read yet.
  bool BytesWaiting() {
    int n = 0;
    return ::ioctl(client_.native_handle(), FIONREAD, &n) == 0 && n > 0;
  }

  // When the head whose read ends at `deadline` began to arrive: read off the deadline, so the
  // request path pays no clock read for a line only refused requests need (the worker's clock
  // is the steady clock these deadlines use).
  SteadyTime HeadBegan(SteadyTime deadline) const { return deadline - opt_.head_timeout; }

  // Turns on the access line of a request refused while its head was read, when the
  // listener logs.
  void StartRefusedLog() {
    log_.on = false;
    RouteTableSnapshot table = w_.Table();
    if (!table) return;
    for (const ListenerRoute& l : table->listeners) {
      if (l.name != listener_ || !l.access_log) continue;
      log_.on = true;
      log_.Refused(l.service);
    }
  }

  awaitable<void> SendError(int status) {
    log_.status = status;
    std::string body = std::to_string(status) + " " + ReasonPhrase(status) + "\n";
    std::string text =
        "HTTP/1.1 " + std::to_string(status) + " " + ReasonPhrase(status) +
        "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
        // 405 is only ever CONNECT's, and RFC 9110 wants the methods that would do.
        (status == 405 ? "\r\nAllow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE" : "") +
        "\r\nConnection: close\r\n\r\n" + body;
    error_code ec;
    co_await WriteAll(client_, asio::buffer(text), timer_, opt_.client_idle_timeout, ec);
    if (!ec) log_.bytes += text.size();
    if (log_.on) log_.end = w_.clock()->Now();  // the linger below is not the request's time
    client_.shutdown(tcp::socket::shutdown_send, ec);
    if (!ec) co_await Linger();
  }

  // After an error answer the rest of the request may still be arriving. Closing a socket
  // with unread bytes makes the kernel send a reset, and a reset can destroy the answer in
  // the client's receive queue before it is read. So, like nginx's lingering close, read and
  // drop what comes until the client closes, for at most kLingerTime and kLingerBytes.
  awaitable<void> Linger() {
    static constexpr Duration kLingerTime{2000};
    static constexpr size_t kLingerBytes = 1 << 20;
    SteadyTime until = std::chrono::steady_clock::now() + kLingerTime;
    size_t dropped = 0;
    in_.begin = in_.end = 0;
    in_.Reserve(in_.initial);
    while (dropped < kLingerBytes) {
      auto left = std::chrono::duration_cast<Duration>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      error_code ec;
      dropped += co_await ReadSome(client_, in_.data.data(), in_.data.size(), timer_, left, ec);
      if (ec) break;  // EOF: the client read the answer and closed
    }
    in_.begin = in_.end = 0;
  }

  // One exchange; false when the client connection must close.
  awaitable<bool> Proxy() {
    SteadyTime start = w_.clock()->Now();
    // Writes the access line at whichever co_return ends the exchange, when the listener has
    // it on; costs one bool test when off.
    AccessLine access_line{*this, start};
    log_.on = false;
    RouteTableSnapshot table = w_.Table();
    request_table_ = table.get();
    const ServiceRoute* service = nullptr;
    if (table) {
      std::string service_name = service_;
      for (const ListenerRoute& l : table->listeners) {
        if (l.name == listener_) {
          service_name = l.service;
          log_.on = l.access_log;
        }
      }
      service = table->FindService(service_name);
      // Copied now: a request body read reuses the buffer head_ points into.
      if (log_.on) log_.Start(head_, service_name);
    }
    const VersionRoute* version = nullptr;
    if (service) {
      std::string_view key;
      if (service->cohort.source == CohortSource::kHeader) {
        key = head_.Find(service->cohort.name);
      } else if (service->cohort.source == CohortSource::kCookie) {
        key = CookieValue(CookieHeader(head_.headers), service->cohort.name);
      }
      version = w_.routing().ChooseVersion(*table, *service, key);
    }
    bool has_body = head_.framing != BodyFraming::kNone;
    // Consumed once, whatever the number of attempts. head_ keeps pointing at the bytes: only
    // a body read reuses the buffer, after the head went out, and requests with a body are
    // never retried.
    in_.Consume(head_.head_bytes);
    std::vector<std::string> exclude;
    const Backend* backend =
        version ? w_.routing().ChooseBackend(*service, *version, exclude) : nullptr;
    if (!backend) {
      w_.stats().CountNoBackend();
      co_await SendError(503);
      co_return false;
    }
    for (int attempt = 1;; ++attempt) {
      BackendStats& stats =
          w_.stats().For(service->service, version->version, backend->instance_id);
      StatsHold hold(stats);  // the exchange awaits; the entry must outlive it
      if (log_.on) log_.Upstream(*version, *backend);
      w_.routing().OnRequestStart(*backend);
      bool may_retry = !has_body && head_.IsIdempotent() && attempt < opt_.max_attempts;
      Attempt result = co_await Exchange(*backend, stats, start, may_retry);
      if (result.outcome == RequestOutcome::kSuccess ||
          result.outcome == RequestOutcome::kServerError) {
        if (w_.routing().OnRequestEnd(*backend, result.outcome)) ++stats.ejections;
        if (result.error_status != 0) co_await SendError(result.error_status);
        co_return result.keep_client;
      }
      if (w_.routing().OnRequestEnd(*backend, result.outcome)) ++stats.ejections;
      // The next backend is chosen before the budget is asked: a retry with nowhere to go
      // must not spend it.
      if (may_retry && result.retriable) {
        exclude.push_back(backend->instance_id);
        const Backend* next = w_.routing().ChooseBackend(*service, *version, exclude);
        if (next != nullptr && w_.routing().TryAcquireRetry()) {
          ++stats.retries;
          backend = next;
          continue;
        }
      }
      ++stats.requests[static_cast<int>(StatusClass::kError)];
      if (result.error_status != 0) co_await SendError(result.error_status);
      co_return false;
    }
  }

  // Writes the access line when it goes out of scope, if the request's listener logs.
  struct AccessLine {
    HttpConnection& c;
    SteadyTime start;
    ~AccessLine() {
      if (!c.log_.on) return;
      c.log_.on = false;
      AccessRecord r;
      r.at = c.w_.clock()->WallNow();
      r.client = c.client_ip_;
      r.method = c.log_.method;
      r.target = c.log_.target;
      r.minor_version = c.log_.minor_version;
      r.status = c.log_.status;
      r.bytes = c.log_.bytes;
      SteadyTime end = c.log_.end != SteadyTime{} ? c.log_.end : c.w_.clock()->Now();
      r.duration = std::chrono::duration_cast<std::chrono::microseconds>(end - start);
      r.service = c.log_.service;
      r.version = c.log_.version;
      r.instance = c.log_.instance;
      c.w_.LogAccess(r);
    }
  };

  struct Attempt {
    RequestOutcome outcome = RequestOutcome::kSuccess;
    bool retriable = false;  // nothing reached the client and the request may go elsewhere
    bool keep_client = false;
    int error_status = 0;  // what to answer when not retried (0: the client is gone)
  };

  static Attempt Failed(RequestOutcome outcome, bool retriable, int status) {
    return Attempt{outcome, retriable, false, status};
  }

  awaitable<Attempt> Exchange(const Backend& backend, BackendStats& stats, SteadyTime start,
                              bool retriable) {
    std::unique_ptr<UpstreamConn> up = w_.pool().Take(backend, w_.clock()->Now(), retriable);
    error_code ec;
    if (!up) {
      asio::ip::address address = asio::ip::make_address(backend.host, ec);
      tcp::socket s(client_.get_executor());
      if (!ec) {
        co_await Connect(s, tcp::endpoint(address, static_cast<uint16_t>(backend.port)), timer_,
                         opt_.connect_timeout, ec);
      }
      if (ec) {
        if (timer_.fired()) w_.stats().CountTimeout(TimeoutKind::kConnect);
        co_return Failed(RequestOutcome::kConnectFailure, true, 502);
      }
      up = std::make_unique<UpstreamConn>(std::move(s), &stats);
      up->host = backend.host;
      up->port = backend.port;
    }
    ++up->uses;

    // The forwarded head, built in a buffer the connection keeps, so it allocates only when a
    // head is larger than every one before it.
    std::string& out = out_;
    out.clear();
    out.append(head_.method).append(" "sv).append(head_.target).append(" HTTP/1.1\r\n"sv);
    std::string forwarded_for;
    bool has_host = false;
    // Lines kept as they arrived (the parser refused bare LF and obs-fold in requests).
    AppendHeaderLines(
        out, head_.headers, head_.raw.data() + head_.raw.size() - 2, [&](const HttpHeader& h) {
          if (IsHopByHop(h.kind) || h.kind == HeaderKind::kExpect ||
              h.kind == HeaderKind::kXForwardedProto ||
              (!head_.connection_options.empty() && NamedIn(head_.connection_options, h.name))) {
            return false;
          }
          if (h.kind == HeaderKind::kXForwardedFor) {
            forwarded_for.append(h.value).append(", "sv);
            return false;
          }
          // An absolute-form target's authority replaces Host (RFC 9112 section 3.2.2).
          if (h.kind == HeaderKind::kHost && !head_.authority.empty()) return false;
          has_host = has_host || h.kind == HeaderKind::kHost;
          return true;
        });
    if (!head_.authority.empty()) {
      out.append("Host: "sv).append(head_.authority).append("\r\n"sv);
    } else if (!has_host)
      out.append("Host: "sv)
          .append(backend.host)
          .append(":"sv)
          .append(std::to_string(backend.port))
          .append("\r\n"sv);
    if (!head_.upgrade.empty()) {
      out.append("Upgrade: "sv).append(head_.upgrade).append("\r\nConnection: upgrade\r\n"sv);
    }
    out.append("X-Forwarded-For: "sv).append(forwarded_for).append(client_ip_).append("\r\n"sv);
    out.append("X-Forwarded-Proto: http\r\n\r\n"sv);
    stats.bytes_in += head_.head_bytes;

    co_await WriteAll(up->socket, asio::buffer(out), timer_, opt_.first_byte_timeout, ec);
    if (ec) co_return Failed(RequestOutcome::kReset, true, 502);

    // The body, streamed as it arrives.
    if (head_.framing != BodyFraming::kNone) {
      if (head_.expect_continue) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        co_await WriteAll(client_, asio::buffer(kContinue.data(), kContinue.size()), timer_,
                          opt_.client_idle_timeout, ec);
        if (ec) co_return Failed(RequestOutcome::kSuccess, false, 0);
      }
      int status = co_await StreamRequestBody(*up, stats);
      if (status != 0) {
        co_return Attempt{RequestOutcome::kSuccess, false, false, status == 1 ? 0 : status};
      }
    }

    // The response head; 1xx answers are passed on and skipped.
    Buffer& ub = up_buf_;
    ub.begin = ub.end = 0;
    HttpResponseHead& resp = resp_;
    for (;;) {
      HttpError perr = HttpError::kNone;
      ParseStatus st = ub.size()
                           ? ParseResponseHead(ub.view(), head_.method, opt_.limits, &resp, &perr)
                           : ParseStatus::kIncomplete;
      if (st == ParseStatus::kError ||
          (st == ParseStatus::kComplete && resp.status == 101 && head_.upgrade.empty())) {
        w_.stats().CountUpstreamMalformed();
        co_return Failed(RequestOutcome::kServerError, false, 502);
      }
      if (st == ParseStatus::kComplete && resp.status == 101) {
        co_return co_await SwitchProtocols(std::move(up), stats, start);
      }
      if (st == ParseStatus::kComplete && resp.status >= 100 && resp.status < 200) {
        if (head_.minor_version >= 1) {
          co_await WriteAll(client_, asio::buffer(ub.head(), resp.head_bytes), timer_,
                            opt_.client_idle_timeout, ec);
          if (ec) co_return Failed(RequestOutcome::kSuccess, false, 0);
        }
        ub.Consume(resp.head_bytes);
        continue;
      }
      if (st == ParseStatus::kComplete) break;
      ub.Reserve(opt_.limits.max_head_bytes + 1);
      size_t n =
          co_await ReadSome(up->socket, ub.tail(), ub.room(), timer_, opt_.first_byte_timeout, ec);
      if (ec) {
        if (timer_.fired()) {
          w_.stats().CountTimeout(TimeoutKind::kFirstByte);
          co_return Failed(RequestOutcome::kReset, false, 504);
        }
        // Closed or reset before any response byte: safe to retry an idempotent request.
        co_return Failed(RequestOutcome::kReset, ub.size() == 0, 502);
      }
      ub.end += n;
    }

    // The response head to the client, with the router's own framing.
    bool client_http11 = head_.minor_version >= 1;
    bool keep_client = head_.keep_alive && !w_.draining();
    bool chunked_out = resp.framing == BodyFraming::kChunked && client_http11;
    if (resp.framing == BodyFraming::kUntilClose ||
        (resp.framing == BodyFraming::kChunked && !client_http11)) {
      keep_client = false;  // the body ends when the router closes
    }
    out.clear();
    out.append("HTTP/1.1 "sv)
        .append(std::to_string(resp.status))
        .append(" "sv)
        .append(resp.reason)
        .append("\r\n"sv);
    auto forwarded = [&](const HttpHeader& h) {
      if (IsHopByHop(h.kind) ||
          (!resp.connection_options.empty() && NamedIn(resp.connection_options, h.name))) {
        return false;
      }
      return h.kind != HeaderKind::kTransferEncoding || chunked_out;
    };
    if (resp.crlf_only) {
      AppendHeaderLines(out, resp.headers, resp.raw.data() + resp.raw.size() - 2, forwarded);
    } else {
      for (const HttpHeader& h : resp.headers) {
        if (forwarded(h)) out.append(h.name).append(": "sv).append(h.value).append("\r\n"sv);
      }
    }
    if (!keep_client) {
      out.append("Connection: close\r\n"sv);
    } else if (!client_http11) {
      out.append("Connection: keep-alive\r\n"sv);
    }
    out.append("\r\n"sv);
    size_t head_len = out.size();
    ub.Consume(resp.head_bytes);

    int body_result = co_await StreamResponseBody(*up, resp, chunked_out, out, stats);
    stats.bytes_out += head_len;
    co_return FinishResponse(std::move(up), backend, resp, body_result, keep_client, stats, start);
  }

  // The upstream agreed to switch protocols (a WebSocket handshake): the 101 goes to the
  // client and the two connections become a byte tunnel until either side ends it or nothing
  // moves for tcp_idle_timeout. Bytes already read past either head go first. The client
  // connection ends with the tunnel.
  awaitable<Attempt> SwitchProtocols(std::unique_ptr<UpstreamConn> up, BackendStats& stats,
                                     SteadyTime start) {
    HttpResponseHead& resp = resp_;
    std::string_view upgrade;
    for (const HttpHeader& h : resp.headers) {
      if (h.kind == HeaderKind::kUpgrade) upgrade = h.value;
    }
    std::string& out = out_;
    out.clear();
    out.append("HTTP/1.1 101 "sv).append(resp.reason).append("\r\n"sv);
    for (const HttpHeader& h : resp.headers) {
      if (IsHopByHop(h.kind) ||
          (!resp.connection_options.empty() && NamedIn(resp.connection_options, h.name))) {
        continue;
      }
      out.append(h.name).append(": "sv).append(h.value).append("\r\n"sv);
    }
    if (!upgrade.empty()) out.append("Upgrade: "sv).append(upgrade).append("\r\n"sv);
    out.append("Connection: upgrade\r\n\r\n"sv);
    up_buf_.Consume(resp.head_bytes);
    out.append(up_buf_.view());  // the first bytes of the new protocol, if they came along
    up_buf_.begin = up_buf_.end = 0;
    ++stats.requests[static_cast<int>(StatusClass::k1xx)];
    log_.status = 101;
    stats.latency.Record(
        std::chrono::duration_cast<std::chrono::microseconds>(w_.clock()->Now() - start));
    TunnelOptions options;
    options.idle_timeout = opt_.tcp_idle_timeout;
    options.to_upstream = in_.view();
    options.to_client = out;
    TunnelResult result =
        co_await RunTunnel(std::move(client_), std::move(up->socket), std::move(options));
    in_.begin = in_.end = 0;
    stats.bytes_in += result.client_to_upstream;
    stats.bytes_out += result.upstream_to_client;  // the 101 head included
    log_.bytes += result.upstream_to_client;
    if (result.end == TunnelEnd::kIdleTimeout) w_.stats().CountTimeout(TimeoutKind::kTunnelIdle);
    co_return Attempt{RequestOutcome::kSuccess, false, false, 0};
  }

  Attempt FinishResponse(std::unique_ptr<UpstreamConn> up, const Backend& backend,
                         const HttpResponseHead& resp, int body_result, bool keep_client,
                         BackendStats& stats, SteadyTime start) {
    // body_result: 0 clean, 1 upstream broke mid-body, 2 client gone.
    ++stats.requests[static_cast<int>(ClassOf(resp.status))];
    log_.status = resp.status;
    if (log_.on) log_.end = w_.clock()->Now();
    stats.latency.Record(
        std::chrono::duration_cast<std::chrono::microseconds>(w_.clock()->Now() - start));
    if (body_result == 1) w_.stats().CountUpstreamMalformed();
    // A backend the table dropped during the exchange (a drain) gets its connection closed now,
    // not at the pool's next prune, so the controller may stop it without waiting.
    const RouteTableSnapshot& now_table = w_.Table();
    bool still_routed = now_table.get() == request_table_ ||
                        (now_table && now_table->HasBackend(backend.instance_id));
    if (body_result == 0 && resp.keep_alive && up_buf_.size() == 0 && still_routed) {
      w_.pool().Put(backend, std::move(up), w_.clock()->Now());
    }
    RequestOutcome outcome =
        resp.status >= 500 ? RequestOutcome::kServerError : RequestOutcome::kSuccess;
    return Attempt{outcome, false, keep_client && body_result == 0, 0};
  }

  // Streams the request body to the upstream. Returns 0 when sent, 1 when the client or the
  // upstream went away (nothing to answer), or an HTTP status to answer (bad chunking).
  awaitable<int> StreamRequestBody(UpstreamConn& up, BackendStats& stats) {
    error_code ec;
    if (head_.framing == BodyFraming::kContentLength) {
      uint64_t left = head_.content_length;
      while (left > 0) {
        if (in_.size() == 0) {
          size_t n = co_await ReadSome(client_, in_.tail(), in_.room(), timer_,
                                       opt_.client_idle_timeout, ec);
          if (ec) co_return 1;
          in_.end += n;
        }
        size_t take = static_cast<size_t>(std::min<uint64_t>(left, in_.size()));
        co_await WriteAll(up.socket, asio::buffer(in_.head(), take), timer_,
                          opt_.first_byte_timeout, ec);
        if (ec) co_return 1;
        stats.bytes_in += take;
        left -= take;
        in_.Consume(take);
      }
      co_return 0;
    }
    // Chunked: decode in place, re-chunk canonically.
    ChunkedDecoder decoder;
    for (;;) {
      if (in_.size() == 0) {
        size_t n = co_await ReadSome(client_, in_.tail(), in_.room(), timer_,
                                     opt_.client_idle_timeout, ec);
        if (ec) co_return 1;
        in_.end += n;
      }
      size_t raw = in_.size();
      size_t decoded = 0, leftover = 0;
      ChunkedDecoder::State st = decoder.Decode(in_.head(), in_.size(), &decoded, &leftover);
      if (st == ChunkedDecoder::State::kError) {
        // The upstream has the data decoded so far, re-chunked, but never a last chunk: the
        // caller drops its connection, so nothing after the violation can reach it.
        w_.stats().CountError(decoder.error());
        co_return HttpErrorStatus(decoder.error());
      }
      char size_line[24];
      size_t size_len = decoded ? WriteChunkHeader(decoded, size_line) : 0;
      static constexpr std::string_view kEnd = "\r\n";
      static constexpr std::string_view kLast = "0\r\n\r\n";
      std::array<asio::const_buffer, 4> bufs = {
          asio::buffer(size_line, size_len), asio::buffer(in_.head(), decoded),
          asio::buffer(kEnd.data(), decoded ? kEnd.size() : 0),
          asio::buffer(kLast.data(), st == ChunkedDecoder::State::kDone ? kLast.size() : 0)};
      co_await WriteAll(up.socket, bufs, timer_, opt_.first_byte_timeout, ec);
      if (ec) co_return 1;
      if (st == ChunkedDecoder::State::kDone) {
        stats.bytes_in += raw - leftover;
        size_t next = in_.begin + decoded;
        in_.begin = next;
        in_.end = next + leftover;
        if (leftover == 0) in_.begin = in_.end = 0;
        co_return 0;
      }
      stats.bytes_in += raw;
      in_.begin = in_.end = 0;
    }
  }

  // Streams the response body (already-read bytes in up_buf_ first) after `head`. Returns 0
  // when the body ended cleanly, 1 when the upstream broke off, 2 when the client went away.
  awaitable<int> StreamResponseBody(UpstreamConn& up, const HttpResponseHead& resp,
                                    bool chunked_out, const std::string& head,
                                    BackendStats& stats) {
    error_code ec;
    Buffer& ub = up_buf_;
    bool head_sent = false;
    auto send = [&](std::string_view data, bool chunk, bool last) -> awaitable<bool> {
      char size_line[24];
      size_t size_len = (chunk && !data.empty()) ? WriteChunkHeader(data.size(), size_line) : 0;
      static constexpr std::string_view kEnd = "\r\n";
      static constexpr std::string_view kLast = "0\r\n\r\n";
      std::array<asio::const_buffer, 5> bufs = {
          asio::buffer(head.data(), head_sent ? 0 : head.size()), asio::buffer(size_line, size_len),
          asio::buffer(data.data(), data.size()),
          asio::buffer(kEnd.data(), size_len ? kEnd.size() : 0),
          asio::buffer(kLast.data(), (chunk && last) ? kLast.size() : 0)};
      co_await WriteAll(client_, bufs, timer_, opt_.client_idle_timeout, ec);
      if (!ec) log_.bytes += (head_sent ? 0 : head.size()) + data.size();
      head_sent = true;
      stats.bytes_out += data.size();
      co_return !ec;
    };
    switch (resp.framing) {
      case BodyFraming::kNone:
        co_return (co_await send({}, false, false)) ? 0 : 2;
      case BodyFraming::kContentLength: {
        uint64_t left = resp.content_length;
        for (;;) {
          size_t take = static_cast<size_t>(std::min<uint64_t>(left, ub.size()));
          if (take > 0 || !head_sent) {
            if (!co_await send(std::string_view(ub.head(), take), false, false)) co_return 2;
            ub.Consume(take);
            left -= take;
          }
          if (left == 0) co_return 0;
          ub.Reserve(kResponseBufferSize);
          size_t n = co_await ReadSome(up.socket, ub.tail(), ub.room(), timer_,
                                       opt_.first_byte_timeout, ec);
          if (ec) co_return 1;
          ub.end += n;
        }
      }
      case BodyFraming::kUntilClose: {
        for (;;) {
          if (ub.size() > 0 || !head_sent) {
            if (!co_await send(ub.view(), false, false)) co_return 2;
            ub.Consume(ub.size());
          }
          ub.Reserve(kResponseBufferSize);
          size_t n = co_await ReadSome(up.socket, ub.tail(), ub.room(), timer_,
                                       opt_.first_byte_timeout, ec);
          if (ec == asio::error::eof) co_return 0;
          if (ec) co_return 1;
          ub.end += n;
        }
      }
      case BodyFraming::kChunked: {
        ChunkedDecoder decoder;
        for (;;) {
          if (ub.size() > 0) {
            size_t decoded = 0, leftover = 0;
            ChunkedDecoder::State st = decoder.Decode(ub.head(), ub.size(), &decoded, &leftover);
            if (st == ChunkedDecoder::State::kError) co_return 1;
            bool done = st == ChunkedDecoder::State::kDone;
            if (!co_await send(std::string_view(ub.head(), decoded), chunked_out, done))
              co_return 2;
            if (done) {
              ub.begin += decoded;
              ub.end = ub.begin + leftover;
              if (leftover == 0) ub.begin = ub.end = 0;
              co_return 0;
            }
            ub.begin = ub.end = 0;
          } else if (!head_sent) {
            if (!co_await send({}, false, false)) co_return 2;
          }
          ub.Reserve(kResponseBufferSize);
          size_t n = co_await ReadSome(up.socket, ub.tail(), ub.room(), timer_,
                                       opt_.first_byte_timeout, ec);
          if (ec) co_return 1;
          ub.end += n;
        }
      }
    }
    co_return 1;
  }

  Worker& w_;
  const RouterOptions& opt_;
  tcp::socket client_;
  OpTimer timer_;
  std::string listener_;
  std::string service_;
  std::string client_ip_;
  Buffer in_{kBufferSize};
  Buffer up_buf_{kResponseBufferSize};
  HttpRequestHead head_;
  HttpResponseHead resp_;
  const RouteTable* request_table_ = nullptr;  // the table the current request was routed by
  std::string out_;                            // the head being forwarded either way
  RequestLog log_;                             // what the access line of this request says
};

}  // namespace

awaitable<void> HttpSession(Worker& worker, tcp::socket client, std::string listener,
                            std::string service) {
  worker.stats().ClientOpened();
  {
    HttpConnection conn(worker, std::move(client), std::move(listener), std::move(service));
    try {
      co_await conn.Run();
    } catch (const std::exception&) {
      // Allocation failure or a bug: drop this connection, keep the worker.
    }
  }
  worker.stats().ClientClosed();
}

}  // namespace cairn::router
