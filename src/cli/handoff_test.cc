// A takeover over a real unix socket: the next server receives working duplicates of the
// running server's sockets, the running one releases its data dir only after the next one
// holds them, and drains only after it serves.
#include "cli/handoff.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>

#include "state/temp_dir_for_test.h"

namespace cairn::cli {
namespace {

using namespace std::chrono_literals;

int ListeningSocket(int* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  listen(fd, 16);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

int BoundPort(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

// A running server's side on its own thread, with hooks that record what they were asked.
class RunningServer {
 public:
  explicit RunningServer(const std::string& path) {
    api_fd_ = ListeningSocket(&api_port_);
    router_fd_ = ListeningSocket(&router_port_);
    HandoverHooks hooks;
    hooks.sockets = [this] {
      return std::vector<std::pair<HandedSocket, int>>{
          {{"api", "api", "127.0.0.1", api_port_}, api_fd_},
          {{"router", "web/http", "127.0.0.1", router_port_}, router_fd_}};
    };
    hooks.release = [this] { released_ = true; };
    hooks.drain = [this] {
      drained_ = true;
      drain_.set_value();
    };
    auto listener = HandoffListener::Listen(io_, path, hooks);
    EXPECT_TRUE(listener.ok()) << listener.error().ToString();
    if (listener.ok()) listener_ = std::move(*listener);
    thread_ = std::thread([this] {
      auto guard = boost::asio::make_work_guard(io_);
      io_.run();
    });
  }
  ~RunningServer() {
    io_.stop();
    thread_.join();
    listener_.reset();
    close(api_fd_);
    close(router_fd_);
  }

  std::atomic<bool> released_{false};
  std::atomic<bool> drained_{false};
  std::promise<void> drain_;
  int api_port_ = 0, router_port_ = 0;

 private:
  int api_fd_ = -1, router_fd_ = -1;
  boost::asio::io_context io_;
  std::unique_ptr<HandoffListener> listener_;
  std::thread thread_;
};

TEST(HandoffTest, TheNextServerGetsTheSocketsThenTheDataDirThenTheOldOneDrains) {
  state::TempDirForTest dir;
  std::string path = HandoffSocketPath(dir.path());
  RunningServer running(path);
  auto client = TakeoverClient::Connect(path);
  ASSERT_TRUE(client.ok()) << client.error().ToString();
  ASSERT_NE(*client, nullptr);

  auto handed = (*client)->ReceiveSockets(getpid(), "test", 5s);
  ASSERT_TRUE(handed.ok()) << handed.error().ToString();
  EXPECT_EQ(handed->pid, getpid());
  ASSERT_GE(handed->api_fd, 0);
  EXPECT_EQ(handed->api_port, running.api_port_);
  EXPECT_EQ(BoundPort(handed->api_fd), running.api_port_) << "the very socket, duplicated";
  ASSERT_EQ(handed->router.size(), 1u);
  EXPECT_EQ(handed->router[0].port, running.router_port_);
  EXPECT_EQ(BoundPort(handed->router[0].fd), running.router_port_);

  ASSERT_TRUE((*client)->WaitReleased(5s).ok());
  EXPECT_TRUE(running.released_) << "released once the next server holds the sockets";
  EXPECT_FALSE(running.drained_) << "still accepting until the next server serves";
  ASSERT_TRUE((*client)->SendServing().ok());
  running.drain_.get_future().wait();
  EXPECT_TRUE(running.drained_);
  close(handed->api_fd);
  close(handed->router[0].fd);
}

TEST(HandoffTest, ASecondTakeoverAtTheSameTimeIsRefused) {
  state::TempDirForTest dir;
  std::string path = HandoffSocketPath(dir.path());
  RunningServer running(path);
  auto first = TakeoverClient::Connect(path);
  ASSERT_TRUE(first.ok() && *first);
  auto handed = (*first)->ReceiveSockets(getpid(), "test", 5s);
  ASSERT_TRUE(handed.ok()) << handed.error().ToString();
  auto second = TakeoverClient::Connect(path);
  ASSERT_TRUE(second.ok() && *second);
  auto refused = (*second)->ReceiveSockets(getpid(), "test", 5s);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("under way"), std::string::npos)
      << refused.error().message;
  close(handed->api_fd);
  for (auto& s : handed->router) close(s.fd);
}

TEST(HandoffTest, NoRunningServerIsNoTakeover) {
  state::TempDirForTest dir;
  auto none = TakeoverClient::Connect(HandoffSocketPath(dir.path()));
  ASSERT_TRUE(none.ok()) << none.error().ToString();
  EXPECT_EQ(*none, nullptr);
}

}  // namespace
}  // namespace cairn::cli
