// Router end to end on loopback: a Router on port 0 in front of small blocking test backends
// (router_test_fixture.h).
#include "router/router.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <string>
#include <thread>

#include "router/router_test_fixture.h"

namespace cairn::router {
namespace {

using namespace std::chrono_literals;

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
  EXPECT_EQ(stats.Violations("invalid_chunk_size"), 1u);
  EXPECT_EQ(stats.Violations("too_many_headers"), 1u);
}

TEST_F(RouterTest, ALenientChunkSizeNeverLetsASecondRequestThrough) {
  // A hop in front of cairn that reads "0x4b" or "5zz" another way took the bytes after it for
  // chunk data; cairn must not take them for a next request. It answers 400 and closes both
  // sides, so the upstream never sees /smuggled.
  TestBackend a("a");
  Start(MakeTable({MakeVersion("v1", 10000, {MakeBackend("a1", a.port())})}));
  const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::pair<std::string, std::string> bodies[] = {
      {"0x4b\r\n\r\n", "invalid_chunk_size"},
      {"0_5\r\n\r\n", "invalid_chunk_size"},
      {"5zz\r\nhello\r\n0\r\n\r\n", "invalid_chunk_size"},
      {"5\nhello\r\n0\r\n\r\n", "invalid_chunk"},
      {"5\r\nhello\n0\r\n\r\n", "invalid_chunk"},
      {"5;a b\r\nhello\r\n0\r\n\r\n", "invalid_chunk_extension"},
      {"0\r\nX: 1\n\r\n", "invalid_trailer"},
      {"0\r\n" + smuggled, "invalid_trailer"},
  };
  for (const auto& [body, violation] : bodies) {
    std::string raw =
        "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body + smuggled;
    int fd = ConnectTo(port_);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(SendAll(fd, raw));
    std::string buf;
    Message m = ReadResponse(fd, &buf, "POST");
    EXPECT_EQ(m.status, 400) << body;
    EXPECT_NE(m.head.find("Connection: close"), std::string::npos) << body;
    shutdown(fd, SHUT_WR);
    // Nothing but the one answer comes back: the connection ends after it.
    char byte;
    EXPECT_LE(recv(fd, &byte, 1, 0), 0) << body;
    close(fd);
    EXPECT_GE(router_->Stats().Violations(violation), 1u) << violation;
  }
  for (const std::string& head : a.heads()) {
    EXPECT_EQ(head.find("/smuggled"), std::string::npos) << head;
  }
  EXPECT_EQ(a.requests(), 0);
  // A strict body with an extension and trailers still goes through, trailers dropped.
  Message ok = Roundtrip(
      "POST /ok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;name=\"v\"\r\nabc\r\n0\r\nChecksum: 1\r\n\r\n");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "a POST /ok 3");
}

TEST_F(RouterTest, RefusesCodingsConnectAndTargetsItDoesNotServe) {
  TestBackend a("a");
  Start(MakeTable({MakeVersion("v1", 10000, {MakeBackend("a1", a.port())})}));
  Message gzip = Roundtrip(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", "POST");
  EXPECT_EQ(gzip.status, 501);
  Message identity = Roundtrip(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n",
      "POST");
  EXPECT_EQ(identity.status, 501);
  Message connect = Roundtrip("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n");
  EXPECT_EQ(connect.status, 405);
  EXPECT_NE(connect.head.find("Allow: GET"), std::string::npos) << connect.head;
  EXPECT_EQ(Roundtrip("GET nowhere HTTP/1.1\r\nHost: x\r\n\r\n").status, 400);
  EXPECT_EQ(a.requests(), 0);
  // Absolute-form: forwarded in origin-form, its authority as the only Host.
  Message absolute =
      Roundtrip("GET http://api.example:81/v1?x=1 HTTP/1.1\r\nHost: evil.example\r\n\r\n");
  EXPECT_EQ(absolute.status, 200);
  EXPECT_EQ(absolute.body, "a GET /v1?x=1 0");
  ASSERT_EQ(a.heads().size(), 1u);
  std::string seen = a.heads()[0];
  EXPECT_NE(seen.find("Host: api.example:81\r\n"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("evil"), std::string::npos) << seen;
  RouterStats stats = router_->Stats();
  EXPECT_EQ(stats.Violations("unknown_transfer_coding"), 2u);
  EXPECT_EQ(stats.Violations("connect_not_allowed"), 1u);
  EXPECT_EQ(stats.Violations("invalid_target"), 1u);
}

TEST_F(RouterTest, AnErrorAnswerSurvivesTheRestOfTheRequestStillArriving) {
  // A rejected head followed by a body the router never forwards. Closing with the body unread
  // would reset the connection, and on a real network the reset can overtake the answer and
  // discard it at the client; lingering (reading and dropping until the client closes, as
  // nginx does) ends the connection with a FIN after the answer.
  TestBackend a("a");
  Start(MakeTable({MakeVersion("v1", 10000, {MakeBackend("a1", a.port())})}));
  int fd = ConnectTo(port_);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd,
                      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n" +
                          std::string(32 * 1024, 'x')));
  std::string buf;
  Message m = ReadResponse(fd, &buf, "POST");
  EXPECT_EQ(m.status, 400);
  // The router has ended its side after the answer (a FIN, shutdown(send)): from here a router
  // that did not linger would have closed, and its close, with the body unread, is a reset.
  ASSERT_TRUE(PeerEndedItsSide(fd));
  // The router is still reading: more body goes through, and the end is a FIN, not a reset.
  EXPECT_TRUE(SendAll(fd, std::string(8 * 1024, 'y')));
  shutdown(fd, SHUT_WR);
  char byte;
  errno = 0;
  EXPECT_EQ(recv(fd, &byte, 1, 0), 0) << "errno " << errno;
  close(fd);
  EXPECT_EQ(a.requests(), 0);
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
  RouterStats stats;
  EXPECT_TRUE(WaitUntil([&] {
    stats = router_->Stats();
    return stats.ForVersion("web", "v2").TotalRequests() >= 5;
  }));
  EXPECT_EQ(stats.ForVersion("web", "v1").Requests(StatusClass::k2xx), 20u);
  EXPECT_EQ(stats.ForVersion("web", "v2").Requests(StatusClass::k2xx), 5u);
  EXPECT_GT(stats.ForVersion("web", "v1").latency.Count(), 0u);
}

