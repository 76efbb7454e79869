#include "image/openat_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "image/openat_beneath.h"

namespace cairn::image::unpack_internal {
namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

Error IoError(const std::string& what, const std::string& name, int err) {
  return MakeError(ErrorCode::kIo, what + " '" + name + "': " + std::strerror(err));
}

// The names in a directory, read in full before any of them is changed.
Result<std::vector<std::string>> ListNames(int dir_fd) {
  int dup_fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return IoError("cannot dup", ".", errno);
  DIR* dir = fdopendir(dup_fd);
  if (dir == nullptr) {
    int err = errno;
    close(dup_fd);
    return IoError("cannot list", ".", err);
  }
  rewinddir(dir);
  std::vector<std::string> names;
  while (dirent* ent = readdir(dir)) {
    std::string name = ent->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  closedir(dir);
  return names;
}

// Gives the owner rwx on a directory so its entries can be listed and removed.
void MakeOwnerWritable(int dir_fd) {
  struct stat st {};
  if (fstat(dir_fd, &st) == 0 && (st.st_mode & S_IRWXU) != S_IRWXU) {
    fchmod(dir_fd, (st.st_mode & 07777) | S_IRWXU);
  }
}

Status RemoveContents(int dir_fd) {
  MakeOwnerWritable(dir_fd);
  Result<std::vector<std::string>> names = ListNames(dir_fd);
  if (!names.ok()) return names.error();
  for (const std::string& name : *names) {
    if (Status s = RemoveEntryAt(dir_fd, name); !s.ok()) return s;
  }
  return OkStatus();
}

Status ClearDirRelative(int dir_fd, const std::string& prefix,
                        const std::function<bool(const std::string&)>& keep) {
  Result<std::vector<std::string>> names = ListNames(dir_fd);
  if (!names.ok()) return names.error();
  for (const std::string& name : *names) {
    std::string path = prefix.empty() ? name : prefix + "/" + name;
    if (!keep(path)) {
      if (Status s = RemoveEntryAt(dir_fd, name); !s.ok()) return s;
      continue;
    }
    int fd = openat(dir_fd, name.c_str(), kDirFlags);
    if (fd < 0) continue;  // a kept non-directory (ENOTDIR, ELOOP): nothing below it
    UnpackFd child(fd);
    if (Status s = ClearDirRelative(child.get(), path, keep); !s.ok()) return s;
  }
  return OkStatus();
}

}  // namespace

Status RemoveEntryAt(int dir_fd, const std::string& name) {
  struct stat st {};
  if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return OkStatus();
    return IoError("cannot stat", name, errno);
  }
  if (S_ISDIR(st.st_mode)) {
    int fd = openat(dir_fd, name.c_str(), kDirFlags);
    if (fd < 0) return IoError("cannot open", name, errno);
    UnpackFd child(fd);
    if (Status s = RemoveContents(child.get()); !s.ok()) return s;
    if (unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
      return IoError("cannot remove directory", name, errno);
    }
    return OkStatus();
  }
  if (unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
    return IoError("cannot remove", name, errno);
  }
  return OkStatus();
}

Status ClearDirAt(int dir_fd, const std::function<bool(const std::string&)>& keep) {
  return ClearDirRelative(dir_fd, "", keep);
}

Status MakeTreeReadOnlyAt(int dir_fd) {
  Result<std::vector<std::string>> names = ListNames(dir_fd);
  if (!names.ok()) return names.error();
  for (const std::string& name : *names) {
    struct stat st {};
    if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return IoError("cannot stat", name, errno);
    }
    if (S_ISLNK(st.st_mode)) continue;
    if (S_ISDIR(st.st_mode)) {
      int fd = openat(dir_fd, name.c_str(), kDirFlags);
      if (fd < 0) return IoError("cannot open", name, errno);
      UnpackFd child(fd);
      if (Status s = MakeTreeReadOnlyAt(child.get()); !s.ok()) return s;
      continue;
    }
    // Plain fchmodat follows symlinks; the entry was just seen not to be one, and the tree is a
    // private temp directory no other process writes into.
    if ((st.st_mode & 0222) != 0 && fchmodat(dir_fd, name.c_str(), st.st_mode & 07555, 0) != 0) {
      return IoError("cannot make read-only", name, errno);
    }
  }
  // The directory itself last, after everything below it.
  struct stat self {};
  if (fstat(dir_fd, &self) != 0) return IoError("cannot stat", ".", errno);
  if ((self.st_mode & 0222) != 0 && fchmod(dir_fd, self.st_mode & 07555) != 0) {
    return IoError("cannot make read-only", ".", errno);
  }
  return OkStatus();
}

}  // namespace cairn::image::unpack_internal
