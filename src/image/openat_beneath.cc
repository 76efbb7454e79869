#include "image/openat_beneath.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace cairn::image::unpack_internal {
namespace {

// Cleared the first time the kernel (or a seccomp filter) says openat2 is not there.
std::atomic<bool> openat2_enabled{true};

std::string Prefix(std::span<const std::string> components, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) out.push_back('/');
    out += components[i];
  }
  return out;
}

// One openat2 call for the whole path. Returns -1 whenever the walk below should decide.
int TryOpenat2(int root_fd, std::span<const std::string> components) {
  if (components.empty() || !openat2_enabled.load(std::memory_order_relaxed)) return -1;
  std::string path = Prefix(components, components.size());
  open_how how{};
  how.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd = syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof(how));
  if (fd >= 0) return static_cast<int>(fd);
  if (errno == ENOSYS || errno == EPERM || errno == E2BIG || errno == EINVAL) {
    openat2_enabled.store(false, std::memory_order_relaxed);
  }
  return -1;
}

Error ComponentError(int dir_fd, std::span<const std::string> components, size_t index, int err) {
  if (err == ELOOP || err == ENOTDIR) {
    struct stat st {};
    bool symlink = fstatat(dir_fd, components[index].c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                   S_ISLNK(st.st_mode);
    return DescribeWalkFailure(components, index,
                               symlink ? WalkFailure::kSymlink : WalkFailure::kNotDirectory);
  }
  if (err == ENOENT) return DescribeWalkFailure(components, index, WalkFailure::kMissing);
  return MakeError(ErrorCode::kIo,
                   "cannot open '" + Prefix(components, index + 1) + "': " + std::strerror(err));
}

}  // namespace

UnpackFd::~UnpackFd() {
  if (fd_ >= 0) close(fd_);
}

UnpackFd& UnpackFd::operator=(UnpackFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.release();
  }
  return *this;
}

Error DescribeWalkFailure(std::span<const std::string> components, size_t index,
                          WalkFailure failure) {
  std::string where = Prefix(components, index + 1);
  switch (failure) {
    case WalkFailure::kSymlink:
      return MakeError(ErrorCode::kInvalidArgument,
                       "'" + where + "' is a symbolic link; writing through it is refused");
    case WalkFailure::kNotDirectory:
      return MakeError(ErrorCode::kInvalidArgument, "'" + where + "' is not a directory");
    case WalkFailure::kMissing:
      break;
  }
  return MakeError(ErrorCode::kNotFound, "'" + where + "' does not exist");
}

void SetUnpackOpenat2EnabledForTesting(bool enabled) { openat2_enabled.store(enabled); }

Result<UnpackFd> OpenDirBeneath(int root_fd, std::span<const std::string> components,
                                bool create_missing) {
  if (int fd = TryOpenat2(root_fd, components); fd >= 0) return UnpackFd(fd);

  // The component walk: every step is relative to a descriptor we hold and refuses symlinks, so
  // nothing that changes in the tree meanwhile can move the walk outside the root.
  constexpr int kFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  UnpackFd current(fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
  if (!current.valid()) {
    return MakeError(ErrorCode::kIo, std::string("cannot dup the root: ") + std::strerror(errno));
  }
  for (size_t i = 0; i < components.size(); ++i) {
    const char* name = components[i].c_str();
    int fd = openat(current.get(), name, kFlags);
    if (fd < 0 && errno == ENOENT && create_missing) {
      if (mkdirat(current.get(), name, 0755) != 0 && errno != EEXIST) {
        return ComponentError(current.get(), components, i, errno);
      }
      fd = openat(current.get(), name, kFlags);
    }
    if (fd < 0) return ComponentError(current.get(), components, i, errno);
    current = UnpackFd(fd);
  }
  return current;
}

Result<UnpackFd> OpenDirectory(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    return MakeError(ErrorCode::kIo, std::string("cannot open directory: ") + std::strerror(errno),
                     path);
  }
  return UnpackFd(fd);
}

}  // namespace cairn::image::unpack_internal
