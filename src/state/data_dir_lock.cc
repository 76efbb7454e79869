#include "state/data_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace cairn::state {
namespace {

std::string Errno(int err) { return std::strerror(err); }

// The pid text the holder wrote, trimmed; empty when unreadable.
std::string ReadHolderPid(int fd) {
  char buf[32];
  ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return {};
  std::string text(buf, static_cast<size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

Result<std::unique_ptr<DataDirLock>> DataDirLock::Acquire(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return MakeError(ErrorCode::kIo, "cannot create data dir: " + ec.message(), data_dir);
  }
  std::string path = data_dir + "/server.lock";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return MakeError(ErrorCode::kIo, "cannot open lock file: " + Errno(errno), path);
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err == EWOULDBLOCK) {
      std::string pid = ReadHolderPid(fd);
      close(fd);
      std::string holder = pid.empty() ? "" : " (pid " + pid + ")";
      return MakeError(ErrorCode::kUnavailable, "data dir " + data_dir +
                                                    " is in use by another cairn server" + holder +
                                                    "; stop it or pass a different --data-dir");
    }
    close(fd);
    return MakeError(ErrorCode::kIo, "cannot lock: " + Errno(err), path);
  }
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 ||
      pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    int err = errno;
    close(fd);
    return MakeError(ErrorCode::kIo, "cannot write pid to lock file: " + Errno(err), path);
  }
  return std::unique_ptr<DataDirLock>(new DataDirLock(fd, std::move(path)));
}

DataDirLock::~DataDirLock() { close(fd_); }

}  // namespace cairn::state
