#include "image/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "image/openat_beneath.h"
#include "image/safe_path.h"
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

// An open layer. The descriptor (for a File source) outlives the archive reading it.
struct Reader {
  unpack_internal::UnpackFd file;
  ArchivePtr archive;
};

// Only the filter the media type names is enabled: libarchive then reads exactly that, and a
// mislabelled layer fails instead of being guessed at.
Result<Reader> OpenReader(const UnpackSource& layer, LayerCompression compression) {
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
  // ARCHIVE_WARN means libarchive would run an external program: refused, it is not built in.
  if (r != ARCHIVE_OK) {
    return MakeError(ErrorCode::kUnavailable,
                     "this libarchive cannot decompress the layer in-process",
                     "layer " + layer.name);
  }
  switch (layer.kind) {
    case UnpackSource::Kind::kFile:
      r = archive_read_open_fd(a, reader.file.get(), kReadBlock);
      break;
    case UnpackSource::Kind::kFd:
      r = archive_read_open_fd(a, layer.fd, kReadBlock);
      break;
    case UnpackSource::Kind::kMemory:
      r = archive_read_open_memory(a, layer.bytes.data(), layer.bytes.size());
      break;
  }
  if (r != ARCHIVE_OK) {
    // Opening reads the first block to find the format: not a tar, or not the compression the
    // media type names.
    const char* text = archive_error_string(a);
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string("cannot read the layer: ") + (text ? text : "?"),
                     "layer " + layer.name);
  }
  return reader;
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
  Result<Reader> reader = OpenReader(layer, compression);
  if (!reader.ok()) return reader.error();
  archive* a = reader->archive.get();
  UnpackStats stats = so_far;
  unpack_internal::LayerWriter writer(root_fd, limits, &stats);
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
  return stats;
}

}  // namespace cairn::image
