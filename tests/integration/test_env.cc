#include "test_env.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

extern char** environ;

namespace cairn::testing {

// One live TestServer as the fatal-signal handler sees it.
struct CrashSlot {
  std::atomic<bool> used{false};
  std::atomic<pid_t> server{-1};
  char needle[320] = {};  // "CAIRN_DATA_DIR=<dir>"
};

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

constexpr auto kStartTimeout = 10s;
constexpr auto kStopTimeout = 10s;
constexpr auto kApiTimeout = 5000ms;

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string LastLines(const std::string& text, int count) {
  size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;  // the final newline ends the last line
  for (int i = 0; i < count; ++i) {
    size_t nl = pos == 0 ? std::string::npos : text.rfind('\n', pos - 1);
    if (nl == std::string::npos) return text;
    pos = nl;
  }
  return text.substr(pos + 1);
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// The test's environment with PATH led by cairn-hello's directory.
std::vector<std::string> ServerEnvironment() {
  std::string hello_dir = std::filesystem::path(HELLO_BINARY).parent_path().string();
  std::vector<std::string> env;
  std::string path = "/usr/local/bin:/usr/bin:/bin";
  for (char** e = environ; *e != nullptr; ++e) {
    std::string var = *e;
    if (var.starts_with("PATH=")) {
      path = var.substr(5);
    } else if (!var.starts_with("CAIRN_")) {
      env.push_back(var);
    }
  }
  env.push_back("PATH=" + hello_dir + ":" + path);
  return env;
}

// Forks and execs argv with stdout and stderr to the given descriptors. Everything the child
// touches is prepared before fork.
pid_t Launch(std::vector<std::string> argv, std::vector<std::string> env, int out_fd, int err_fd) {
  std::vector<char*> argv_c = CStrings(argv);
  std::vector<char*> env_c = CStrings(env);
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid != 0) {
    if (null_fd >= 0) ::close(null_fd);
    return pid;
  }
  // Dies with the test, so a crashed test binary leaves no server behind.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(126);
  ::dup2(null_fd, 0);
  ::dup2(out_fd, 1);
  ::dup2(err_fd, 2);
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  ::execve(argv_c[0], argv_c.data(), env_c.data());
  ::_exit(127);
}

// Waits up to `timeout` for `pid` to exit; its exit code (128+signal when killed), or nullopt.
std::optional<int> WaitExit(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    if (r < 0 && errno != EINTR) return -1;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(10ms);
  }
}

HttpReply HttpCall(int port, const std::string& method, const std::string& target,
                   const std::string& body, std::chrono::milliseconds timeout) {
  HttpReply reply;
  asio::io_context io;
  beast::tcp_stream stream(io);
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(http::field::content_type, "application/json");
  req.keep_alive(false);
  req.body() = body;
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  bool done = false;
  stream.expires_after(timeout);
  asio::ip::tcp::endpoint ep(asio::ip::make_address_v4("127.0.0.1"),
                             static_cast<unsigned short>(port));
  stream.async_connect(ep, [&](beast::error_code ec) {
    if (ec) return;
    http::async_write(stream, req, [&](beast::error_code ec, size_t) {
      if (ec) return;
      http::async_read(stream, buffer, res, [&](beast::error_code ec, size_t) {
        if (!ec) done = true;
      });
    });
  });
  io.run_for(timeout + 100ms);
  if (!done) return reply;
  reply.status = static_cast<int>(res.result_int());
  reply.text = res.body();
  reply.body = json::parse(reply.text, nullptr, false);
  if (reply.body.is_discarded()) reply.body = nullptr;
  return reply;
}

json ApplyBody(const std::string& yaml, const std::string& message,
               std::optional<int64_t> expect_revision) {
  json body = {{"yaml", yaml}, {"file", "test.yaml"}, {"author", "test"}, {"message", message}};
  if (expect_revision) body["expect_revision"] = *expect_revision;
  return body;
}

// Last resort for a test binary that dies on a signal (a failed assert, a crash, Ctrl-C):
// destructors do not run then, so a handler kills the servers and the instances of every live
// TestServer before the signal takes its course. Async-signal-safe: raw syscalls and static
// buffers only.
CrashSlot g_crash_slots[32];

