// RootfsCache: one unpacked, read-only root file system per image manifest, shared by every
// instance of that image.
//
// Layout: <dir>/<manifest hex> is a complete tree, or absent. Prepare unpacks into
// <dir>/<hex>.tmp-<random> and renames it into place only after every layer applied, so a
// reader never sees a partial tree and a failure leaves nothing behind. Two processes that
// prepare the same image at once both unpack; the first rename wins and the other discards its
// copy. Layers are applied with ApplyLayer (unpack.h), whose rules (absolute names, setuid
// stripping, refusals) hold here too.
//
// Thread-safety: a RootfsCache holds no mutable state; any thread or process may call it
// concurrently. Removing an image that instances still run from is the caller's business (the
// gc roots decide).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "image/unpack.h"

namespace cairn::image {

struct RootfsCacheOptions {
  // The cache directory; made (with parents) on first use. Required.
  std::string dir;
  // Caps for a whole image: entries and bytes summed over all its layers. The defaults (see
  // unpack.h) bound what one hostile image can cost: a million entries, 16 GiB.
  UnpackLimits limits;
  // syncfs() the new tree before publishing it, so a crash cannot leave a published tree whose
  // files never reached the disk. Tests turn it off for speed; production keeps it on.
  bool sync = true;
};

// One layer of an image, lowest first.
struct RootfsLayer {
  std::string path;        // the layer blob
  std::string media_type;  // decides the decompression (LayerCompressionForMediaType)
  std::string digest;      // names the layer in errors; the path when empty
};

// Directories every prepared rootfs has (made empty when the image lacks them): where a
// container runtime mounts /proc, /dev, /sys and its tmpfs instances.
inline constexpr const char* kMountPoints[] = {"proc", "dev", "sys", "tmp", "run"};

class RootfsCache {
 public:
  explicit RootfsCache(RootfsCacheOptions options) : options_(std::move(options)) {}

  // Returns the tree for `manifest_digest` ("sha256:<hex>"), unpacking `layers` (lowest first)
  // if it is not cached yet. A cached tree is returned at once, without reading any layer. The
  // tree has every write bit removed. On failure nothing is left in the cache; the error names
  // the layer and, for a refused entry, the entry.
  Result<std::string> Prepare(std::string_view manifest_digest,
                              const std::vector<RootfsLayer>& layers) const;

  // Where the tree for `manifest_digest` lives, whether it is cached or not.
  Result<std::string> PathFor(std::string_view manifest_digest) const;

  // True if the tree for `manifest_digest` is complete in the cache.
  bool Contains(std::string_view manifest_digest) const;

  // What changed in the cached tree of `manifest_digest` since it was published (integrity
  // drift), one line per entry as CompareTrees says it: empty when nothing did. Every file is
  // re-hashed: run it off any event loop. kNotFound when the tree is not cached. A tree whose
  // manifest (<dir>/<hex>.manifest, written at publication) is missing or unreadable cannot be
  // vouched for and is reported as drifted.
  Result<std::vector<std::string>> Verify(std::string_view manifest_digest) const;

  // Takes a drifted tree out of the cache without deleting it: renamed (with its manifest) to
  // <hex>.drifted-<random>, whose path is returned, so running instances keep their root and a
  // person can see what was written; the next Prepare unpacks the image afresh.
  Result<std::string> Quarantine(std::string_view manifest_digest) const;

  // Removes the tree for `manifest_digest`: renamed aside first, so the digest is absent at
  // once, then deleted. kNotFound if it is not cached.
  Status Remove(std::string_view manifest_digest) const;

 private:
  // Unpacks into a temp dir beside the final name and publishes it; REQUIRES: one compression
  // per layer, already checked.
  Result<std::string> Unpack(int cache_fd, const std::string& hex,
                             const std::vector<RootfsLayer>& layers,
                             const std::vector<LayerCompression>& compressions) const;

  RootfsCacheOptions options_;
};

}  // namespace cairn::image
