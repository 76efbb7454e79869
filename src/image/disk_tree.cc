// The LayerTree on disk: every operation is relative to a directory descriptor reached without
// following symlinks (openat_beneath.h); files are created O_EXCL | O_NOFOLLOW.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "image/layer_tree.h"
#include "image/openat_beneath.h"
#include "image/openat_tree.h"

namespace cairn::image::unpack_internal {
namespace {

Error IoError(const std::string& what, int err) {
  return MakeError(ErrorCode::kIo, what + ": " + std::strerror(err));
}

class DiskFile : public TreeFile {
 public:
  explicit DiskFile(UnpackFd fd) : fd_(std::move(fd)) {}

  Status Write(const char* data, size_t size, int64_t offset) override {
    while (size > 0) {
      ssize_t n = pwrite(fd_.get(), data, size, offset);
      if (n < 0) {
        if (errno == EINTR) continue;
        return IoError("cannot write file data", errno);
      }
      data += n;
      size -= static_cast<size_t>(n);
      offset += n;
    }
    return OkStatus();
  }
  Status Truncate(uint64_t size) override {
    if (ftruncate(fd_.get(), static_cast<off_t>(size)) != 0) {
      return IoError("cannot size file", errno);
    }
    return OkStatus();
  }
  Status SetMode(mode_t mode) override {
    if (fchmod(fd_.get(), mode) != 0) return IoError("cannot set file mode", errno);
    return OkStatus();
  }

 private:
  UnpackFd fd_;
};

class DiskDir : public TreeDir {
 public:
  explicit DiskDir(UnpackFd fd) : fd_(std::move(fd)) {}
  int fd() const { return fd_.get(); }

  NodeKind Kind(const std::string& name) override {
    struct stat st {};
    if (fstatat(fd_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return NodeKind::kMissing;
    if (S_ISDIR(st.st_mode)) return NodeKind::kDirectory;
    if (S_ISLNK(st.st_mode)) return NodeKind::kSymlink;
    return NodeKind::kFile;
  }
  Status Remove(const std::string& name) override { return RemoveEntryAt(fd_.get(), name); }
  Status MakeDirectory(const std::string& name, mode_t mode) override {
    if (mkdirat(fd_.get(), name.c_str(), 0700) != 0 && errno != EEXIST) {
      return IoError("cannot create directory", errno);
    }
    int fd = openat(fd_.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return IoError("cannot open the directory just created", errno);
    UnpackFd dir(fd);
    if (fchmod(dir.get(), mode) != 0) return IoError("cannot set directory mode", errno);
    return OkStatus();
  }
  Result<std::unique_ptr<TreeFile>> CreateFile(const std::string& name) override {
    int fd =
        openat(fd_.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return IoError("cannot create file", errno);
    return std::unique_ptr<TreeFile>(new DiskFile(UnpackFd(fd)));
  }
  Status Symlink(const std::string& name, const char* target) override {
    if (symlinkat(target, fd_.get(), name.c_str()) != 0) {
      return IoError("cannot create symlink", errno);
    }
    return OkStatus();
  }
  int Link(TreeDir& target_dir, const std::string& target, const std::string& name) override {
    // One tree hands out one kind of directory (layer_tree.h). Flags 0: a symlink target is
    // linked itself, never followed.
    const int from = static_cast<DiskDir&>(target_dir).fd();
    return linkat(from, target.c_str(), fd_.get(), name.c_str(), 0) == 0 ? 0 : errno;
  }
  Status Clear(const std::function<bool(const std::string&)>& keep) override {
    return ClearDirAt(fd_.get(), keep);
  }

 private:
  UnpackFd fd_;
};

class DiskTree : public LayerTree {
 public:
  explicit DiskTree(int root_fd) : root_fd_(root_fd) {}
  Result<std::unique_ptr<TreeDir>> OpenDir(std::span<const std::string> components,
                                           bool create_missing) override {
    Result<UnpackFd> fd = OpenDirBeneath(root_fd_, components, create_missing);
    if (!fd.ok()) return fd.error();
    return std::unique_ptr<TreeDir>(new DiskDir(std::move(*fd)));
  }

 private:
  int root_fd_;
};

}  // namespace

std::unique_ptr<LayerTree> NewDiskTree(int root_fd) { return std::make_unique<DiskTree>(root_fd); }

}  // namespace cairn::image::unpack_internal
