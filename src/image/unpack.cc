#include "image/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "image/layer_tree.h"
#include "image/openat_beneath.h"
#include "image/safe_path.h"
#include "image/sha256_stream.h"
#include "image/unpack_entry.h"

namespace cairn::image {
namespace {

using unpack_internal::SplitLayerPath;

// Entry names in error context are cut here: a hostile name may be thousands of bytes long.
constexpr size_t kMaxShownName = 160;
constexpr size_t kReadBlock = 64 * 1024;

struct ArchiveCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveCloser>;

std::string Context(const UnpackSource& layer, std::string_view entry) {
  std::string out = "layer " + layer.name;
  if (entry.data() != nullptr) {
    std::string shown(entry.substr(0, kMaxShownName));
    if (entry.size() > kMaxShownName) shown += "...";
    out += ", entry '" + shown + "'";
  }
  return out;
}

Error WithContext(Error error, const UnpackSource& layer, std::string_view entry) {
  error.context = Context(layer, entry);
  return error;
}

// When the caller wants the diff_id, the tar is not read from the layer itself but from a second
// archive in raw format that decompresses it: every uncompressed byte then passes through
// HashTap on its way to the tar reader and is hashed once, in the same single read of the layer.
struct HashTap {
  archive* raw = nullptr;
  Sha256Stream hash;
  std::vector<char> buffer = std::vector<char>(kReadBlock);
};

la_ssize_t TapRead(archive* tar, void* context, const void** out) {
  auto* tap = static_cast<HashTap*>(context);
  la_ssize_t n = archive_read_data(tap->raw, tap->buffer.data(), tap->buffer.size());
  if (n < 0) {
    const char* text = archive_error_string(tap->raw);
    archive_set_error(tar, EIO, "%s", text ? text : "cannot decompress");
    return -1;
  }
  tap->hash.Update(tap->buffer.data(), static_cast<size_t>(n));
  *out = tap->buffer.data();
  return n;
}

// An open layer. The descriptor (for a File source) outlives the archives reading it.
struct Reader {
  unpack_internal::UnpackFd file;
  ArchivePtr raw;  // set when hashing: the decompressed stream
  std::unique_ptr<HashTap> tap;
  ArchivePtr archive;  // the tar
};

Error CannotRead(archive* a, const UnpackSource& layer) {
  const char* text = archive_error_string(a);
  return MakeError(ErrorCode::kInvalidArgument,
                   std::string("cannot read the layer: ") + (text ? text : "?"),
                   "layer " + layer.name);
}

// Enables the one filter `compression` names. ARCHIVE_WARN means libarchive would run an
// external program: refused, it is not built in.
Status SupportFilter(archive* a, LayerCompression compression, const UnpackSource& layer) {
  int r = ARCHIVE_OK;
  switch (compression) {
    case LayerCompression::kNone:
      break;
    case LayerCompression::kGzip:
      r = archive_read_support_filter_gzip(a);
      break;
    case LayerCompression::kZstd:
      r = archive_read_support_filter_zstd(a);
      break;
  }
  if (r != ARCHIVE_OK) {
    return MakeError(ErrorCode::kUnavailable,
                     "this libarchive cannot decompress the layer in-process",
                     "layer " + layer.name);
  }
  return OkStatus();
}

// Opens `a` on the layer's bytes, as the source says where they are.
int OpenSource(archive* a, const UnpackSource& layer, int file_fd) {
  switch (layer.kind) {
    case UnpackSource::Kind::kFile:
      return archive_read_open_fd(a, file_fd, kReadBlock);
    case UnpackSource::Kind::kFd:
      return archive_read_open_fd(a, layer.fd, kReadBlock);
    case UnpackSource::Kind::kMemory:
      return archive_read_open_memory(a, layer.bytes.data(), layer.bytes.size());
  }
  return ARCHIVE_FATAL;
}

// Only the filter the media type names is enabled: libarchive then reads exactly that, and a
// mislabelled layer fails instead of being guessed at. With `hash`, the tar is read through a
// HashTap (see above).
Result<Reader> OpenReader(const UnpackSource& layer, LayerCompression compression, bool hash) {
  Reader reader;
  if (layer.kind == UnpackSource::Kind::kFile) {
    // Opened here, not by libarchive, so a missing file is told apart from a malformed one.
    reader.file = unpack_internal::UnpackFd(open(layer.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!reader.file.valid()) {
      return MakeError(ErrorCode::kIo, std::string("cannot open the layer: ") + strerror(errno),
                       "layer " + layer.name);
    }
  }
  reader.archive.reset(archive_read_new());
  archive* a = reader.archive.get();
  if (a == nullptr) return MakeError(ErrorCode::kInternal, "libarchive: out of memory");
  archive_read_support_format_tar(a);
  archive_read_support_format_empty(a);
  if (!hash) {
    if (Status s = SupportFilter(a, compression, layer); !s.ok()) return s.error();
    // Opening reads the first block to find the format: not a tar, or not the compression the
    // media type names.
    if (OpenSource(a, layer, reader.file.get()) != ARCHIVE_OK) return CannotRead(a, layer);
    return reader;
  }

  reader.raw.reset(archive_read_new());
  archive* raw = reader.raw.get();
  if (raw == nullptr) return MakeError(ErrorCode::kInternal, "libarchive: out of memory");
  archive_read_support_format_raw(raw);
  archive_read_support_format_empty(raw);
  if (Status s = SupportFilter(raw, compression, layer); !s.ok()) return s.error();
  if (OpenSource(raw, layer, reader.file.get()) != ARCHIVE_OK) return CannotRead(raw, layer);
  archive_entry* whole = nullptr;
  int r = archive_read_next_header(raw, &whole);
  if (r < ARCHIVE_WARN) return CannotRead(raw, layer);
  reader.tap = std::make_unique<HashTap>();
  reader.tap->raw = raw;
  if (r == ARCHIVE_EOF) {
    // An empty stream: nothing to decompress, and an empty tar reads as no entries.
    if (archive_read_open_memory(a, "", 0) != ARCHIVE_OK) return CannotRead(a, layer);
    reader.tap->raw = nullptr;
    return reader;
  }
  if (archive_read_open(a, reader.tap.get(), nullptr, TapRead, nullptr) != ARCHIVE_OK) {
    return CannotRead(a, layer);
  }
  return reader;
}

// Reads `layer` once and applies its entries to `tree`. With `diff_id`, also sets it to the
// sha256 of the whole uncompressed stream (what follows the tar's end marker included, counted
// against max_bytes like any data read past).
Result<UnpackStats> ApplyToTree(unpack_internal::LayerTree& tree, const UnpackSource& layer,
                                LayerCompression compression, const UnpackLimits& limits,
                                UnpackStats so_far, std::string* diff_id) {
  Result<Reader> reader = OpenReader(layer, compression, diff_id != nullptr);
  if (!reader.ok()) return reader.error();
  archive* a = reader->archive.get();
  UnpackStats stats = so_far;
  unpack_internal::LayerWriter writer(tree, limits, &stats);
  for (;;) {
    archive_entry* entry = nullptr;
    int r = archive_read_next_header(a, &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      const char* text = archive_error_string(a);
      return MakeError(ErrorCode::kInvalidArgument,
                       std::string("cannot read the layer: ") + (text ? text : "?"),
                       Context(layer, {}));
    }
    const char* raw_name = archive_entry_pathname(entry);
    std::string_view name = raw_name ? raw_name : "";
    if (stats.entries >= limits.max_entries) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "layer has more entries than the cap of " +
                           std::to_string(limits.max_entries) + " (max_entries)",
                       Context(layer, name));
    }
    ++stats.entries;
    if (raw_name == nullptr) {
      return MakeError(ErrorCode::kInvalidArgument, "entry has no readable name",
                       Context(layer, name));
    }
    Result<std::vector<std::string>> path = SplitLayerPath(name);
    if (!path.ok()) return WithContext(path.error(), layer, name);
    if (static_cast<int>(path->size()) > limits.max_depth) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "entry is " + std::to_string(path->size()) +
                           " levels deep, over the cap of " + std::to_string(limits.max_depth) +
                           " (max_depth)",
                       Context(layer, name));
    }
    if (Status s = writer.Apply(a, entry, *path); !s.ok()) {
      return WithContext(s.error(), layer, name);
    }
  }
  if (diff_id != nullptr) {
    HashTap& tap = *reader->tap;
    while (tap.raw != nullptr) {
      la_ssize_t n = archive_read_data(tap.raw, tap.buffer.data(), tap.buffer.size());
      if (n < 0) return CannotRead(tap.raw, layer);
      if (n == 0) break;
      tap.hash.Update(tap.buffer.data(), static_cast<size_t>(n));
      if (Status s = writer.CountBytes(static_cast<uint64_t>(n)); !s.ok()) {
        return WithContext(s.error(), layer, {});
      }
    }
    *diff_id = tap.hash.FinishDigest();
  }
  return stats;
}

}  // namespace

