// Router end to end on loopback: a Router on port 0 in front of small blocking test backends.
// Every socket read has a 5 s timeout and every loop a fixed count, so a bug fails, not hangs.
#include "router/router.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "router/http_request.h"
#include "router/http_response.h"

namespace cairn::router {
namespace {

using namespace std::chrono_literals;

void SetTimeouts(int fd) {
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// A listening socket on 127.0.0.1, port chosen by the kernel.
int Listen(int* port) {
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

int ConnectTo(int port) {
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

bool ReadMore(int fd, std::string* buf) {
  char tmp[65536];
  ssize_t n = recv(fd, tmp, sizeof(tmp), 0);
  if (n <= 0) return false;
  buf->append(tmp, static_cast<size_t>(n));
  return true;
}

// Reads a response (`method` decides bodyless) from fd.
Message ReadResponse(int fd, std::string* buf, std::string_view method = "GET") {
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
      if (target == "/slow") std::this_thread::sleep_for(300ms);
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

Backend MakeBackend(const std::string& id, int port) {
  Backend b;
  b.instance_id = id;
  b.port = port;
  return b;
}

// One service "web" on listener "web/http" with the given versions.
RouteTableSnapshot MakeTable(std::vector<VersionRoute> versions,
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

VersionRoute MakeVersion(const std::string& name, uint32_t weight, std::vector<Backend> backends) {
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

TEST_F(RouterTest, ProxiesGetWithForwardedHeadersAndWithoutHopByHop) {
  TestBackend a("a");
  Start(MakeTable({MakeVersion("v1", 10000, {MakeBackend("a1", a.port())})}));
  Message m = Roundtrip(
      "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\n"
      "Keep-Alive: 5\r\nTE: trailers\r\nUpgrade: h2c\r\nProxy-Connection: x\r\n"
      "X-Forwarded-For: 10.0.0.1\r\nX-Kept: yes\r\n\r\n");
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.body, "a GET /hello 0");
  EXPECT_EQ(m.head.find("Keep-Alive"), std::string::npos) << m.head;
  ASSERT_EQ(a.heads().size(), 1u);
  std::string seen = a.heads()[0];
  EXPECT_NE(seen.find("X-Forwarded-For: 10.0.0.1, 127.0.0.1\r\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("X-Forwarded-Proto: http\r\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("X-Kept: yes\r\n"), std::string::npos) << seen;
  for (const char* gone :
       {"X-Secret", "Keep-Alive", "TE:", "Upgrade", "Proxy-Connection", "Connection"}) {
    EXPECT_EQ(seen.find(gone), std::string::npos) << gone << " in " << seen;
  }
}

TEST_F(RouterTest, StreamsContentLengthAndChunkedBodies) {
  TestBackend a("a");
  Start(MakeTable({MakeVersion("v1", 10000, {MakeBackend("a1", a.port())})}));
  std::string body(1 << 20, 'x');
  Message cl =
      Roundtrip("POST /cl HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                "\r\n\r\n" + body);
  EXPECT_EQ(cl.status, 200);
  EXPECT_EQ(cl.body, "a POST /cl 1048576");
  std::string chunked = "POST /ch HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 16; ++i) chunked += "10000\r\n" + std::string(65536, 'y') + "\r\n";
  chunked += "0\r\n\r\n";
  Message ch = Roundtrip(chunked);
  EXPECT_EQ(ch.status, 200);
  EXPECT_EQ(ch.body, "a POST /ch 1048576");
  Message chunked_response = Roundtrip("GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(chunked_response.status, 200);
  EXPECT_EQ(chunked_response.body.substr(0, 3), "abc");
  EXPECT_NE(chunked_response.head.find("Transfer-Encoding: chunked"), std::string::npos);
}

TEST_F(RouterTest, ReusesUpstreamConnectionsAndKeepsPipelinedOrder) {
  TestBackend a("a");
  Start(MakeTable({MakeVersion("v1", 10000, {MakeBackend("a1", a.port())})}));
  int fd = ConnectTo(port_);
  std::string buf;
  for (int i = 0; i < 10; ++i) {
    SendAll(fd, "GET /k" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    Message m = ReadResponse(fd, &buf);
    EXPECT_EQ(m.body, "a GET /k" + std::to_string(i) + " 0");
  }
  SendAll(fd,
          "GET /p1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /p2 HTTP/1.1\r\nHost: x\r\nContent-Length: "
          "3\r\n\r\nabcGET /p3 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(ReadResponse(fd, &buf).body, "a GET /p1 0");
  EXPECT_EQ(ReadResponse(fd, &buf).body, "a POST /p2 3");
  EXPECT_EQ(ReadResponse(fd, &buf).body, "a GET /p3 0");
  close(fd);
  EXPECT_EQ(a.requests(), 13);
  EXPECT_EQ(a.connections(), 1);
}

TEST_F(RouterTest, AnswersEverySmugglingShapeWithoutReachingTheUpstream) {
  TestBackend a("a");
  Start(MakeTable({MakeVersion("v1", 10000, {MakeBackend("a1", a.port())})}));
  const std::pair<std::string, int> cases[] = {
      {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
       400},
      {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n", 400},
      {"GET / HTTP/1.1\nHost: x\n\n", 400},
      {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
       400},
      {"GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(70000, 'a') + "\r\n\r\n", 431},
      {"GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414},
  };
  for (const auto& [raw, status] : cases) {
    Message m = Roundtrip(raw);
    EXPECT_EQ(m.status, status) << raw.substr(0, 80);
  }
  std::string many = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 120; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(Roundtrip(many + "\r\n").status, 431);
  // The chunked case reached the upstream as a head only; no request was complete there.
  EXPECT_EQ(a.requests(), 0);
  RouterStats stats = router_->Stats();
  EXPECT_EQ(stats.Violations("bare_lf"), 1u);
  EXPECT_EQ(stats.Violations("invalid_chunk"), 1u);
  EXPECT_EQ(stats.Violations("too_many_headers"), 1u);
}

TEST_F(RouterTest, HandlesExpectContinueAndHttp10) {
  TestBackend a("a");
  Start(MakeTable({MakeVersion("v1", 10000, {MakeBackend("a1", a.port())})}));
  int fd = ConnectTo(port_);
  SendAll(fd, "PUT /c HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  std::string buf;
  Message cont = ReadResponse(fd, &buf);
  EXPECT_EQ(cont.status, 100);
  SendAll(fd, "body");
  EXPECT_EQ(ReadResponse(fd, &buf).body, "a PUT /c 4");
  close(fd);
  EXPECT_EQ(a.heads()[0].find("Expect"), std::string::npos);

  Message old = Roundtrip("GET /chunked HTTP/1.0\r\n\r\n");
  EXPECT_EQ(old.status, 200);
  EXPECT_TRUE(old.closed);  // close-delimited: a 1.0 client cannot read chunked
  EXPECT_EQ(old.body.substr(0, 3), "abc");
  Message old_cl = Roundtrip("GET /x HTTP/1.0\r\n\r\n");
  EXPECT_EQ(old_cl.body, "a GET /x 0");
}

TEST_F(RouterTest, ZeroWeightVersionGetsNothingAndPublishSwitchesWithoutClosing) {
  TestBackend a("a"), b("b");
  Start(MakeTable({MakeVersion("v1", 10000, {MakeBackend("a1", a.port())}),
                   MakeVersion("v2", 0, {MakeBackend("b1", b.port())})}));
  int fd = ConnectTo(port_);
  std::string buf;
  for (int i = 0; i < 20; ++i) {
    SendAll(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(ReadResponse(fd, &buf).body.substr(0, 1), "a");
  }
  EXPECT_EQ(b.requests(), 0);
  ASSERT_TRUE(router_
                  ->Publish(MakeTable({MakeVersion("v1", 0, {MakeBackend("a1", a.port())}),
                                       MakeVersion("v2", 10000, {MakeBackend("b1", b.port())})}))
                  .ok());
  for (int i = 0; i < 5; ++i) {
    SendAll(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(ReadResponse(fd, &buf).body.substr(0, 1), "b");  // same client connection
  }
  close(fd);
  // The router counts an exchange just after its last byte is written: wait for the last one.
  RouterStats stats = router_->Stats();
  for (int i = 0; i < 200 && stats.ForVersion("web", "v2").TotalRequests() < 5; ++i) {
    std::this_thread::sleep_for(5ms);
    stats = router_->Stats();
  }
  EXPECT_EQ(stats.ForVersion("web", "v1").Requests(StatusClass::k2xx), 20u);
  EXPECT_EQ(stats.ForVersion("web", "v2").Requests(StatusClass::k2xx), 5u);
  EXPECT_GT(stats.ForVersion("web", "v1").latency.Count(), 0u);
}

TEST_F(RouterTest, RemovedBackendDrainsInFlightAndGetsNoNewRequests) {
  TestBackend a("a"), b("b");
  Start(MakeTable({MakeVersion("v1", 10000, {MakeBackend("a1", a.port())})}));
  Message slow;
  std::thread in_flight([&] { slow = Roundtrip("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"); });
  for (int i = 0; i < 100 && a.connections() == 0; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(
      router_->Publish(MakeTable({MakeVersion("v1", 10000, {MakeBackend("b1", b.port())})})).ok());
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Roundtrip("GET / HTTP/1.1\r\nHost: x\r\n\r\n").body.substr(0, 1), "b");
  }
  in_flight.join();
  EXPECT_EQ(slow.status, 200);
  EXPECT_EQ(slow.body, "a GET /slow 0");
  EXPECT_EQ(a.requests(), 1);
}

TEST_F(RouterTest, RetriesAConnectFailureOnALiveBackend) {
  TestBackend live("live");
  int dead_port = 0;
  close(Listen(&dead_port));  // nothing listens there any more
  // Until the dead backend is ejected (after 5 connect failures) about half the requests try
  // it first; the budget must cover those retries whatever order the coin flips come in.
  RouterOptions options;
  options.routing.min_retries_per_window = 20;
  Start(MakeTable({MakeVersion(
            "v1", 10000, {MakeBackend("dead", dead_port), MakeBackend("live", live.port())})}),
        options);
  for (int i = 0; i < 10; ++i) {
    Message m = Roundtrip("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(m.status, 200);
    EXPECT_EQ(m.body.substr(0, 4), "live");
  }
}

TEST_F(RouterTest, NoBackendIs503) {
  Start(MakeTable({MakeVersion("v1", 10000, {})}));
  EXPECT_EQ(Roundtrip("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, 503);
}

TEST_F(RouterTest, TcpListenerSplicesBothWays) {
  TestBackend echo("echo", /*echo_tcp=*/true);
  Start(MakeTable({MakeVersion("v1", 10000, {MakeBackend("e1", echo.port())})},
                  ListenerProtocol::kTcp));
  int fd = ConnectTo(port_);
  ASSERT_GE(fd, 0);
  std::string sent = "hello through the router";
  SendAll(fd, sent);
  std::string got;
  for (int i = 0; i < 100 && got.size() < sent.size(); ++i) {
    if (!ReadMore(fd, &got)) break;
  }
  EXPECT_EQ(got, sent);
  shutdown(fd, SHUT_WR);
  char c;
  EXPECT_EQ(recv(fd, &c, 1, 0), 0);  // the half-close went through and came back
  close(fd);
}

TEST(LatencyHistogramTest, QuantilesFollowTheData) {
  LatencyHistogram h;
  for (int i = 1; i <= 1000; ++i) h.Record(std::chrono::microseconds(i * 1000));  // 1..1000 ms
  EXPECT_EQ(h.Count(), 1000u);
  auto p50 = h.Quantile(0.5).count(), p99 = h.Quantile(0.99).count();
  EXPECT_NEAR(p50, 500000, 60000);
  EXPECT_NEAR(p99, 990000, 120000);
  LatencyHistogram other;
  other.Record(std::chrono::seconds(100));
  h.Merge(other);
  EXPECT_EQ(h.Quantile(1.0).count(), 60000000);
}

}  // namespace
}  // namespace cairn::router
