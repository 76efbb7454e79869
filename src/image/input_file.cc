#include "image/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "image/file_util.h"

namespace cairn::image {
namespace {

constexpr std::string_view kNoLinks = "; import does not follow links inside a layout";

Error NotRegular(const std::string& shown, mode_t mode) {
  return MakeError(ErrorCode::kInvalidArgument,
                   shown + " is " + std::string(FileKindName(mode)) + ", not a regular file",
                   shown);
}

// Whatever an open(2) of `shown` failed with, worded by what is there (a link, not a directory).
Error OpenFailure(int dir_fd, const std::string& name, const std::string& shown, int err,
                  bool want_dir) {
  if (err == ELOOP || err == ENOTDIR) {
    struct stat st {};
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISLNK(st.st_mode)) {
        return MakeError(ErrorCode::kInvalidArgument,
                         shown + " is a symbolic link" + std::string(kNoLinks), shown);
      }
      if (want_dir && !S_ISDIR(st.st_mode)) {
        return MakeError(
            ErrorCode::kInvalidArgument,
            shown + " is " + std::string(FileKindName(st.st_mode)) + ", not a directory", shown);
      }
    }
  }
  return IoError("open", shown, err);
}

Status CheckRegular(int fd, const std::string& shown) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return IoError("fstat", shown, errno);
  if (!S_ISREG(st.st_mode)) return NotRegular(shown, st.st_mode);
  return OkStatus();
}

}  // namespace

std::string_view FileKindName(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "a special file";
}

Result<UnpackFd> OpenInputPath(const std::string& path) {
  UnpackFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) return IoError("import source", path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return IoError("fstat", path, errno);
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     path + " is " + std::string(FileKindName(st.st_mode)) +
                         "; cairn imports OCI layouts (directories), OCI archives and docker "
                         "archives (files)",
                     path);
  }
  return fd;
}

Result<UnpackFd> OpenInputFileAt(int dir_fd, std::string_view relative, const std::string& shown) {
  std::vector<std::string> parts;
  for (size_t start = 0; start <= relative.size();) {
    size_t slash = relative.find('/', start);
    if (slash == std::string_view::npos) slash = relative.size();
    parts.emplace_back(relative.substr(start, slash - start));
    start = slash + 1;
  }
  // `shown` ends with `relative`; a parent is named by cutting it after that component.
  const size_t base = shown.size() - relative.size();
  UnpackFd current(::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0));
  if (!current.valid()) return IoError("dup", shown, errno);
  size_t offset = 0;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    offset += parts[i].size() + (i > 0 ? 1 : 0);
    const std::string where = shown.substr(0, base + offset);
    int fd =
        ::openat(current.get(), parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return OpenFailure(current.get(), parts[i], where, errno, /*want_dir=*/true);
    current = UnpackFd(fd);
  }
  UnpackFd file(::openat(current.get(), parts.back().c_str(),
                         O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!file.valid()) return OpenFailure(current.get(), parts.back(), shown, errno, false);
  if (Status s = CheckRegular(file.get(), shown); !s) return s.error();
  return file;
}

Result<UnpackFd> OpenInputFileNoFollow(const std::string& path) {
  UnpackFd file(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!file.valid()) {
    if (errno == ELOOP) {
      return MakeError(ErrorCode::kInvalidArgument,
                       path + " is a symbolic link where a regular file was expected", path);
    }
    return IoError("open", path, errno);
  }
  if (Status s = CheckRegular(file.get(), path); !s) return s.error();
  return file;
}

Result<std::string> ReadInputFile(int fd, const std::string& shown, uint64_t cap) {
  auto too_big = [&] {
    return MakeError(ErrorCode::kInvalidArgument,
                     "is over the " + std::to_string(cap) + "-byte cap for image metadata", shown);
  };
  struct stat st {};
  if (::fstat(fd, &st) != 0) return IoError("fstat", shown, errno);
  if (static_cast<uint64_t>(st.st_size) > cap) return too_big();
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("read", shown, errno);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > cap) return too_big();  // the file grew after the fstat
  }
  return out;
}

}  // namespace cairn::image
