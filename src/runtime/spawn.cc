#include "runtime/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace cairn::runtime {
namespace {

constexpr char kDefaultPath[] = "/usr/local/bin:/usr/bin:/bin";

// What the child writes to the error pipe when a step before or at execve fails.
struct ChildFailure {
  int step;  // one of the kStep constants
  int error;
};
constexpr int kStepStdio = 1;
constexpr int kStepChdir = 2;
constexpr int kStepExec = 3;

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// A descriptor >= 3 with FD_CLOEXEC, so dup2 onto 0-2 in the child never aliases it.
int DupHigh(int fd) { return ::fcntl(fd, F_DUPFD_CLOEXEC, 3); }

class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

[[noreturn]] void ChildFail(int pipe_fd, int step) {
  ChildFailure failure{step, errno};
  ssize_t n;
  do {
    n = ::write(pipe_fd, &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  ::_exit(127);
}

// Runs in the child between fork and execve: async-signal-safe calls only.
[[noreturn]] void RunChild(int null_fd, int out_fd, int pipe_fd, const char* workdir,
                           const char* file, char* const* argv, char* const* envp) {
  ::setsid();
  if (::dup2(null_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(out_fd, 2) < 0) {
    ChildFail(pipe_fd, kStepStdio);
  }
  if (workdir != nullptr && ::chdir(workdir) < 0) ChildFail(pipe_fd, kStepChdir);
  // Everything above 2 closes at execve; the error pipe stays usable until then.
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
    long max_fd = ::sysconf(_SC_OPEN_MAX);
    for (int fd = 3; fd < (max_fd > 0 ? max_fd : 1024); ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(file, argv, envp);
  ChildFail(pipe_fd, kStepExec);
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

std::map<std::string, std::string> BaseEnvironment() {
  std::map<std::string, std::string> env;
  const char* path = std::getenv("PATH");
  env["PATH"] = path != nullptr && *path != '\0' ? path : kDefaultPath;
  for (const char* name : {"HOME", "LANG"}) {
    if (const char* value = std::getenv(name)) env[name] = value;
  }
  return env;
}

Result<std::string> ResolveCommand(const std::string& command, const std::string& path_list,
                                   const std::string& workdir) {
  if (command.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "empty command");
  }
  if (command.find('/') != std::string::npos) {
    std::string path = command;
    if (command[0] != '/' && !workdir.empty()) path = workdir + "/" + command;
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      return MakeError(ErrorCode::kInvalidArgument, "command \"" + command + "\" does not exist");
    }
    if (!S_ISREG(st.st_mode) || ::access(path.c_str(), X_OK) != 0) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "command \"" + command + "\" is not an executable file");
    }
    return command;  // execve runs after chdir(workdir), so keep it relative
  }
  std::string list = path_list.empty() ? kDefaultPath : path_list;
  size_t begin = 0;
  while (begin <= list.size()) {
    size_t end = list.find(':', begin);
    if (end == std::string::npos) end = list.size();
    std::string dir = list.substr(begin, end - begin);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + command;
    if (IsExecutableFile(candidate)) return candidate;
    begin = end + 1;
  }
  return MakeError(ErrorCode::kInvalidArgument, "command \"" + command + "\" not found in PATH");
}

Result<int> Spawn(const SpawnOptions& options) {
  if (options.argv.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "empty command");
  }
  auto path_it = options.env.find("PATH");
  auto file = ResolveCommand(options.argv[0],
                             path_it == options.env.end() ? std::string() : path_it->second,
                             options.workdir);
  if (!file.ok()) return file.error();

  // Everything the child needs is built before fork: it may not allocate.
  std::vector<std::string> argv_storage = options.argv;
  std::vector<std::string> env_storage;
  for (const auto& [key, value] : options.env) env_storage.push_back(key + "=" + value);
  std::vector<char*> argv = CStrings(argv_storage);
  std::vector<char*> envp = CStrings(env_storage);
  const char* workdir = options.workdir.empty() ? nullptr : options.workdir.c_str();

  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) {
    return MakeError(ErrorCode::kIo, std::string("cannot open /dev/null: ") + strerror(errno));
  }
  FdCloser null_closer(null_fd);
  int high_null = DupHigh(null_fd);
  FdCloser high_null_closer(high_null);
  int out_fd = DupHigh(options.output_fd >= 0 ? options.output_fd : null_fd);
  FdCloser out_closer(out_fd);
  int pipe_fds[2];
  if (high_null < 0 || out_fd < 0 || ::pipe2(pipe_fds, O_CLOEXEC) < 0) {
    return MakeError(ErrorCode::kIo, std::string("cannot set up the child: ") + strerror(errno));
  }

  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return MakeError(ErrorCode::kUnavailable, std::string("fork failed: ") + strerror(err));
  }
  if (pid == 0) {
    ::close(pipe_fds[0]);
    RunChild(high_null, out_fd, pipe_fds[1], workdir, file->c_str(), argv.data(), envp.data());
  }

  ::close(pipe_fds[1]);
  ChildFailure failure{};
  ssize_t n;
  do {
    n = ::read(pipe_fds[0], &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  ::close(pipe_fds[0]);
  if (n <= 0) return pid;  // the pipe closed at execve: the command is running

  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string reason = strerror(failure.error);
  switch (failure.step) {
    case kStepChdir:
      return MakeError(ErrorCode::kInvalidArgument,
                       "cannot change to working directory \"" + options.workdir + "\": " + reason);
    case kStepExec:
      return MakeError(ErrorCode::kInvalidArgument, "cannot execute \"" + *file + "\": " + reason);
    default:
      return MakeError(ErrorCode::kIo, "cannot set up the child's output: " + reason);
  }
}

}  // namespace cairn::runtime
