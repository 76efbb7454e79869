#include "runtime/probe.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <optional>

namespace cairn::runtime {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

// A listener on 127.0.0.1:<ephemeral> that answers every request with `reply`, or holds the
// connection open without a word when `reply` is empty.
class TestServer {
 public:
  TestServer(asio::io_context& io, std::string reply)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0)),
        reply_(std::move(reply)) {
    Accept();
  }
  int port() const { return acceptor_.local_endpoint().port(); }
  const std::string& last_request() const { return last_request_; }

 private:
  void Accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) return;
      auto conn = std::make_shared<Connection>(std::move(socket));
      connections_.push_back(conn);
      if (!reply_.empty()) {
        asio::async_read_until(conn->socket, asio::dynamic_buffer(conn->buffer), "\r\n\r\n",
                               [this, conn](boost::system::error_code ec, size_t) {
                                 if (ec) return;
                                 last_request_ = conn->buffer;
                                 asio::async_write(conn->socket, asio::buffer(reply_),
                                                   [conn](boost::system::error_code, size_t) {
                                                     conn->socket.close();
                                                   });
                               });
      }
      Accept();
    });
  }

  struct Connection {
    explicit Connection(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    std::string buffer;
  };
  tcp::acceptor acceptor_;
  std::string reply_;
  std::string last_request_;
  std::vector<std::shared_ptr<Connection>> connections_;
};

// Runs one probe to completion and checks `done` came exactly once.
ProbeResult RunProbe(asio::io_context& io, const ProbeSpec& spec, int port,
                     const std::map<std::string, std::string>& env = {}) {
  io.restart();  // a previous probe may have let it run out of work
  int calls = 0;
  ProbeResult result;
  StartProbe(io, spec, port, env, [&](ProbeResult r) {
    ++calls;
    result = std::move(r);
  });
  EXPECT_EQ(calls, 0) << "done must not run inside StartProbe";
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (calls == 0 && std::chrono::steady_clock::now() < deadline) io.run_one_for(100ms);
  io.poll();  // anything left over must not call done again
  EXPECT_EQ(calls, 1);
  return result;
}

int ClosedPort(asio::io_context& io) {
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();  // closed when acceptor goes out of scope
}

ProbeSpec Http(std::string path, Duration timeout = 2000ms) {
  return {.kind = ProbeKind::kHttp, .http_path = std::move(path), .timeout = timeout};
}

TEST(HttpProbe, SucceedsOn2xxAndSendsAWellFormedRequest) {
  asio::io_context io;
  TestServer server(io, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  ProbeResult result = RunProbe(io, Http("/healthz"), server.port());
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.detail, "HTTP 200");
  std::string host = "127.0.0.1:" + std::to_string(server.port());
  EXPECT_EQ(server.last_request(), "GET /healthz HTTP/1.1\r\nHost: " + host +
                                       "\r\nConnection: close\r\nUser-Agent: cairn-probe\r\n\r\n");
}

TEST(HttpProbe, SucceedsOnARedirect) {
  asio::io_context io;
  TestServer server(io, "HTTP/1.0 302 Found\r\nLocation: /x\r\n\r\n");
  ProbeResult result = RunProbe(io, Http("/"), server.port());
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.detail, "HTTP 302");
}

TEST(HttpProbe, FailsOn5xx) {
  asio::io_context io;
  TestServer server(io, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
  ProbeResult result = RunProbe(io, Http("/healthz"), server.port());
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.detail, "HTTP 503");
}

TEST(HttpProbe, FailsOnGarbage) {
  asio::io_context io;
  TestServer server(io, "SSH-2.0-OpenSSH\r\n");
  ProbeResult result = RunProbe(io, Http("/"), server.port());
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.detail, "not an HTTP response");
}

TEST(HttpProbe, ReportsARefusedConnection) {
  asio::io_context io;
  ProbeResult result = RunProbe(io, Http("/"), ClosedPort(io));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.detail, "connection refused");
}

