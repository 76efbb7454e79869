// A router hands its listening sockets to a next one (a server upgrade): the next accepts on
// the very same sockets, so no connection is refused, and the draining one closes its idle
// keep-alive connections and answers a request in progress with `Connection: close`.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <string>

#include "router/router.h"
#include "router/router_test_fixture.h"

namespace cairn::router {
namespace {

RouteTableSnapshot TableOn(int port, int backend_port) {
  auto t = std::make_shared<RouteTable>(
      *MakeTable({MakeVersion("v1", 10000, {MakeBackend("a1", backend_port)})}));
  t->listeners[0].port = port;
  return t;
}

// Duplicates of every socket `from` listens on, as a next server receives them.
std::vector<InheritedSocket> Handed(const Router& from) {
  std::vector<InheritedSocket> out;
  for (const ListenerSockets& l : from.Sockets()) {
    for (int fd : l.fds) out.push_back({l.host, l.port, dup(fd)});
  }
  return out;
}

std::string Get(int fd, const std::string& target = "/") {
  SendAll(fd, "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string buf;
  return ReadResponse(fd, &buf).head;
}

bool PeerClosed(int fd) {
  char c;
  return recv(fd, &c, 1, 0) == 0;
}

TEST(RouterHandoverTest, TheNextRouterAcceptsOnTheSameSocketsAndTheOldOneDrains) {
  TestBackend backend("a");
  RouterOptions two;
  two.workers = 2;
  Router old_router(two, SystemClock::Get());
  ASSERT_TRUE(old_router.Publish(TableOn(0, backend.port())).ok());
  int port = old_router.ListenerPort("web/http");
  ASSERT_GT(port, 0);
  ASSERT_EQ(old_router.Sockets().size(), 1u);
  EXPECT_EQ(old_router.Sockets()[0].fds.size(), 2u) << "one socket per worker";

  // A keep-alive client of the old router, idle between requests when the hand-over comes.
  int idle = ConnectTo(port);
  ASSERT_GE(idle, 0);
  EXPECT_NE(Get(idle).find("200 OK"), std::string::npos);

  // The next router has more workers than sockets came: the rest join the port's group.
  RouterOptions three;
  three.workers = 3;
  Router next_router(three, SystemClock::Get());
  next_router.Inherit(Handed(old_router));
  ASSERT_TRUE(next_router.Publish(TableOn(port, backend.port())).ok());
  EXPECT_EQ(next_router.ListenerPort("web/http"), port);
  ASSERT_EQ(next_router.Sockets().size(), 1u);
  EXPECT_EQ(next_router.Sockets()[0].fds.size(), 3u);

  old_router.Drain();
  EXPECT_TRUE(PeerClosed(idle)) << "an idle keep-alive connection is closed by the drain";
  close(idle);
  EXPECT_TRUE(old_router.Sockets().empty());
  EXPECT_FALSE(old_router.Publish(TableOn(port, backend.port())).ok()) << "no listener after";

  // Every new connection is accepted by the next router: none is refused.
  for (int i = 0; i < 50; ++i) {
    int fd = ConnectTo(port);
    ASSERT_GE(fd, 0) << "connection " << i << " refused: " << std::strerror(errno);
    EXPECT_NE(Get(fd).find("200 OK"), std::string::npos) << "connection " << i;
    close(fd);
  }
  EXPECT_EQ(old_router.Stats().active_client_connections, 0);
  next_router.Stop();
  old_router.Stop();
}

TEST(RouterHandoverTest, ARequestInProgressWhenTheDrainBeginsIsAnsweredAndTheConnectionCloses) {
  std::promise<void> received, answer;
  std::shared_future<void> go = answer.get_future().share();
  RawBackend backend([&](int fd) {
    std::string buf;
    while (buf.find("\r\n\r\n") == std::string::npos && ReadMore(fd, &buf)) {
    }
    received.set_value();
    go.wait();
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  RouterOptions one;
  one.workers = 1;
  Router router(one, SystemClock::Get());
  ASSERT_TRUE(router.Publish(TableOn(0, backend.port())).ok());
  int fd = ConnectTo(router.ListenerPort("web/http"));
  ASSERT_GE(fd, 0);
  SendAll(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  received.get_future().wait();  // the request is with the backend
  router.Drain();
  answer.set_value();
  std::string buf;
  Message m = ReadResponse(fd, &buf);
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.body, "ok");
  EXPECT_NE(m.head.find("Connection: close"), std::string::npos) << m.head;
  EXPECT_TRUE(PeerClosed(fd));
  close(fd);
  router.Stop();
  backend.Stop();
}

TEST(RouterHandoverTest, AnInheritedSocketTheFirstTableDoesNotUseIsClosed) {
  int unused_port = 0;
  int unused = Listen(&unused_port);
  TestBackend backend("a");
  Router router(RouterOptions{}, SystemClock::Get());
  router.Inherit({{"127.0.0.1", unused_port, unused}});
  ASSERT_TRUE(router.Publish(TableOn(0, backend.port())).ok());
  EXPECT_LT(ConnectTo(unused_port), 0) << "nobody would ever accept what queued there";
  EXPECT_EQ(errno, ECONNREFUSED);
  router.Stop();
}

}  // namespace
}  // namespace cairn::router
