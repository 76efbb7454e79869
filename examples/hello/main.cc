// cairn-hello: a small HTTP/1.1 service for demos and tests of cairn.
//
// Listens on 127.0.0.1:$PORT (required). GET / answers a JSON greeting, GET /healthz answers
// "ok". Environment knobs let tests make it slow, flaky, unhealthy or crash-looping; see
// README.md. One thread, asynchronous I/O, keep-alive. SIGTERM or SIGINT stops it with exit 0.
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

struct Config {
  int port = 0;
  std::string version = "v1";
  std::string instance;
  std::string message = "hello from cairn";
  double fail_rate = 0;     // share of requests to / answered 500
  int latency_ms = 0;       // delay added to /
  int crash_after_ms = -1;  // exit(1) this long after start; -1: never
  bool unhealthy = false;   // /healthz answers 503
};

std::string Env(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

[[noreturn]] void Usage(const std::string& problem) {
  std::fprintf(stderr, "cairn-hello: %s\n", problem.c_str());
  std::exit(2);
}

// Parses a whole-string integer in [low, high] or exits 2 naming the variable.
int IntFromEnv(const char* name, int low, int high, int fallback) {
  std::string text = Env(name, "");
  if (text.empty()) return fallback;
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  if (*end != '\0' || value < low || value > high) {
    Usage(std::string(name) + " must be an integer in [" + std::to_string(low) + ", " +
          std::to_string(high) + "], got \"" + text + "\"");
  }
  return static_cast<int>(value);
}

Config LoadConfig() {
  Config config;
  if (Env("PORT", "").empty()) Usage("PORT must be set to the port to listen on");
  config.port = IntFromEnv("PORT", 1, 65535, 0);
  config.version = Env("HELLO_VERSION", config.version);
  config.instance = Env("CAIRN_INSTANCE", std::to_string(::getpid()));
  config.message = Env("HELLO_MESSAGE", config.message);
  std::string rate = Env("HELLO_FAIL_RATE", "0");
  char* end = nullptr;
  config.fail_rate = std::strtod(rate.c_str(), &end);
  if (*end != '\0' || !(config.fail_rate >= 0 && config.fail_rate <= 1)) {
    Usage("HELLO_FAIL_RATE must be a number in [0, 1], got \"" + rate + "\"");
  }
  config.latency_ms = IntFromEnv("HELLO_LATENCY_MS", 0, 600'000, 0);
  config.crash_after_ms = IntFromEnv("HELLO_CRASH_AFTER_MS", 0, 86'400'000, -1);
  config.unhealthy = Env("HELLO_UNHEALTHY", "0") == "1";
  return config;
}

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

void Log(const Config& config, const std::string& what) {
  std::printf("cairn-hello %s instance=%s pid=%d: %s\n", config.version.c_str(),
              config.instance.c_str(), static_cast<int>(::getpid()), what.c_str());
  std::fflush(stdout);
}

// The state every connection shares. Single-threaded: touched only from the io_context.
struct Service {
  Config config;
  std::string greeting;  // the JSON body of GET /
  std::mt19937 random{std::random_device{}()};

  bool InjectFailure() {
    return config.fail_rate > 0 &&
           std::uniform_real_distribution<double>(0, 1)(random) < config.fail_rate;
  }
};

// One keep-alive connection: read a request, answer it (after the configured latency for /),
// repeat until the client closes or asks to.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Service& service)
      : stream_(std::move(socket)), timer_(stream_.get_executor()), service_(service) {}

  void Read() {
    request_ = {};
    stream_.expires_after(std::chrono::seconds(120));  // idle keep-alive connections end
    http::async_read(
        stream_, buffer_, request_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      return;
    }
    stream_.expires_never();
    std::string target(request_.target());
    std::string path = target.substr(0, target.find('?'));
    response_ = {};
    response_.version(request_.version());
    response_.keep_alive(request_.keep_alive());
    response_.set(http::field::server, "cairn-hello");
    if (request_.method() != http::verb::get) {
      return Answer(http::status::method_not_allowed, "text/plain", "method not allowed\n");
    }
    if (path == "/healthz") {
      if (service_.config.unhealthy) {
        return Answer(http::status::service_unavailable, "text/plain", "unhealthy");
      }
      return Answer(http::status::ok, "text/plain", "ok");
    }
    if (path != "/") return Answer(http::status::not_found, "text/plain", "not found\n");
    if (service_.config.latency_ms <= 0) return AnswerRoot();
    timer_.expires_after(std::chrono::milliseconds(service_.config.latency_ms));
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->AnswerRoot();
    });
  }

  void AnswerRoot() {
    if (service_.InjectFailure()) {
      return Answer(http::status::internal_server_error, "application/json",
                    "{\"error\":\"injected failure\"}\n");
    }
    Answer(http::status::ok, "application/json", service_.greeting);
  }

  void Answer(http::status status, const char* content_type, std::string body) {
    response_.result(status);
    response_.set(http::field::content_type, content_type);
    response_.body() = std::move(body);
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return;
                        if (!self->response_.keep_alive()) {
                          self->stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
                          return;
                        }
                        self->Read();
                      });
  }

  beast::tcp_stream stream_;
  asio::steady_timer timer_;
  Service& service_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

void Accept(tcp::acceptor& acceptor, Service& service) {
  acceptor.async_accept([&acceptor, &service](beast::error_code ec, tcp::socket socket) {
    if (!acceptor.is_open()) return;
    if (!ec) std::make_shared<Session>(std::move(socket), service)->Read();
    Accept(acceptor, service);
  });
}

}  // namespace

int main() {
  Service service;
  service.config = LoadConfig();
  const Config& config = service.config;
  service.greeting = "{\"service\":\"hello\",\"version\":" + JsonString(config.version) +
                     ",\"instance\":" + JsonString(config.instance) +
                     ",\"message\":" + JsonString(config.message) + "}\n";

  asio::io_context io(1);
  tcp::acceptor acceptor(io);
  tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"),
                         static_cast<unsigned short>(config.port));
  beast::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::fprintf(stderr, "cairn-hello: cannot listen on 127.0.0.1:%d: %s\n", config.port,
                 ec.message().c_str());
    return 1;
  }
  Accept(acceptor, service);

  std::string stop_reason = "stopped";
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](beast::error_code ec, int signal) {
    if (ec) return;
    stop_reason = signal == SIGTERM ? "stopped on SIGTERM" : "stopped on SIGINT";
    acceptor.close(ec);
    io.stop();
  });

  asio::steady_timer crash_timer(io);
  if (config.crash_after_ms >= 0) {
    crash_timer.expires_after(std::chrono::milliseconds(config.crash_after_ms));
    crash_timer.async_wait([&](beast::error_code ec) {
      if (ec) return;
      Log(config, "crashing as HELLO_CRASH_AFTER_MS asks");
      std::exit(1);
    });
  }

  Log(config, "listening on 127.0.0.1:" + std::to_string(config.port));
  io.run();
  Log(config, stop_reason);
  return 0;
}
