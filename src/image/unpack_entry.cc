#include "image/unpack_entry.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <span>

#include "image/openat_beneath.h"
#include "image/openat_tree.h"
#include "image/safe_path.h"

namespace cairn::image::unpack_internal {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr std::string_view kAufsMetaPrefix = ".wh..wh.";
// Permission bits kept from an entry: setuid, setgid and sticky are stripped (see unpack.h).
constexpr mode_t kPermMask = 0777;

Error Refused(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

Error IoError(const std::string& what, int err) {
  return MakeError(ErrorCode::kIo, what + ": " + std::strerror(err));
}

Error ArchiveError(archive* a) {
  const char* text = archive_error_string(a);
  return Refused(std::string("cannot read the layer: ") +
                 (text ? text : "unknown libarchive error"));
}

std::span<const std::string> ParentOf(const std::vector<std::string>& path) {
  return std::span<const std::string>(path.data(), path.size() - 1);
}

// Opens path's parent directory, creating missing ones, refusing symlinks on the way.
Result<UnpackFd> OpenParent(int root_fd, const std::vector<std::string>& path) {
  return OpenDirBeneath(root_fd, ParentOf(path), /*create_missing=*/true);
}

Status WriteAll(int fd, const char* data, size_t size, int64_t offset) {
  while (size > 0) {
    ssize_t n = pwrite(fd, data, size, offset);
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

}  // namespace

Status LayerWriter::Apply(archive* a, archive_entry* entry, const std::vector<std::string>& path) {
  Status status;
  if (!path.empty() && path.back().starts_with(kWhiteoutPrefix)) {
    status = ApplyWhiteout(path);
  } else if (archive_entry_hardlink(entry) != nullptr) {
    status = ApplyHardlink(entry, path);
  } else {
    switch (archive_entry_filetype(entry)) {
      case AE_IFDIR:
        status = ApplyDirectory(entry, path);
        break;
      case AE_IFREG:
        status = ApplyFile(a, entry, path);
        break;
      case AE_IFLNK:
        status = ApplySymlink(entry, path);
        break;
      case AE_IFCHR:
      case AE_IFBLK:
        return Refused("device nodes are not allowed in a layer");
      case AE_IFIFO:
        return Refused("FIFOs are not allowed in a layer");
      case AE_IFSOCK:
        return Refused("sockets are not allowed in a layer");
      default:
        return Refused("entry has an unknown file type");
    }
  }
  if (!status.ok()) return status;
  return Drain(a);
}

Status LayerWriter::ApplyWhiteout(const std::vector<std::string>& path) {
  const std::string& base = path.back();
  std::vector<std::string> dir(path.begin(), path.end() - 1);
  if (base == kOpaqueMarker) {
    Result<UnpackFd> fd = OpenDirBeneath(root_fd_, dir, /*create_missing=*/false);
    if (!fd.ok()) {
      return fd.error().code == ErrorCode::kNotFound ? OkStatus() : Status(fd.error());
    }
    std::string prefix = dir.empty() ? "" : JoinLayerPath(dir) + "/";
    return ClearDirAt(fd->get(),
                      [&](const std::string& rel) { return written_.contains(prefix + rel); });
  }
  if (base.starts_with(kAufsMetaPrefix)) return OkStatus();  // aufs bookkeeping, not content

  std::string target = base.substr(kWhiteoutPrefix.size());
  if (target.empty() || target == "." || target == "..") {
    return Refused("whiteout names no entry it could remove ('" + base + "')");
  }
  std::vector<std::string> hidden = dir;
  hidden.push_back(target);
  if (written_.contains(JoinLayerPath(hidden))) return OkStatus();  // hides lower layers only
  Result<UnpackFd> fd = OpenDirBeneath(root_fd_, dir, /*create_missing=*/false);
  if (!fd.ok()) {
    return fd.error().code == ErrorCode::kNotFound ? OkStatus() : Status(fd.error());
  }
  return RemoveEntryAt(fd->get(), target);
}

Status LayerWriter::ApplyDirectory(archive_entry* entry, const std::vector<std::string>& path) {
  if (path.empty()) return OkStatus();  // "./": the root is the caller's, its mode stays
  Result<UnpackFd> parent = OpenParent(root_fd_, path);
  if (!parent.ok()) return parent.error();
  const char* name = path.back().c_str();
  struct stat st {};
  if (fstatat(parent->get(), name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      if (Status s = RemoveEntryAt(parent->get(), path.back()); !s.ok()) return s;
    }
  }
  if (mkdirat(parent->get(), name, 0700) != 0 && errno != EEXIST) {
    return IoError("cannot create directory", errno);
  }
  int fd = openat(parent->get(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open the directory just created", errno);
  UnpackFd dir(fd);
  // Owner rwx while unpacking, so later entries can go inside; see unpack.h.
  mode_t mode = (archive_entry_perm(entry) & kPermMask) | S_IRWXU;
  if (fchmod(dir.get(), mode) != 0) return IoError("cannot set directory mode", errno);
  MarkWritten(path);
  return OkStatus();
}

Status LayerWriter::ApplyFile(archive* a, archive_entry* entry,
                              const std::vector<std::string>& path) {
  if (path.empty()) return Refused("a file cannot replace the root directory");
  if (archive_entry_size_is_set(entry) && archive_entry_size(entry) > 0) {
    uint64_t size = static_cast<uint64_t>(archive_entry_size(entry));
    if (stats_->bytes + size > limits_.max_bytes) return CountBytes(size);
  }
  Result<UnpackFd> parent = OpenParent(root_fd_, path);
  if (!parent.ok()) return parent.error();
  if (Status s = RemoveEntryAt(parent->get(), path.back()); !s.ok()) return s;
  int raw = openat(parent->get(), path.back().c_str(),
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (raw < 0) return IoError("cannot create file", errno);
  UnpackFd file(raw);

  // Counted by logical end, so a sparse hole counts too: a size cap is a disk-use cap only if
  // it also bounds what later copies of the file would take.
  uint64_t counted_end = 0;
  for (;;) {
    const void* buf = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int r = archive_read_data_block(a, &buf, &size, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return ArchiveError(a);
    uint64_t end = static_cast<uint64_t>(offset) + size;
    if (end > counted_end) {
      if (Status s = CountBytes(end - counted_end); !s.ok()) return s;
      counted_end = end;
    }
    if (Status s = WriteAll(file.get(), static_cast<const char*>(buf), size, offset); !s.ok()) {
      return s;
    }
  }
  if (archive_entry_size_is_set(entry)) {
    uint64_t size = static_cast<uint64_t>(archive_entry_size(entry));
    if (size > counted_end) {
      if (Status s = CountBytes(size - counted_end); !s.ok()) return s;
      if (ftruncate(file.get(), static_cast<off_t>(size)) != 0) {
        return IoError("cannot size file", errno);
      }
    }
  }
  if (fchmod(file.get(), archive_entry_perm(entry) & kPermMask) != 0) {
    return IoError("cannot set file mode", errno);
  }
  MarkWritten(path);
  return OkStatus();
}

Status LayerWriter::ApplySymlink(archive_entry* entry, const std::vector<std::string>& path) {
  if (path.empty()) return Refused("a symlink cannot replace the root directory");
  const char* target = archive_entry_symlink(entry);
  if (target == nullptr || *target == '\0') return Refused("symlink has an empty target");
  if (std::strlen(target) >= PATH_MAX) return Refused("symlink target is over PATH_MAX");
  Result<UnpackFd> parent = OpenParent(root_fd_, path);
  if (!parent.ok()) return parent.error();
  if (Status s = RemoveEntryAt(parent->get(), path.back()); !s.ok()) return s;
  if (symlinkat(target, parent->get(), path.back().c_str()) != 0) {
    return IoError("cannot create symlink", errno);
  }
  MarkWritten(path);
  return OkStatus();
}

Status LayerWriter::ApplyHardlink(archive_entry* entry, const std::vector<std::string>& path) {
  if (path.empty()) return Refused("a hardlink cannot replace the root directory");
  std::string raw_target = archive_entry_hardlink(entry);
  Result<std::vector<std::string>> target = SplitLayerPath(raw_target);
  if (!target.ok()) {
    return Refused("hardlink target '" + raw_target + "' is refused: " + target.error().message);
  }
  if (target->empty()) return Refused("hardlink target is the root directory");
  if (*target == path) return Refused("hardlink points at itself");
  if (static_cast<int>(target->size()) > limits_.max_depth) {
    return Refused("hardlink target is deeper than the depth cap");
  }
  std::string shown = JoinLayerPath(*target);
  Result<UnpackFd> target_dir = OpenDirBeneath(root_fd_, ParentOf(*target), false);
  if (!target_dir.ok()) {
    if (target_dir.error().code == ErrorCode::kNotFound) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "hardlink target '" + shown + "' is not in the tree");
    }
    return Refused("hardlink target '" + shown + "' is refused: " + target_dir.error().message);
  }
  struct stat st {};
  if (fstatat(target_dir->get(), target->back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return Refused("hardlink target '" + shown + "' is not in the tree");
  }
  if (S_ISDIR(st.st_mode)) return Refused("hardlink target '" + shown + "' is a directory");
  Result<UnpackFd> parent = OpenParent(root_fd_, path);
  if (!parent.ok()) return parent.error();
  if (Status s = RemoveEntryAt(parent->get(), path.back()); !s.ok()) return s;
  // Flags 0: a symlink target is linked itself, never followed.
  if (linkat(target_dir->get(), target->back().c_str(), parent->get(), path.back().c_str(), 0) !=
      0) {
    return IoError("cannot create hardlink to '" + shown + "'", errno);
  }
  MarkWritten(path);
  return OkStatus();
}

Status LayerWriter::CountBytes(uint64_t n) {
  if (stats_->bytes + n > limits_.max_bytes) {
    return Refused("layer expands past the cap of " + std::to_string(limits_.max_bytes) +
                   " uncompressed bytes (a decompression bomb, or an image over max_bytes)");
  }
  stats_->bytes += n;
  return OkStatus();
}

Status LayerWriter::Drain(archive* a) {
  for (;;) {
    const void* buf = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int r = archive_read_data_block(a, &buf, &size, &offset);
    if (r == ARCHIVE_EOF) return OkStatus();
    if (r < ARCHIVE_WARN) return ArchiveError(a);
    if (Status s = CountBytes(size); !s.ok()) return s;
  }
}

void LayerWriter::MarkWritten(const std::vector<std::string>& path) {
  std::string prefix;
  for (const std::string& part : path) {
    if (!prefix.empty()) prefix.push_back('/');
    prefix += part;
    written_.insert(prefix);
  }
}

}  // namespace cairn::image::unpack_internal