size_t RawLength(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

// Whether the NUL-separated `env` holds an entry equal to `needle`.
bool RawEnvHas(const char* env, size_t size, const char* needle, size_t needle_size) {
  size_t pos = 0;
  while (pos < size) {
    size_t end = pos;
    while (end < size && env[end] != '\0') ++end;
    if (end - pos == needle_size && std::memcmp(env + pos, needle, needle_size) == 0) return true;
    pos = end + 1;
  }
  return false;
}

void RawKillTagged() {
  static char dents[16384];
  static char env[65536];
  int dir = ::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return;
  for (;;) {
    ssize_t n = ::getdents64(dir, dents, sizeof dents);
    if (n <= 0) break;
    for (ssize_t off = 0; off < n;) {
      auto* entry = reinterpret_cast<struct dirent64*>(dents + off);
      off += entry->d_reclen;
      pid_t pid = 0;
      const char* name = entry->d_name;
      for (; *name >= '0' && *name <= '9'; ++name) pid = pid * 10 + (*name - '0');
      if (*name != '\0' || pid <= 0) continue;
      char path[64] = "/proc/";
      size_t len = 6;
      for (size_t i = 0; entry->d_name[i] != '\0' && len < 40; ++i) path[len++] = entry->d_name[i];
      std::memcpy(path + len, "/environ", 9);
      int fd = ::open(path, O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      size_t size = 0;
      ssize_t r;
      while (size < sizeof env && (r = ::read(fd, env + size, sizeof env - size)) > 0) size += r;
      ::close(fd);
      for (auto& slot : g_crash_slots) {
        if (!slot.used || !RawEnvHas(env, size, slot.needle, RawLength(slot.needle))) continue;
        ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
      }
    }
  }
  ::close(dir);
}

void OnFatalSignal(int sig) {
  for (auto& slot : g_crash_slots) {
    pid_t server = slot.server;
    if (slot.used && server > 0) ::kill(server, SIGKILL);
  }
  RawKillTagged();
  ::raise(sig);  // SA_RESETHAND restored the default action
}

void InstallCrashHandlers() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = OnFatalSignal;
  action.sa_flags = SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGINT, SIGTERM}) {
    ::sigaction(sig, &action, nullptr);
  }
}

CrashSlot* ClaimCrashSlot(const std::string& data_dir) {
  InstallCrashHandlers();
  std::string needle = "CAIRN_DATA_DIR=" + data_dir;
  for (auto& slot : g_crash_slots) {
    if (slot.used || needle.size() >= sizeof slot.needle) continue;
    std::memcpy(slot.needle, needle.c_str(), needle.size() + 1);
    slot.server = -1;
    slot.used = true;
    return &slot;
  }
  return nullptr;
}

}  // namespace

std::string HelloYaml(const HelloSpec& s) {
  auto quote = [](const std::string& text) { return json(text).dump(); };
  auto count = [&](const std::string& text) {
    return text.find('%') != std::string::npos ? quote(text) : text;
  };
  std::ostringstream y;
  y << "environment: " << s.environment << "\n";
  y << "services:\n";
  y << "  " << s.service << ":\n";
  y << "    command: " << s.command << "\n";
  y << "    replicas: " << s.replicas << "\n";
  y << "    env:\n";
  y << "      HELLO_VERSION: " << quote(s.version) << "\n";
  for (const auto& [key, value] : s.env) y << "      " << key << ": " << quote(value) << "\n";
  if (s.listen_port) y << "    ports: { http: { listen: " << *s.listen_port << " } }\n";
  if (s.http_health) {
    y << "    health:\n";
    y << "      http:\n";
    y << "        path: /healthz\n";
    y << "        interval: " << s.health_interval << "\n";
    y << "        timeout: " << s.health_timeout << "\n";
    y << "        healthy_after: " << s.healthy_after << "\n";
    y << "        unhealthy_after: " << s.unhealthy_after << "\n";
  }
  y << "    strategy:\n";
  if (!s.strategy.empty()) {
    y << s.strategy;
  } else {
    y << "      rolling: { max_surge: " << count(s.max_surge)
      << ", max_unavailable: " << count(s.max_unavailable)
      << ", progress_deadline: " << s.progress_deadline << " }\n";
  }
  y << "    stop_timeout: " << s.stop_timeout << "\n";
  return y.str();
}

CliResult RunProcess(const std::vector<std::string>& argv, std::chrono::milliseconds deadline) {
  CliResult result;
  char out_path[] = "/tmp/cairn-it-out-XXXXXX";
  char err_path[] = "/tmp/cairn-it-err-XXXXXX";
  int out_fd = ::mkstemp(out_path);
  int err_fd = ::mkstemp(err_path);
  if (out_fd < 0 || err_fd < 0) {
    result.err = std::string("mkstemp: ") + std::strerror(errno);
    return result;
  }
  std::vector<std::string> env = ServerEnvironment();
  env.push_back("NO_COLOR=1");
  pid_t pid = Launch(argv, env, out_fd, err_fd);
  ::close(out_fd);
  ::close(err_fd);
  if (pid < 0) {
    result.err = std::string("fork: ") + std::strerror(errno);
  } else if (auto code = WaitExit(pid, deadline)) {
    result.exit_code = *code;
  } else {
    ::kill(pid, SIGKILL);
    (void)WaitExit(pid, 5s);
    result.exit_code = -1;
  }
  result.out = ReadWholeFile(out_path);
  result.err += ReadWholeFile(err_path);
  ::unlink(out_path);
  ::unlink(err_path);
  return result;
}

