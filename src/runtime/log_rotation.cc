#include "runtime/log_rotation.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace cairn::runtime {
namespace {

Error IoError(const std::string& what, const std::string& path) {
  return MakeError(ErrorCode::kIo, what + ": " + strerror(errno), path);
}

std::string Numbered(const std::string& path, int n) { return path + "." + std::to_string(n); }

// Copies the whole of `from_fd` to a new file `to` (via a temporary, so `to` is never half
// written).
Status CopyTo(int from_fd, const std::string& to) {
  std::string tmp = to + ".tmp";
  int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) return IoError("cannot create rotated log", tmp);
  char buf[64 * 1024];
  off_t offset = 0;
  for (;;) {
    ssize_t n = ::pread(from_fd, buf, sizeof buf, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Error error = IoError("cannot read log", to);
      ::close(out);
      return error;
    }
    if (n == 0) break;
    offset += n;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out, buf + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        Error error = IoError("cannot write rotated log", tmp);
        ::close(out);
        return error;
      }
      done += w;
    }
  }
  if (::close(out) < 0) return IoError("cannot write rotated log", tmp);
  if (std::rename(tmp.c_str(), to.c_str()) != 0) return IoError("cannot rename rotated log", to);
  return OkStatus();
}

}  // namespace

Status RotateLogIfLarger(const std::string& path, uint64_t max_bytes, int keep) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return OkStatus();
    return IoError("cannot open log", path);
  }
  struct stat st;
  if (::fstat(fd, &st) < 0) {
    Error error = IoError("cannot stat log", path);
    ::close(fd);
    return error;
  }
  if (static_cast<uint64_t>(st.st_size) <= max_bytes) {
    ::close(fd);
    return OkStatus();
  }
  if (keep > 0) {
    for (int n = keep - 1; n >= 1; --n) {
      if (std::rename(Numbered(path, n).c_str(), Numbered(path, n + 1).c_str()) != 0 &&
          errno != ENOENT) {
        Error error = IoError("cannot shift rotated log", Numbered(path, n));
        ::close(fd);
        return error;
      }
    }
    Status copied = CopyTo(fd, Numbered(path, 1));
    if (!copied.ok()) {
      ::close(fd);
      return copied;
    }
  }
  if (::ftruncate(fd, 0) < 0) {
    Error error = IoError("cannot truncate log", path);
    ::close(fd);
    return error;
  }
  ::close(fd);
  return OkStatus();
}

}  // namespace cairn::runtime