TEST_F(RouterTest, RemovedBackendDrainsInFlightAndGetsNoNewRequests) {
  TestBackend a("a"), b("b");
  Start(MakeTable({MakeVersion("v1", 10000, {MakeBackend("a1", a.port())})}));
  Message slow;
  std::thread in_flight([&] { slow = Roundtrip("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"); });
  // In flight: a has the request (and answers it 300 ms later) before the table changes.
  ASSERT_TRUE(WaitUntil([&] { return a.requests() == 1; }));
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

TEST_F(RouterTest, RetriesARequestTheUpstreamDroppedUnansweredAndKeepsTheClientConnection) {
  // A backend that reads each request and closes without a byte of answer: the router sends
  // the GET to the other backend, and the client's keep-alive connection carries on.
  RawBackend dropper([](int fd) {
    char buf[4096];
    (void)read(fd, buf, sizeof(buf));
  });
  TestBackend live("live");
  RouterOptions options;
  options.workers = 1;
  options.routing.min_retries_per_window = 50;
  options.routing.consecutive_failures_to_eject = 0;  // keep trying the dropper first sometimes
  auto table = std::make_shared<RouteTable>(*MakeTable({MakeVersion(
      "v1", 10000, {MakeBackend("drop", dropper.port()), MakeBackend("live", live.port())})}));
  table->services[0].balancer = BalancerKind::kRoundRobin;  // every other request tries it
  Start(table, options);
  int fd = ConnectTo(port_);
  ASSERT_GE(fd, 0);
  std::string buf;
  for (int i = 0; i < 6; ++i) {
    SendAll(fd, "GET /n HTTP/1.1\r\nHost: x\r\n\r\n");
    Message m = ReadResponse(fd, &buf, "GET");
    EXPECT_EQ(m.status, 200) << "request " << i;
    EXPECT_EQ(m.body.substr(0, 4), "live") << "request " << i;
  }
  close(fd);
  EXPECT_GT(dropper.connections(), 0);
  EXPECT_GT(router_->Stats().ForVersion("web", "v1").retries, 0u);
}

TEST_F(RouterTest, WebSocketUpgradeBecomesATunnelBothWays) {
  // A backend that accepts the handshake, sends a greeting in the same write as its 101, and
  // then echoes whatever arrives.
  std::string upstream_head;
  RawBackend ws([&](int fd) {
    std::string buf;
    while (buf.find("\r\n\r\n") == std::string::npos) {
      if (!ReadMore(fd, &buf)) return;
    }
    upstream_head = buf.substr(0, buf.find("\r\n\r\n") + 4);
    buf.erase(0, upstream_head.size());
    SendAll(fd,
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\nhello");
    if (!buf.empty()) SendAll(fd, buf);  // bytes the client sent right behind its head
    char chunk[4096];
    for (;;) {
      ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
      if (n <= 0) return;
      SendAll(fd, std::string_view(chunk, static_cast<size_t>(n)));
    }
  });
  Start(MakeTable({MakeVersion("v1", 10000, {MakeBackend("ws", ws.port())})}));
  int fd = ConnectTo(port_);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd,
                      "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                      "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: "
                      "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\nearly"));
  std::string buf;
  while (buf.find("\r\n\r\n") == std::string::npos) ASSERT_TRUE(ReadMore(fd, &buf));
  std::string head = buf.substr(0, buf.find("\r\n\r\n") + 4);
  buf.erase(0, head.size());
  EXPECT_EQ(head.substr(0, 13), "HTTP/1.1 101 ");
  EXPECT_NE(head.find("Upgrade: websocket\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Connection: upgrade\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos);
  // The greeting, the early bytes echoed, then a round trip through the tunnel.
  while (buf.size() < 10) ASSERT_TRUE(ReadMore(fd, &buf));
  EXPECT_EQ(buf, "helloearly");
  buf.clear();
  ASSERT_TRUE(SendAll(fd, "ping"));
  while (buf.size() < 4) ASSERT_TRUE(ReadMore(fd, &buf));
  EXPECT_EQ(buf, "ping");
  shutdown(fd, SHUT_WR);
  char byte;
  EXPECT_EQ(recv(fd, &byte, 1, 0), 0);  // the backend saw EOF, closed, and so did the router
  close(fd);
  ws.Stop();
  EXPECT_NE(upstream_head.find("Upgrade: websocket\r\nConnection: upgrade\r\n"), std::string::npos)
      << upstream_head;
  EXPECT_NE(upstream_head.find("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="), std::string::npos);
  EXPECT_EQ(router_->Stats().ForVersion("web", "v1").Requests(StatusClass::k1xx), 1u);
}

TEST_F(RouterTest, A101NobodyAskedForIs502) {
  RawBackend rogue([](int fd) {
    std::string buf;
    while (buf.find("\r\n\r\n") == std::string::npos) {
      if (!ReadMore(fd, &buf)) return;
    }
    SendAll(fd, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n");
  });
  Start(MakeTable({MakeVersion("v1", 10000, {MakeBackend("r", rogue.port())})}));
  EXPECT_EQ(Roundtrip("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n").status, 502);
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

// Silent on both sides from the start, so no scheduling delay can make a byte arrive late:
// the only thing that can close the connection is the idle timeout. One worker, so the
// counters are exact.
TEST_F(RouterTest, SilentTcpConnectionIsClosedAtBothEndsAfterTheTcpIdleTimeout) {
  std::atomic<bool> backend_saw_eof{false};
  RawBackend silent([&](int fd) {
    char c;
    backend_saw_eof = recv(fd, &c, 1, 0) == 0;
  });
  RouterOptions options;
  options.workers = 1;
  options.tcp_idle_timeout = 200ms;
  Start(MakeTable({MakeVersion("v1", 10000, {MakeBackend("s1", silent.port())})},
                  ListenerProtocol::kTcp),
        options);
  int fd = ConnectTo(port_);
  ASSERT_GE(fd, 0);
  char c;
  EXPECT_EQ(recv(fd, &c, 1, 0), 0);  // closed by the router, nothing sent
  close(fd);
  // The session records its counters just after the sockets close: wait for them.
  RouterStats stats;
  EXPECT_TRUE(WaitUntil([&] {
    stats = router_->Stats();
    return stats.Violations("timeout_tunnel_idle") > 0;
  }));
  EXPECT_EQ(stats.Violations("timeout_tunnel_idle"), 1u);
  EXPECT_EQ(stats.Violations("timeout_client_idle"), 0u);
  BackendStats s1 = stats.ForVersion("web", "v1");
  EXPECT_EQ(s1.Requests(StatusClass::k2xx), 1u);  // one session, ended
  EXPECT_EQ(s1.active_connections, 0);
  silent.Stop();  // joins the handler, which returned on the router's FIN, not on Stop
  EXPECT_TRUE(backend_saw_eof);
  EXPECT_EQ(silent.connections(), 1);
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

TEST(LatencyHistogramTest, SumAddsEveryLatencyAndMerges) {
  LatencyHistogram a, b;
  a.Record(std::chrono::microseconds(150));
  a.Record(std::chrono::microseconds(2500));
  b.Record(std::chrono::seconds(90));  // beyond the last bucket, still summed
  a.Merge(b);
  EXPECT_EQ(a.SumMicros(), 150u + 2500u + 90000000u);
}

TEST_F(RouterTest, CountersOfAVersionThatLeftTheTableGoOnceNothingUsesThem) {
  TestBackend a("a");
  TestBackend b("b");
  RouterOptions options;
  options.stats_retention = Duration(0);  // drop as soon as nothing uses them
  Start(MakeTable({MakeVersion("revision 1", 10000, {MakeBackend("web-1-a", a.port())})}), options);
  // A request in flight on revision 1 while a table without it is published: its counters
  // stay while its upstream connection is open (ASan would see a use after free). The
  // StatsHold that covers the connect, before any connection exists, is unit-tested
  // (router_stats_test.cc).
  std::thread slow(
      [&] { EXPECT_EQ(Roundtrip("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n").status, 200); });
  ASSERT_TRUE(WaitUntil([&] { return a.requests() == 1; }));  // at a, answered 300 ms later
  ASSERT_TRUE(router_
                  ->Publish(MakeTable(
                      {MakeVersion("revision 2", 10000, {MakeBackend("web-2-b", b.port())})}))
                  .ok());
  slow.join();
  EXPECT_EQ(Roundtrip("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
  // The prune runs once a second per worker.
  EXPECT_TRUE(WaitUntil([&] {
    return router_->Stats().ForVersion("web", "revision 1").TotalRequests() == 0;
  })) << "revision 1's counters are still kept";
  EXPECT_EQ(router_->Stats().ForVersion("web", "revision 2").TotalRequests(), 1u);
}

}  // namespace
}  // namespace cairn::router