TEST(HttpProbe, TimesOutOnAServerThatNeverAnswers) {
  asio::io_context io;
  TestServer server(io, "");
  auto start = std::chrono::steady_clock::now();
  ProbeResult result = RunProbe(io, Http("/", 200ms), server.port());
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.detail, "timed out after 200ms");
  EXPECT_GE(elapsed, 190ms);
  EXPECT_LT(elapsed, 2s);
}

TEST(TcpProbe, SucceedsWhenTheConnectionOpensAndFailsWhenRefused) {
  asio::io_context io;
  TestServer server(io, "");
  ProbeSpec spec{.kind = ProbeKind::kTcp, .timeout = 1000ms};
  ProbeResult up = RunProbe(io, spec, server.port());
  EXPECT_TRUE(up.ok);
  EXPECT_EQ(up.detail, "connected");
  ProbeResult down = RunProbe(io, spec, ClosedPort(io));
  EXPECT_FALSE(down.ok);
  EXPECT_EQ(down.detail, "connection refused");
}

TEST(TcpProbe, RejectsAMissingPort) {
  asio::io_context io;
  ProbeResult result = RunProbe(io, {.kind = ProbeKind::kTcp}, 0);
  EXPECT_FALSE(result.ok);
}

ProbeSpec Exec(std::vector<std::string> argv, Duration timeout = 2000ms) {
  return {.kind = ProbeKind::kExec, .exec_command = std::move(argv), .timeout = timeout};
}

TEST(ExecProbe, ExitZeroIsHealthy) {
  asio::io_context io;
  ProbeResult result = RunProbe(io, Exec({"true"}), 0);
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.detail, "exit 0");
}

TEST(ExecProbe, NonZeroExitIsUnhealthy) {
  asio::io_context io;
  ProbeResult result = RunProbe(io, Exec({"false"}), 0);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.detail, "exit 1");
}

TEST(ExecProbe, SeesPortAndEnv) {
  asio::io_context io;
  ProbeResult result =
      RunProbe(io, Exec({"sh", "-c", "test \"$PORT:$FOO\" = 4242:bar"}), 4242, {{"FOO", "bar"}});
  EXPECT_TRUE(result.ok) << result.detail;
}

TEST(ExecProbe, ASlowCommandIsKilledAtTheTimeout) {
  asio::io_context io;
  auto start = std::chrono::steady_clock::now();
  ProbeResult result = RunProbe(io, Exec({"sleep", "5"}, 150ms), 0);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.detail, "timed out after 150ms");
  EXPECT_LT(elapsed, 2s);
}

TEST(ExecProbe, AMissingCommandFailsWithoutSpawning) {
  asio::io_context io;
  ProbeResult result = RunProbe(io, Exec({"no-such-probe-command"}), 0);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.detail, "command \"no-such-probe-command\" not found in PATH");
  ProbeResult empty = RunProbe(io, Exec({}), 0);
  EXPECT_FALSE(empty.ok);
}

TEST(Probe, DoesNotBlockTheIoContextWhileACommandRuns) {
  asio::io_context io;
  TestServer server(io, "HTTP/1.1 200 OK\r\n\r\n");
  std::optional<ProbeResult> slow, fast;
  StartProbe(io, Exec({"sleep", "5"}, 1000ms), 0, {}, [&](ProbeResult r) { slow = r; });
  StartProbe(io, Http("/"), server.port(), {}, [&](ProbeResult r) { fast = r; });
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!fast && std::chrono::steady_clock::now() < deadline) io.run_one_for(50ms);
  ASSERT_TRUE(fast.has_value());
  EXPECT_TRUE(fast->ok);
  EXPECT_FALSE(slow.has_value());
  while (!slow && std::chrono::steady_clock::now() < deadline) io.run_one_for(50ms);
  ASSERT_TRUE(slow.has_value());
  EXPECT_EQ(slow->detail, "timed out after 1s");
}

}  // namespace
}  // namespace cairn::runtime
