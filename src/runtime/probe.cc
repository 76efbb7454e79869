#include "runtime/probe.h"

#include <signal.h>
#include <sys/wait.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <memory>

#include "core/clock.h"
#include "runtime/spawn.h"

namespace cairn::runtime {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

std::string TimedOut(Duration timeout) { return "timed out after " + FormatDuration(timeout); }

// Parses "HTTP/1.1 200 OK" into 200; -1 when it is not a status line.
int StatusCode(const std::string& line) {
  if (line.rfind("HTTP/", 0) != 0) return -1;
  size_t space = line.find(' ');
  if (space == std::string::npos || line.size() < space + 4) return -1;
  int code = 0;
  for (size_t i = space + 1; i < space + 4; ++i) {
    if (line[i] < '0' || line[i] > '9') return -1;
    code = code * 10 + (line[i] - '0');
  }
  return code;
}

// An HTTP or TCP probe. Owned by its pending handlers; the timer closes the socket on timeout.
class SocketProbe : public std::enable_shared_from_this<SocketProbe> {
 public:
  SocketProbe(asio::io_context& io, const ProbeSpec& spec, int port,
              std::function<void(ProbeResult)> done)
      : socket_(io), timer_(io), spec_(spec), port_(port), done_(std::move(done)) {}

  void Start() {
    auto self = shared_from_this();
    timer_.expires_after(spec_.timeout);
    timer_.async_wait([self](boost::system::error_code ec) {
      if (ec) return;  // cancelled: the probe finished first
      self->timed_out_ = true;
      boost::system::error_code ignored;
      self->socket_.close(ignored);
    });
    tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"),
                           static_cast<unsigned short>(port_));
    socket_.async_connect(endpoint, [self](boost::system::error_code ec) { self->OnConnect(ec); });
  }

 private:
  void OnConnect(boost::system::error_code ec) {
    if (ec) return Fail(ec);
    if (spec_.kind == ProbeKind::kTcp) return Finish({true, "connected"});
    std::string host = "127.0.0.1:" + std::to_string(port_);
    request_ = "GET " + (spec_.http_path.empty() ? "/" : spec_.http_path) +
               " HTTP/1.1\r\nHost: " + host +
               "\r\nConnection: close\r\nUser-Agent: cairn-probe\r\n\r\n";
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(request_),
                      [self](boost::system::error_code ec, size_t) { self->OnWrite(ec); });
  }

  void OnWrite(boost::system::error_code ec) {
    if (ec) return Fail(ec);
    auto self = shared_from_this();
    asio::async_read_until(
        socket_, asio::dynamic_buffer(response_, 8192), "\r\n",
        [self](boost::system::error_code ec, size_t n) { self->OnStatusLine(ec, n); });
  }

  void OnStatusLine(boost::system::error_code ec, size_t n) {
    if (ec) return Fail(ec);
    std::string line = response_.substr(0, n >= 2 ? n - 2 : n);
    int code = StatusCode(line);
    if (code < 0) return Finish({false, "not an HTTP response"});
    Finish({code >= 200 && code < 400, "HTTP " + std::to_string(code)});
  }

  void Fail(boost::system::error_code ec) {
    if (timed_out_) return Finish({false, TimedOut(spec_.timeout)});
    if (ec == asio::error::connection_refused) return Finish({false, "connection refused"});
    if (ec == asio::error::eof || ec == asio::error::connection_reset) {
      return Finish({false, "connection closed before a response"});
    }
    Finish({false, ec.message()});
  }

  void Finish(ProbeResult result) {
    if (!done_) return;
    timer_.cancel();
    boost::system::error_code ignored;
    socket_.close(ignored);
    auto done = std::move(done_);
    done_ = nullptr;
    done(std::move(result));
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  ProbeSpec spec_;
  int port_;
  std::function<void(ProbeResult)> done_;
  std::string request_;
  std::string response_;
  bool timed_out_ = false;
};

// An exec probe: spawns the command, then polls waitpid on a timer (starting fast, backing
// off to 25ms) so the io_context's thread never blocks. On timeout it kills the command's
// process group and reports once the command is reaped.
class ExecProbe : public std::enable_shared_from_this<ExecProbe> {
 public:
  ExecProbe(asio::io_context& io, const ProbeSpec& spec, int pid,
            std::function<void(ProbeResult)> done)
      : timer_(io),
        timeout_(spec.timeout),
        deadline_(std::chrono::steady_clock::now() + spec.timeout),
        pid_(pid),
        done_(std::move(done)) {}

  void Poll() {
    int status;
    pid_t r;
    do {
      r = ::waitpid(pid_, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == pid_ || r < 0) {
      ProbeResult result;
      if (killed_) {
        result.detail = TimedOut(timeout_);
      } else if (r < 0) {
        result.detail = "lost track of the probe command";
      } else if (WIFEXITED(status)) {
        result.ok = WEXITSTATUS(status) == 0;
        result.detail = "exit " + std::to_string(WEXITSTATUS(status));
      } else {
        result.detail = "killed by signal " + std::to_string(WTERMSIG(status));
      }
      auto done = std::move(done_);
      return done(std::move(result));
    }
    if (!killed_ && std::chrono::steady_clock::now() >= deadline_) {
      ::kill(-pid_, SIGKILL);
      killed_ = true;
    }
    interval_ = std::min(interval_ * 2, std::chrono::milliseconds(25));
    timer_.expires_after(interval_);
    auto self = shared_from_this();
    timer_.async_wait([self](boost::system::error_code) { self->Poll(); });
  }

 private:
  asio::steady_timer timer_;
  Duration timeout_;
  SteadyTime deadline_;
  int pid_;
  std::function<void(ProbeResult)> done_;
  std::chrono::milliseconds interval_{1};
  bool killed_ = false;
};

void StartExecProbe(asio::io_context& io, const ProbeSpec& spec, int port,
                    const std::map<std::string, std::string>& env,
                    std::function<void(ProbeResult)> done) {
  SpawnOptions options;
  options.argv = spec.exec_command;
  options.env = BaseEnvironment();
  for (const auto& [key, value] : env) options.env[key] = value;
  if (port > 0) options.env["PORT"] = std::to_string(port);
  auto pid = options.argv.empty()
                 ? Result<int>(MakeError(ErrorCode::kInvalidArgument, "exec probe has no command"))
                 : Spawn(options);
  if (!pid.ok()) {
    asio::post(io, [done = std::move(done), message = pid.error().message] {
      done({false, message});
    });
    return;
  }
  auto probe = std::make_shared<ExecProbe>(io, spec, *pid, std::move(done));
  asio::post(io, [probe] { probe->Poll(); });
}

}  // namespace

void StartProbe(asio::io_context& io, const ProbeSpec& spec, int port,
                const std::map<std::string, std::string>& env,
                std::function<void(ProbeResult)> done) {
  if (spec.kind == ProbeKind::kExec) return StartExecProbe(io, spec, port, env, std::move(done));
  if (port <= 0 || port > 65535) {
    asio::post(io, [done = std::move(done), port] {
      done({false, "no port to probe (" + std::to_string(port) + ")"});
    });
    return;
  }
  // The first step runs from the io_context too, so `done` is never called inside StartProbe.
  auto probe = std::make_shared<SocketProbe>(io, spec, port, std::move(done));
  asio::post(io, [probe] { probe->Start(); });
}

}  // namespace cairn::runtime
