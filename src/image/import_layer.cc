#include "image/import_layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "image/file_util.h"
#include "image/sha256_stream.h"

namespace cairn::image::import_internal {
namespace {

struct ReadFree {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
using ReaderPtr = std::unique_ptr<struct archive, ReadFree>;

}  // namespace

Result<LayerCompression> SniffCompression(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("open layer", path, errno);
  unsigned char magic[4] = {};
  ssize_t n = ::read(fd, magic, sizeof magic);
  int err = errno;
  ::close(fd);
  if (n < 0) return IoError("read layer", path, err);
  if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return LayerCompression::kGzip;
  if (n >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) {
    return LayerCompression::kZstd;
  }
  return LayerCompression::kNone;
}

Result<std::string> ComputeDiffId(const std::string& path, LayerCompression compression) {
  ReaderPtr reader(archive_read_new());
  // Only the filter the caller names: auto-detection could mistake a tar for some other format.
  if (compression == LayerCompression::kGzip) archive_read_support_filter_gzip(reader.get());
  if (compression == LayerCompression::kZstd) archive_read_support_filter_zstd(reader.get());
  archive_read_support_format_raw(reader.get());
  auto fail = [&](std::string_view what) {
    const char* msg = archive_error_string(reader.get());
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(what) + ": " + (msg ? msg : "libarchive error"), path);
  };
  if (archive_read_open_filename(reader.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) {
    return fail("cannot decompress layer");
  }
  Sha256Stream hash;
  struct archive_entry* entry = nullptr;
  int rc = archive_read_next_header(reader.get(), &entry);
  if (rc == ARCHIVE_EOF) return hash.FinishDigest();  // an empty stream
  if (rc < ARCHIVE_WARN) return fail("cannot decompress layer");
  std::vector<char> buf(1 << 16);
  for (;;) {
    la_ssize_t n = archive_read_data(reader.get(), buf.data(), buf.size());
    if (n < 0) return fail("cannot decompress layer");
    if (n == 0) break;
    hash.Update(buf.data(), static_cast<size_t>(n));
  }
  return hash.FinishDigest();
}

Status VerifyDiffIds(const ImageStore& store, const Manifest& m, const ImageConfig& config) {
  if (config.diff_ids.size() != m.layers.size()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the manifest has " + std::to_string(m.layers.size()) +
                         " layers but the config's rootfs.diff_ids lists " +
                         std::to_string(config.diff_ids.size()),
                     m.config.digest);
  }
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const Descriptor& layer = m.layers[i];
    auto compression = LayerCompressionForMediaType(layer.media_type);
    if (!compression) return compression.error();
    std::string diff_id = layer.digest;  // a plain tar is its own diff_id
    if (*compression != LayerCompression::kNone) {
      auto path = store.LayerPath(layer);
      if (!path) return path.error();
      auto computed = ComputeDiffId(*path, *compression);
      if (!computed) return computed.error();
      diff_id = *computed;
    }
    if (diff_id != config.diff_ids[i]) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "layer " + std::to_string(i) + " uncompresses to " + diff_id +
                           " but the config's rootfs.diff_ids[" + std::to_string(i) + "] says " +
                           config.diff_ids[i],
                       layer.digest);
    }
  }
  return OkStatus();
}

}  // namespace cairn::image::import_internal
