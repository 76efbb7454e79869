#include "image/unpack_entry.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <span>

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
Result<std::unique_ptr<TreeDir>> OpenParent(LayerTree& tree, const std::vector<std::string>& path) {
  return tree.OpenDir(ParentOf(path), /*create_missing=*/true);
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
    Result<std::unique_ptr<TreeDir>> opened = tree_.OpenDir(dir, /*create_missing=*/false);
    if (!opened.ok()) {
      return opened.error().code == ErrorCode::kNotFound ? OkStatus() : Status(opened.error());
    }
    std::string prefix = dir.empty() ? "" : JoinLayerPath(dir) + "/";
    return (*opened)->Clear(
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
  Result<std::unique_ptr<TreeDir>> opened = tree_.OpenDir(dir, /*create_missing=*/false);
  if (!opened.ok()) {
    return opened.error().code == ErrorCode::kNotFound ? OkStatus() : Status(opened.error());
  }
  return (*opened)->Remove(target);
}

Status LayerWriter::ApplyDirectory(archive_entry* entry, const std::vector<std::string>& path) {
  if (path.empty()) return OkStatus();  // "./": the root is the caller's, its mode stays
  Result<std::unique_ptr<TreeDir>> parent = OpenParent(tree_, path);
  if (!parent.ok()) return parent.error();
  TreeDir& dir = **parent;
  // A directory merges with an existing one; anything else there is replaced.
  NodeKind existing = dir.Kind(path.back());
  if (existing != NodeKind::kMissing && existing != NodeKind::kDirectory) {
    if (Status s = dir.Remove(path.back()); !s.ok()) return s;
  }
  // Owner rwx while unpacking, so later entries can go inside; see unpack.h.
  mode_t mode = (archive_entry_perm(entry) & kPermMask) | S_IRWXU;
  if (Status s = dir.MakeDirectory(path.back(), mode); !s.ok()) return s;
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
  Result<std::unique_ptr<TreeDir>> parent = OpenParent(tree_, path);
  if (!parent.ok()) return parent.error();
  if (Status s = (*parent)->Remove(path.back()); !s.ok()) return s;
  Result<std::unique_ptr<TreeFile>> created = (*parent)->CreateFile(path.back());
  if (!created.ok()) return created.error();
  TreeFile& file = **created;

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
    if (Status s = file.Write(static_cast<const char*>(buf), size, offset); !s.ok()) return s;
  }
  if (archive_entry_size_is_set(entry)) {
    uint64_t size = static_cast<uint64_t>(archive_entry_size(entry));
    if (size > counted_end) {
      if (Status s = CountBytes(size - counted_end); !s.ok()) return s;
      if (Status s = file.Truncate(size); !s.ok()) return s;
    }
  }
  if (Status s = file.SetMode(archive_entry_perm(entry) & kPermMask); !s.ok()) return s;
  MarkWritten(path);
  return OkStatus();
}

Status LayerWriter::ApplySymlink(archive_entry* entry, const std::vector<std::string>& path) {
  if (path.empty()) return Refused("a symlink cannot replace the root directory");
  const char* target = archive_entry_symlink(entry);
  if (target == nullptr || *target == '\0') return Refused("symlink has an empty target");
  if (std::strlen(target) >= PATH_MAX) return Refused("symlink target is over PATH_MAX");
  Result<std::unique_ptr<TreeDir>> parent = OpenParent(tree_, path);
  if (!parent.ok()) return parent.error();
  if (Status s = (*parent)->Remove(path.back()); !s.ok()) return s;
  if (Status s = (*parent)->Symlink(path.back(), target); !s.ok()) return s;
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
  Result<std::unique_ptr<TreeDir>> target_dir = tree_.OpenDir(ParentOf(*target), false);
  if (!target_dir.ok()) {
    if (target_dir.error().code == ErrorCode::kNotFound) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "hardlink target '" + shown + "' is not in the tree");
    }
    return Refused("hardlink target '" + shown + "' is refused: " + target_dir.error().message);
  }
  NodeKind target_kind = (*target_dir)->Kind(target->back());
  if (target_kind == NodeKind::kMissing) {
    return Refused("hardlink target '" + shown + "' is not in the tree");
  }
  if (target_kind == NodeKind::kDirectory) {
    return Refused("hardlink target '" + shown + "' is a directory");
  }
  Result<std::unique_ptr<TreeDir>> parent = OpenParent(tree_, path);
  if (!parent.ok()) return parent.error();
  if (Status s = (*parent)->Remove(path.back()); !s.ok()) return s;
  if (int err = (*parent)->Link(**target_dir, target->back(), path.back()); err != 0) {
    return IoError("cannot create hardlink to '" + shown + "'", err);
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