bool ProcessAlive(int pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  std::string stat = ReadWholeFile("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
  return stat[paren + 2] != 'Z';
}

std::vector<int> ProcessesTaggedWith(const std::string& data_dir) {
  std::vector<int> pids;
  const std::string want = "CAIRN_DATA_DIR=" + data_dir;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return pids;
  while (dirent* entry = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 0 || pid == ::getpid()) continue;
    std::string env = ReadWholeFile(std::string("/proc/") + entry->d_name + "/environ");
    size_t pos = 0;
    while (pos < env.size()) {
      size_t nul = env.find('\0', pos);
      if (nul == std::string::npos) nul = env.size();
      if (std::string_view(env.data() + pos, nul - pos) == want) {
        if (ProcessAlive(static_cast<int>(pid))) pids.push_back(static_cast<int>(pid));
        break;
      }
      pos = nul + 1;
    }
  }
  ::closedir(proc);
  std::sort(pids.begin(), pids.end());
  return pids;
}

std::string MakeTempDir() {
  char path[] = "/tmp/cairn-it-XXXXXX";
  if (::mkdtemp(path) == nullptr) return "";
  return path;
}

int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

HttpReply HttpGet(int port, const std::string& target, std::chrono::milliseconds timeout) {
  return HttpCall(port, "GET", target, "", timeout);
}

const json* FindService(const json& status, const std::string& name) {
  if (!status.is_object() || !status.contains("services")) return nullptr;
  for (const auto& s : status["services"]) {
    if (s.value("name", "") == name) return &s;
  }
  return nullptr;
}

const json& ServiceOrEmpty(const json& status, const std::string& name) {
  static const json kEmpty = {{"name", ""}, {"instances", json::array()}};
  const json* s = FindService(status, name);
  return s != nullptr && s->contains("instances") ? *s : kEmpty;
}

std::map<std::string, int> InstancePids(const json& status, const std::string& name) {
  std::map<std::string, int> out;
  for (const auto& inst : ServiceOrEmpty(status, name)["instances"]) {
    out[inst["id"].get<std::string>()] = inst["pid"].get<int>();
  }
  return out;
}

bool RolloutIs(const json& status, const std::string& name, const std::string& state,
               int64_t revision) {
  const json* s = FindService(status, name);
  return s != nullptr && s->value("rollout", "") == state &&
         s->value("revision", int64_t{-1}) == revision;
}

TestServer::TestServer() : data_dir_(MakeTempDir()), port_(FreeLoopbackPort()) {
  if (!data_dir_.empty()) crash_slot_ = ClaimCrashSlot(data_dir_);
}

void TestServer::SetServerPid(pid_t pid) {
  pid_ = pid;
  if (crash_slot_ != nullptr) crash_slot_->server = pid;
}

TestServer::~TestServer() {
  StopServerHard();
  KillInstances();
  if (!data_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(data_dir_, ec);
  }
  if (crash_slot_ != nullptr) crash_slot_->used = false;
}

::testing::AssertionResult TestServer::Start() {
  if (data_dir_.empty()) return ::testing::AssertionFailure() << "mkdtemp failed";
  if (port_ == 0) return ::testing::AssertionFailure() << "no free loopback port";
  if (pid_ > 0) return ::testing::AssertionFailure() << "the server is already running";
  std::string log_path = data_dir_ + "/server.log";
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return ::testing::AssertionFailure() << "cannot open " << log_path;
  SetServerPid(Launch({CAIRN_BINARY, "server", "--data-dir", data_dir_, "--addr", addr()},
                      ServerEnvironment(), log_fd, log_fd));
  ::close(log_fd);
  if (pid_ < 0) return ::testing::AssertionFailure() << "fork: " << std::strerror(errno);

  auto deadline = Clock::now() + kStartTimeout;
  while (Clock::now() < deadline) {
    if (auto code = WaitExit(pid_, 0ms)) {
      SetServerPid(-1);
      return ::testing::AssertionFailure()
             << "the server exited with " << *code << " before answering:\n"
             << ServerLog();
    }
    HttpReply reply = HttpGet(port_, "/v1/version", 500ms);
    if (reply.status == 200) return ::testing::AssertionSuccess();
    std::this_thread::sleep_for(50ms);
  }
  StopServerHard();
  return ::testing::AssertionFailure() << "GET /v1/version did not answer within 10 s:\n"
                                       << ServerLog();
}

void TestServer::Kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  (void)WaitExit(pid_, kStopTimeout);
  SetServerPid(-1);
}