Result<LayerCompression> LayerCompressionForMediaType(std::string_view media_type) {
  if (media_type == "application/vnd.oci.image.layer.v1.tar" ||
      media_type == "application/vnd.oci.image.layer.nondistributable.v1.tar") {
    return LayerCompression::kNone;
  }
  if (media_type == "application/vnd.oci.image.layer.v1.tar+gzip" ||
      media_type == "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" ||
      media_type == "application/vnd.docker.image.rootfs.diff.tar.gzip") {
    return LayerCompression::kGzip;
  }
  if (media_type == "application/vnd.oci.image.layer.v1.tar+zstd" ||
      media_type == "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd") {
    return LayerCompression::kZstd;
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "unsupported layer media type (expected an OCI tar, tar+gzip or tar+zstd "
                   "layer, or Docker's rootfs.diff.tar.gzip)",
                   std::string(media_type));
}

Result<UnpackStats> ApplyLayer(int root_fd, const UnpackSource& layer, LayerCompression compression,
                               const UnpackLimits& limits, UnpackStats so_far) {
  std::unique_ptr<unpack_internal::LayerTree> tree = unpack_internal::NewDiskTree(root_fd);
  return ApplyToTree(*tree, layer, compression, limits, so_far, nullptr);
}

LayerChecker::LayerChecker(UnpackLimits limits)
    : limits_(limits), tree_(unpack_internal::NewModelTree()) {}

LayerChecker::~LayerChecker() = default;

Result<std::string> LayerChecker::Check(const UnpackSource& layer, LayerCompression compression) {
  std::string diff_id;
  Result<UnpackStats> applied = ApplyToTree(*tree_, layer, compression, limits_, stats_, &diff_id);
  if (!applied.ok()) return applied.error();
  stats_ = *applied;
  return diff_id;
}

Status LayerChecker::CheckDirectoryCanBeMade(const std::string& name) {
  Result<std::unique_ptr<unpack_internal::TreeDir>> dir =
      tree_->OpenDir(std::span<const std::string>(&name, 1), /*create_missing=*/true);
  if (!dir.ok()) return dir.error();
  return OkStatus();
}

}  // namespace cairn::image
