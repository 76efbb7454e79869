// Router timeouts, outlier ejection and the retry budget end to end on loopback, with timeouts
// of a few hundred milliseconds set through RouterOptions so each test takes well under a
// second. Every test runs one worker: counters, ejections and the retry budget are per worker,
// so with one the expected counts are exact. No test asserts how long anything took; every
// wait is bounded by the fixture's 5 s socket timeouts or a fixed loop count.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "router/router.h"
#include "router/router_test_fixture.h"

namespace cairn::router {
namespace {

using namespace std::chrono_literals;

// Reads from `fd` until a blank line ends a request head and drops it from `buf`; false on
// EOF, error or the fd's receive timeout.
bool ReadRequestHead(int fd, std::string* buf) {
  for (int i = 0; i < 1000; ++i) {
    size_t end = buf->find("\r\n\r\n");
    if (end != std::string::npos) {
      buf->erase(0, end + 4);
      return true;
    }
    if (!ReadMore(fd, buf)) return false;
  }
  return false;
}

// True when the peer closed `fd` without sending anything more.
bool ClosedQuietly(int fd) {
  char c;
  return recv(fd, &c, 1, 0) == 0;
}

BackendStats StatsOf(const RouterStats& stats, const std::string& instance) {
  auto it = stats.backends.find(BackendKey{"web", "v1", instance});
  return it == stats.backends.end() ? BackendStats{} : it->second;
}

// Timeouts far beyond any test's length, so only the one a test shortens can fire.
RouterOptions OneWorker() {
  RouterOptions options;
  options.workers = 1;
  options.connect_timeout = 10s;
  options.first_byte_timeout = 10s;
  options.client_idle_timeout = 10s;
  options.head_timeout = 10s;
  return options;
}

class RouterTimeoutsTest : public RouterTest {};

TEST_F(RouterTimeoutsTest, HalfARequestHeadIsAnswered408AfterTheHeadTimeout) {
  TestBackend a("a");
  RouterOptions options = OneWorker();
  options.head_timeout = 200ms;
  Start(MakeTable({MakeVersion("v1", 10000, {MakeBackend("a1", a.port())})}), options);
  int fd = ConnectTo(port_);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd, "GET / HTTP/1.1\r\nHost: x\r\nX-Half"));
  std::string buf;
  Message m = ReadResponse(fd, &buf);
  EXPECT_EQ(m.status, 408);
  EXPECT_NE(m.head.find("Connection: close"), std::string::npos) << m.head;
  EXPECT_TRUE(ClosedQuietly(fd));
  close(fd);
  RouterStats stats = router_->Stats();
  EXPECT_EQ(stats.Violations("timeout_head_read"), 1u);
  EXPECT_EQ(stats.Violations("timeout_client_idle"), 0u);
  EXPECT_EQ(a.connections(), 0);
}

TEST_F(RouterTimeoutsTest, TricklingAHeadByteAtATimeDoesNotExtendTheHeadTimeout) {
  TestBackend a("a");
  RouterOptions options = OneWorker();
  options.head_timeout = 200ms;
  Start(MakeTable({MakeVersion("v1", 10000, {MakeBackend("a1", a.port())})}), options);
  int fd = ConnectTo(port_);
  ASSERT_GE(fd, 0);
  // A byte every 20 ms for up to 4 s: a timeout restarted by each read would never fire
  // before the trickle ends; the head deadline must cut it off long before.
  std::atomic<bool> answered{false}, trickle_ended{false};
  std::thread trickle([&] {
    std::string head = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(200, 'a');
    for (char c : head) {
      if (answered || !SendAll(fd, std::string_view(&c, 1))) break;
      std::this_thread::sleep_for(20ms);
    }
    trickle_ended = true;
  });
  std::string buf;
  Message m = ReadResponse(fd, &buf);
  bool cut_mid_trickle = !trickle_ended;
  answered = true;
  trickle.join();
  close(fd);
  EXPECT_EQ(m.status, 408);
  EXPECT_TRUE(cut_mid_trickle);
  EXPECT_EQ(router_->Stats().Violations("timeout_head_read"), 1u);
}

