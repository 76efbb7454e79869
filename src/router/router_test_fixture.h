// Test-only: the end-to-end fixture shared by router_test.cc and router_timeouts_test.cc. A
// Router on 127.0.0.1 port 0 in front of small blocking in-process backends. Every socket read
// has a 5 s timeout and every loop a fixed count or a deadline, so a bug fails, not hangs. A
// test waits for what it needs to have happened (WaitUntil, PeerEndedItsSide), never for a
// time that "should be long enough".
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "router/http_request.h"
#include "router/http_response.h"
#include "router/router.h"

namespace cairn::router {

inline void SetTimeouts(int fd) {
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

// Polls `done` until it holds or `timeout` has passed; its last answer. For state the router's
// workers or a backend thread change after what the test can see (a counter recorded after the
// last byte is written, a request arriving at a backend). The timeout is generous: it only
// bounds a failing test, so a loaded machine does not fail a passing one.
template <typename Predicate>
bool WaitUntil(Predicate done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// Waits (at most 5 s) until the peer of `fd` has ended its sending side, by a FIN or a reset,
// without consuming anything `fd` still has to read. True when it has.
inline bool PeerEndedItsSide(int fd) {
  pollfd p{fd, POLLRDHUP, 0};
  return poll(&p, 1, 5000) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

inline bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// A listening socket on 127.0.0.1, port chosen by the kernel.
inline int Listen(int* port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  listen(fd, 128);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

inline int ConnectTo(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  SetTimeouts(fd);
  return fd;
}

// Reads one HTTP message (request or response) from `fd` with buffer `buf`; returns the head
// text and fills `body`. Empty head on EOF or timeout.
struct Message {
  std::string head;
  std::string body;
  int status = 0;
  bool closed = false;  // the peer closed after the message
};

inline bool ReadMore(int fd, std::string* buf) {
  char tmp[65536];
  ssize_t n = recv(fd, tmp, sizeof(tmp), 0);
  if (n <= 0) return false;
  buf->append(tmp, static_cast<size_t>(n));
  return true;
}

// Reads a response (`method` decides bodyless) from fd.
inline Message ReadResponse(int fd, std::string* buf, std::string_view method = "GET") {
  Message m;
  HttpResponseHead head;
  HttpError err;
  HttpLimits limits;
  for (int i = 0; i < 10000; ++i) {
    ParseStatus st = buf->empty() ? ParseStatus::kIncomplete
                                  : ParseResponseHead(*buf, method, limits, &head, &err);
    if (st == ParseStatus::kError) return m;
    if (st == ParseStatus::kComplete) break;
    if (!ReadMore(fd, buf)) return m;
  }
  m.status = head.status;
  m.head = buf->substr(0, head.head_bytes);
  buf->erase(0, head.head_bytes);
  if (head.framing == BodyFraming::kContentLength) {
    for (int i = 0; i < 100000 && buf->size() < head.content_length; ++i) {
      if (!ReadMore(fd, buf)) break;
    }
    m.body = buf->substr(0, head.content_length);
    buf->erase(0, m.body.size());
  } else if (head.framing == BodyFraming::kChunked) {
    ChunkedDecoder decoder;
    for (int i = 0; i < 100000; ++i) {
      size_t decoded = 0, leftover = 0;
      auto st = decoder.Decode(buf->data(), buf->size(), &decoded, &leftover);
      m.body.append(buf->data(), decoded);
      if (st == ChunkedDecoder::State::kDone) {
        buf->erase(0, decoded);
        buf->resize(leftover);
        break;
      }
      buf->clear();
      if (st == ChunkedDecoder::State::kError || !ReadMore(fd, buf)) break;
    }
  } else if (head.framing == BodyFraming::kUntilClose) {
    for (int i = 0; i < 100000 && ReadMore(fd, buf); ++i) {
    }
    m.body = *buf;
    buf->clear();
    m.closed = true;
  }
  return m;
}

// A blocking HTTP/1.1 backend: answers every request with 200 and a body naming itself and
// what it received ("<name> <method> <target> <body bytes>"); keeps connections alive.
// GET /slow waits 300 ms; GET /chunked answers chunked. Records every head it receives.
class TestBackend {
 public:
  explicit TestBackend(std::string name, bool echo_tcp = false)
      : name_(std::move(name)), echo_(echo_tcp) {
    listen_fd_ = Listen(&port_);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~TestBackend() { Stop(); }
  void Stop() {
    if (stopping_.exchange(true)) return;
    accept_thread_.join();
    close(listen_fd_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int fd : fds_) shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : threads_) t.join();
  }
  int port() const { return port_; }
  int connections() const { return connections_; }
  int requests() const { return requests_; }
  std::vector<std::string> heads() {
    std::lock_guard<std::mutex> lock(mu_);
    return heads_;
  }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      SetTimeouts(fd);
      ++connections_;
      std::lock_guard<std::mutex> lock(mu_);
      fds_.push_back(fd);
      threads_.emplace_back([this, fd] {
        echo_ ? Echo(fd) : Serve(fd);
        close(fd);
      });
    }
  }
  void Echo(int fd) {
    char buf[4096];
    for (ssize_t n; (n = recv(fd, buf, sizeof(buf), 0)) > 0;) {
      if (!SendAll(fd, std::string_view(buf, static_cast<size_t>(n)))) return;
    }
  }
  void Serve(int fd) {
    std::string buf;
    HttpLimits limits;
    for (int i = 0; i < 10000 && !stopping_; ++i) {
      HttpRequestHead head;
      HttpError err;
      ParseStatus st = ParseStatus::kIncomplete;
      while ((st = buf.empty()
                       ? ParseStatus::kIncomplete
                       : ParseRequestHead(buf, limits, &head, &err)) == ParseStatus::kIncomplete) {
        if (!ReadMore(fd, &buf)) return;
      }
      if (st == ParseStatus::kError) return;
      std::string text = buf.substr(0, head.head_bytes);
      std::string method(head.method), target(head.target);
      buf.erase(0, head.head_bytes);
      size_t body = 0;
      if (head.framing == BodyFraming::kContentLength) {
        while (buf.size() < head.content_length && ReadMore(fd, &buf)) {
        }
        body = std::min<size_t>(buf.size(), head.content_length);
        buf.erase(0, body);
      } else if (head.framing == BodyFraming::kChunked) {
        ChunkedDecoder decoder;
        for (;;) {
          size_t decoded = 0, leftover = 0;
          auto s = decoder.Decode(buf.data(), buf.size(), &decoded, &leftover);
          body += decoded;
          if (s == ChunkedDecoder::State::kDone) {
            buf = buf.substr(decoded, leftover);
            break;
          }
          buf.clear();
          if (s == ChunkedDecoder::State::kError || !ReadMore(fd, &buf)) return;
        }
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        heads_.push_back(text);
      }
      ++requests_;
      if (target == "/slow") std::this_thread::sleep_for(std::chrono::milliseconds(300));
      std::string reply = name_ + " " + method + " " + target + " " + std::to_string(body);
      std::string out;
      if (target == "/chunked") {
        out = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n" +
              std::string(1, "0123456789abcdef"[reply.size() & 15]) + "\r\n" +
              reply.substr(0, reply.size() & 15) + "\r\n0\r\n\r\n";
      } else {
        out = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(reply.size()) +
              "\r\nKeep-Alive: timeout=5\r\nX-Backend: " + name_ + "\r\n\r\n" + reply;
      }
      if (!SendAll(fd, out)) return;
    }
  }

  std::string name_;
  bool echo_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::string> heads_;
  std::vector<std::thread> threads_;
  std::thread accept_thread_;
};

// A backend whose every accepted connection runs `serve(fd)` on its own thread (the fd is
// closed after it returns), for upstreams that misbehave: stall, answer 5xx. Stop() shuts
// every connection down, so a handler blocked in recv returns.
class RawBackend {
 public:
  explicit RawBackend(std::function<void(int fd)> serve) : serve_(std::move(serve)) {
    listen_fd_ = Listen(&port_);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~RawBackend() { Stop(); }
  void Stop() {
    if (stopping_.exchange(true)) return;
    accept_thread_.join();
    close(listen_fd_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int fd : fds_) shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : threads_) t.join();
  }
  int port() const { return port_; }
  int connections() const { return connections_; }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      SetTimeouts(fd);
      ++connections_;
      std::lock_guard<std::mutex> lock(mu_);
      fds_.push_back(fd);
      threads_.emplace_back([this, fd] {
        serve_(fd);
        close(fd);
      });
    }
  }

  std::function<void(int fd)> serve_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
  std::thread accept_thread_;
};

inline Backend MakeBackend(const std::string& id, int port) {
  Backend b;
  b.instance_id = id;
  b.port = port;
  return b;
}

// One service "web" on listener "web/http" with the given versions.
inline RouteTableSnapshot MakeTable(std::vector<VersionRoute> versions,
                                    ListenerProtocol protocol = ListenerProtocol::kHttp) {
  static std::atomic<uint64_t> generation{0};
  auto t = std::make_shared<RouteTable>();
  t->generation = ++generation;
  ListenerRoute l;
  l.name = "web/http";
  l.protocol = protocol;
  l.service = "web";
  t->listeners.push_back(l);
  ServiceRoute s;
  s.service = "web";
  s.versions = std::move(versions);
  t->services.push_back(s);
  return t;
}

inline VersionRoute MakeVersion(const std::string& name, uint32_t weight,
                                std::vector<Backend> backends) {
  VersionRoute v;
  v.version = name;
  v.weight_bp = weight;
  v.backends = std::move(backends);
  return v;
}

class RouterTest : public ::testing::Test {
 protected:
  void Start(RouteTableSnapshot table, RouterOptions options = {}) {
    if (options.workers == 0) options.workers = 2;
    router_ = std::make_unique<Router>(options, SystemClock::Get());
    Status st = router_->Publish(std::move(table));
    ASSERT_TRUE(st.ok()) << st.error().ToString();
    port_ = router_->ListenerPort("web/http");
    ASSERT_GT(port_, 0);
  }
  // One request on a new connection.
  Message Roundtrip(const std::string& raw, std::string_view method = "GET") {
    int fd = ConnectTo(port_);
    EXPECT_GE(fd, 0);
    SendAll(fd, raw);
    std::string buf;
    Message m = ReadResponse(fd, &buf, method);
    close(fd);
    return m;
  }
  void TearDown() override {
    if (router_) router_->Stop();
  }
  std::unique_ptr<Router> router_;
  int port_ = 0;
};

}  // namespace cairn::router
