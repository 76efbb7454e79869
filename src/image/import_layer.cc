#include "image/import_layer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "image/file_util.h"
#include "image/rootfs_cache.h"

namespace cairn::image::import_internal {

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

Status CheckLayers(const std::vector<std::string>& paths, const Manifest& m,
                   const ImageConfig& config, bool verify_diff_ids, const UnpackLimits& limits,
                   size_t* failed_layer) {
  size_t unused = 0;
  size_t& at = failed_layer != nullptr ? *failed_layer : unused;
  at = m.layers.size();
  if (verify_diff_ids && config.diff_ids.size() != m.layers.size()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the manifest has " + std::to_string(m.layers.size()) +
                         " layers but the config's rootfs.diff_ids lists " +
                         std::to_string(config.diff_ids.size()),
                     m.config.digest);
  }
  LayerChecker checker(limits);
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const Descriptor& layer = m.layers[i];
    at = i;
    auto compression = LayerCompressionForMediaType(layer.media_type);
    if (!compression)
      return MakeError(compression.error().code, compression.error().message, layer.digest);
    UnpackSource source = UnpackSource::File(paths[i]);
    source.name = layer.digest;
    auto diff_id = checker.Check(source, *compression);
    if (!diff_id) return diff_id.error();
    if (verify_diff_ids && *diff_id != config.diff_ids[i]) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "layer " + std::to_string(i) + " uncompresses to " + *diff_id +
                           " but the config's rootfs.diff_ids[" + std::to_string(i) + "] says " +
                           config.diff_ids[i],
                       layer.digest);
    }
  }
  at = m.layers.size();
  for (const char* mount_point : kMountPoints) {
    if (Status s = checker.CheckDirectoryCanBeMade(mount_point); !s) {
      return MakeError(s.error().code,
                       s.error().message + " (the rootfs cache makes /" + mount_point +
                           " a directory for the runtime to mount on)",
                       "image " + m.config.digest);
    }
  }
  return OkStatus();
}

}  // namespace cairn::image::import_internal