TEST_F(RouterTimeoutsTest, BackendThatNeverAnswersGives504AfterTheFirstByteTimeout) {
  RawBackend stalled([](int fd) {
    std::string buf;
    if (!ReadRequestHead(fd, &buf)) return;
    char c;
    recv(fd, &c, 1, 0);  // never answers; returns when the router or Stop() closes it
  });
  RouterOptions options = OneWorker();
  options.first_byte_timeout = 200ms;
  Start(MakeTable({MakeVersion("v1", 10000, {MakeBackend("stalled", stalled.port())})}), options);
  Message m = Roundtrip("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(m.status, 504);
  RouterStats stats = router_->Stats();
  EXPECT_EQ(stats.Violations("timeout_first_byte"), 1u);
  EXPECT_EQ(StatsOf(stats, "stalled").Requests(StatusClass::kError), 1u);
  EXPECT_EQ(StatsOf(stats, "stalled").retries, 0u);  // the request may have had effects there
  EXPECT_EQ(stalled.connections(), 1);
}

TEST_F(RouterTimeoutsTest, ConnectRefusedByTheOnlyBackendIs502) {
  int dead_port = 0;
  close(Listen(&dead_port));  // nothing listens there any more: loopback answers RST at once
  Start(MakeTable({MakeVersion("v1", 10000, {MakeBackend("dead", dead_port)})}), OneWorker());
  EXPECT_EQ(Roundtrip("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, 502);
  RouterStats stats = router_->Stats();
  EXPECT_EQ(stats.Violations("timeout_connect"), 0u);
  EXPECT_EQ(stats.Violations("no_backend"), 0u);  // it was tried: 502, not 503
  EXPECT_EQ(StatsOf(stats, "dead").Requests(StatusClass::kError), 1u);
}

// A connect that is never answered, on loopback: Linux drops a SYN for a listener whose accept
// queue is full (it does not answer RST unless tcp_abort_on_overflow is set), so a listener with
// backlog 0 and one connection nobody accepts swallows every further connect. The test probes
// that with a connect of its own first and skips on a kernel that behaves otherwise.
TEST_F(RouterTimeoutsTest, BlackholedConnectGives502AfterTheConnectTimeout) {
  int port = 0;
  int listen_fd = Listen(&port);
  ASSERT_EQ(listen(listen_fd, 0), 0);
  int filler = ConnectTo(port);  // fills the accept queue; never accepted
  ASSERT_GE(filler, 0);
  int probe = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  pollfd p{probe, POLLOUT, 0};
  bool blackholed = poll(&p, 1, 300) == 0;
  close(probe);
  if (!blackholed) {
    close(filler);
    close(listen_fd);
    GTEST_SKIP() << "this kernel does not drop SYNs to a full accept queue";
  }
  RouterOptions options = OneWorker();
  options.connect_timeout = 200ms;
  Start(MakeTable({MakeVersion("v1", 10000, {MakeBackend("hole", port)})}), options);
  Message m = Roundtrip("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  close(filler);
  close(listen_fd);
  EXPECT_EQ(m.status, 502);
  RouterStats stats = router_->Stats();
  EXPECT_EQ(stats.Violations("timeout_connect"), 1u);
  EXPECT_EQ(StatsOf(stats, "hole").Requests(StatusClass::kError), 1u);
}

TEST_F(RouterTimeoutsTest, IdleKeepAliveClientIsClosedQuietlyAfterTheClientIdleTimeout) {
  TestBackend a("a");
  RouterOptions options = OneWorker();
  options.client_idle_timeout = 200ms;
  Start(MakeTable({MakeVersion("v1", 10000, {MakeBackend("a1", a.port())})}), options);
  int fd = ConnectTo(port_);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string buf;
  Message m = ReadResponse(fd, &buf);
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.head.find("Connection: close"), std::string::npos) << m.head;  // kept alive
  EXPECT_TRUE(ClosedQuietly(fd));  // no 408: nothing of a request had arrived
  EXPECT_TRUE(buf.empty()) << buf;
  close(fd);
  RouterStats stats = router_->Stats();
  EXPECT_EQ(stats.Violations("timeout_client_idle"), 1u);
  EXPECT_EQ(stats.Violations("timeout_head_read"), 0u);
}

TEST_F(RouterTimeoutsTest, BackendAnswering500IsEjectedAndRequestsReachOnlyTheHealthyOne) {
  std::atomic<int> bad_requests{0};
  RawBackend bad([&](int fd) {
    std::string buf;
    for (int i = 0; i < 1000 && ReadRequestHead(fd, &buf); ++i) {
      ++bad_requests;
      if (!SendAll(fd, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")) return;
    }
  });
  TestBackend good("good");
  RouterOptions options = OneWorker();
  options.routing.consecutive_failures_to_eject = 3;
  options.routing.base_ejection = 60s;  // outlasts the test
  Start(MakeTable({MakeVersion(
            "v1", 10000, {MakeBackend("bad", bad.port()), MakeBackend("good", good.port())})}),
        options);
  // Until the third 500 the picker spreads requests over both; a 500 is passed on, not retried.
  int errors = 0;
  for (int i = 0; i < 200 && errors < 3; ++i) {
    Message m = Roundtrip("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    if (m.status == 500) {
      ++errors;
    } else {
      EXPECT_EQ(m.status, 200);
    }
  }
  ASSERT_EQ(errors, 3);
  for (int i = 0; i < 30; ++i) {
    Message m = Roundtrip("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(m.status, 200);
    EXPECT_EQ(m.body.substr(0, 4), "good");
  }
  EXPECT_EQ(bad_requests, 3);
  RouterStats stats = router_->Stats();
  EXPECT_EQ(StatsOf(stats, "bad").ejections, 1u);
  EXPECT_EQ(StatsOf(stats, "bad").Requests(StatusClass::k5xx), 3u);
  EXPECT_EQ(StatsOf(stats, "good").ejections, 0u);
}

TEST_F(RouterTimeoutsTest, SpentRetryBudgetStopsRetriesAndRequestsGet502) {
  int dead1 = 0, dead2 = 0;
  close(Listen(&dead1));
  close(Listen(&dead2));
  RouterOptions options = OneWorker();
  options.routing.retry_budget_percent = 0;
  options.routing.min_retries_per_window = 2;
  options.routing.retry_window = 60s;                 // nothing leaves the window during the test
  options.routing.consecutive_failures_to_eject = 0;  // no ejection: the budget alone decides
  Start(MakeTable(
            {MakeVersion("v1", 10000, {MakeBackend("dead1", dead1), MakeBackend("dead2", dead2)})}),
        options);
  for (uint64_t i = 1; i <= 6; ++i) {
    EXPECT_EQ(Roundtrip("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, 502) << "request " << i;
    BackendStats v1 = router_->Stats().ForVersion("web", "v1");
    EXPECT_EQ(v1.retries, std::min<uint64_t>(i, 2)) << "request " << i;
    EXPECT_EQ(v1.Requests(StatusClass::kError), i);
  }
}

TEST_F(RouterTimeoutsTest, ARetryWithNowhereToGoSpendsNoBudget) {
  int dead = 0;
  close(Listen(&dead));
  TestBackend live("live");
  RouterOptions options = OneWorker();
  options.routing.retry_budget_percent = 0;
  options.routing.min_retries_per_window = 1;
  options.routing.retry_window = 60s;
  options.routing.consecutive_failures_to_eject = 0;
  // The only backend is dead: three requests fail without touching the one retry allowed...
  Start(MakeTable({MakeVersion("v1", 10000, {MakeBackend("dead", dead)})}), options);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Roundtrip("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, 502);
  }
  EXPECT_EQ(router_->Stats().ForVersion("web", "v1").retries, 0u);
  // ...which is still there once a live backend joins.
  auto table = std::make_shared<RouteTable>(*MakeTable(
      {MakeVersion("v1", 10000, {MakeBackend("dead", dead), MakeBackend("live", live.port())})}));
  table->services[0].balancer = BalancerKind::kRoundRobin;
  ASSERT_TRUE(router_->Publish(table).ok());
  // Round robin sends every other request to the dead one first: the first of those is
  // retried on the live one with the budget the failures above did not spend.
  bool retried = false;
  for (int i = 0; i < 4 && !retried; ++i) {
    EXPECT_EQ(Roundtrip("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, 200) << "request " << i;
    retried = router_->Stats().ForVersion("web", "v1").retries == 1;
  }
  EXPECT_TRUE(retried);
}

}  // namespace
}  // namespace cairn::router
