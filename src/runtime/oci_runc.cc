#include "runtime/oci_runc.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>

#include "runtime/spawn.h"

namespace cairn::runtime {
namespace {

int WaitFor(int pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// runc's words for "there is nothing to signal or delete", which Kill and Delete accept.
bool IsAlreadyGone(const std::string& output) {
  return output.find("not running") != std::string::npos ||
         output.find("does not exist") != std::string::npos ||
         output.find("container not exist") != std::string::npos;
}

}  // namespace

Result<ToolResult> RunTool(const std::vector<std::string>& argv,
                           std::chrono::milliseconds timeout) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) {
    return MakeError(ErrorCode::kIo, std::string("cannot make a pipe: ") + strerror(errno));
  }
  SpawnOptions options;
  options.argv = argv;
  options.env = BaseEnvironment();
  options.output_fd = fds[1];
  auto pid = Spawn(options);
  ::close(fds[1]);
  if (!pid.ok()) {
    ::close(fds[0]);
    return pid.error();
  }

  ToolResult result;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  bool timed_out = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{fds[0], POLLIN, 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      timed_out = ready == 0;
      break;
    }
    ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the command (and anything holding its output) is done
    result.output.append(buffer, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  if (timed_out) {
    ::kill(-*pid, SIGKILL);
    WaitFor(*pid);
    return MakeError(ErrorCode::kUnavailable, "\"" + argv[0] + "\" did not finish within " +
                                                  std::to_string(timeout.count()) + " ms");
  }
  result.exit_code = WaitFor(*pid);
  return result;
}

std::vector<std::string> RuncCli::RunArgv(const std::string& id, const std::string& bundle,
                                          const std::string& pid_file,
                                          const std::string& log_file) const {
  return {runc_,      "--root", root_,        "--log",  log_file, "--log-format", "json", "run",
          "--bundle", bundle,   "--pid-file", pid_file, id};
}

Result<ToolResult> RuncCli::Run(std::vector<std::string> args) const {
  std::vector<std::string> argv = {runc_, "--root", root_};
  argv.insert(argv.end(), args.begin(), args.end());
  // runc's own calls finish in milliseconds; a generous bound only guards against a hang.
  return RunTool(argv, std::chrono::seconds(10));
}

Status RuncCli::Kill(const std::string& id, const std::string& signal) const {
  auto result = Run({"kill", id, signal});
  if (!result.ok()) return result.error();
  if (result->exit_code == 0 || IsAlreadyGone(result->output)) return OkStatus();
  return MakeError(ErrorCode::kIo, "runc kill " + signal + " failed: " + Trim(result->output), id);
}

Status RuncCli::Delete(const std::string& id) const {
  auto result = Run({"delete", "--force", id});
  if (!result.ok()) return result.error();
  if (result->exit_code == 0 || IsAlreadyGone(result->output)) return OkStatus();
  return MakeError(ErrorCode::kIo, "runc delete failed: " + Trim(result->output), id);
}

Result<std::string> RuncCli::Version() const {
  auto result = RunTool({runc_, "--version"}, std::chrono::seconds(10));
  if (!result.ok()) return result.error();
  if (result->exit_code != 0) {
    return MakeError(ErrorCode::kUnavailable,
                     "\"" + runc_ + " --version\" failed: " + Trim(result->output));
  }
  return result->output.substr(0, result->output.find('\n'));
}

std::string LastRuncError(const std::string& log_text) {
  std::istringstream in(log_text);
  std::string line;
  std::string last_error;
  std::string last_line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    last_line = line;
    auto entry = nlohmann::json::parse(line, nullptr, false);
    if (!entry.is_object()) continue;
    auto level = entry.value("level", "");
    if ((level == "error" || level == "fatal") && entry.contains("msg") &&
        entry["msg"].is_string()) {
      last_error = entry["msg"].get<std::string>();
    }
  }
  return last_error.empty() ? last_line : last_error;
}

Result<std::string> ContainerIdFromCmdline(const std::string& cmdline, const std::string& root) {
  std::vector<std::string> args;
  size_t begin = 0;
  while (begin < cmdline.size()) {
    size_t end = cmdline.find('\0', begin);
    if (end == std::string::npos) end = cmdline.size();
    args.push_back(cmdline.substr(begin, end - begin));
    begin = end + 1;
  }
  bool has_root = false;
  bool has_run = false;
  for (size_t i = 1; i + 1 < args.size(); ++i) {
    if (args[i] == "--root" && args[i + 1] == root) has_root = true;
    if (args[i] == "run") has_run = true;
  }
  if (!has_root || !has_run) {
    return MakeError(ErrorCode::kNotFound, "not a runc supervisor of state root " + root);
  }
  return args.back();
}

}  // namespace cairn::runtime