void TestServer::Terminate() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  if (!WaitExit(pid_, kStopTimeout)) {
    ADD_FAILURE() << "the server did not exit within 10 s of SIGTERM";
    ::kill(pid_, SIGKILL);
    (void)WaitExit(pid_, kStopTimeout);
  }
  SetServerPid(-1);
}

void TestServer::StopServerHard() { Kill9(); }

void TestServer::KillInstances() {
  if (data_dir_.empty()) return;
  auto deadline = Clock::now() + 5s;
  for (;;) {
    std::vector<int> pids = ProcessesTaggedWith(data_dir_);
    if (pids.empty()) return;
    if (Clock::now() >= deadline) {
      ADD_FAILURE() << "instances of " << data_dir_ << " survived SIGKILL: " << pids.size();
      return;
    }
    for (int pid : pids) {
      ::kill(-pid, SIGKILL);  // instances lead their own process group
      ::kill(pid, SIGKILL);
    }
    std::this_thread::sleep_for(20ms);
  }
}

api::Client TestServer::Client(std::chrono::milliseconds timeout) const {
  api::Endpoint endpoint;
  endpoint.port = port_;
  return api::Client(endpoint, timeout);
}

Result<json> TestServer::Apply(const std::string& yaml, const std::string& message,
                               std::optional<int64_t> expect_revision) {
  return Client().Post("/v1/apply", ApplyBody(yaml, message, expect_revision));
}

::testing::AssertionResult TestServer::ApplyAndWait(const std::string& yaml,
                                                    const std::string& message,
                                                    std::chrono::milliseconds timeout,
                                                    int64_t* revision) {
  auto applied = Apply(yaml, message);
  if (!applied.ok()) {
    return ::testing::AssertionFailure() << "apply failed: " << applied.error().ToString();
  }
  if (!(*applied)["revision"].is_object()) {
    return ::testing::AssertionFailure() << "apply changed nothing: " << applied->dump(2);
  }
  int64_t number = (*applied)["revision"]["number"].get<int64_t>();
  if (revision != nullptr) *revision = number;
  auto done = WaitFor(
      [&](const json& status) {
        if (status["services"].empty()) return false;
        for (const auto& s : status["services"]) {
          if (s["rollout"] != "complete" || s["revision"] != number ||
              s["instances"].size() != s["replicas"].get<size_t>()) {
            return false;
          }
        }
        return true;
      },
      timeout);
  if (!done) {
    return ::testing::AssertionFailure()
           << "the rollout of revision " << number << " did not complete within " << timeout.count()
           << " ms\n"
           << Diagnostics();
  }
  return ::testing::AssertionSuccess();
}

HttpReply TestServer::ApplyRaw(const std::string& yaml, const std::string& message,
                               std::optional<int64_t> expect_revision) {
  return HttpCall(port_, "POST", "/v1/apply", ApplyBody(yaml, message, expect_revision).dump(),
                  kApiTimeout);
}

json TestServer::Status() {
  HttpReply reply = HttpGet(port_, "/v1/status", kApiTimeout);
  if (reply.status != 200) return nullptr;
  last_status_ = reply.body;
  return reply.body;
}

std::optional<json> TestServer::WaitFor(const std::function<bool(const json&)>& done,
                                        std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    json status = Status();
    if (!status.is_null() && done(status)) return status;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(50ms);
  }
}

json TestServer::Revisions() {
  HttpReply reply = HttpGet(port_, "/v1/revisions", kApiTimeout);
  return reply.status == 200 && reply.body.is_array() ? reply.body : json::array();
}

json TestServer::Events() {
  HttpReply reply = HttpGet(port_, "/v1/events", kApiTimeout);
  return reply.status == 200 && reply.body.is_array() ? reply.body : json::array();
}

bool TestServer::HasEvent(const std::string& type) {
  for (const json& e : Events()) {
    if (e.value("type", "") == type) return true;
  }
  return false;
}

bool TestServer::WaitForEvent(const std::string& type, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (HasEvent(type)) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

CliResult TestServer::RunCli(std::vector<std::string> args, std::chrono::milliseconds deadline) {
  args.insert(args.begin(), CAIRN_BINARY);
  args.push_back("--addr");
  args.push_back(addr());
  return RunProcess(args, deadline);
}

std::string TestServer::ServerLog() const { return ReadWholeFile(data_dir_ + "/server.log"); }

std::string TestServer::Diagnostics() {
  std::ostringstream out;
  out << "--- last status:\n" << last_status_.dump(2) << "\n";
  if (running()) {
    json events = Events();
    out << "--- events:\n";
    size_t first = events.size() > 40 ? events.size() - 40 : 0;
    for (size_t i = first; i < events.size(); ++i) {
      out << events[i].value("type", "") << ": " << events[i].value("message", "") << "\n";
    }
  }
  out << "--- server log (tail):\n" << LastLines(ServerLog(), 30);
  return out.str();
}

}  // namespace cairn::testing
