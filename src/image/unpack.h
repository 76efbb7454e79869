// Applying one OCI layer (a tar, plain or compressed) onto a directory, safely.
//
// A layer is untrusted input. ApplyLayer writes only beneath root_fd's directory, whatever the
// archive holds, and refuses what a rootfs must not contain. The rules, and the choices made
// where the OCI image spec leaves room:
//
// - Names: a leading "/" is read as relative to the root, as runc and containerd do; a ".."
//   component anywhere is refused; names at or over PATH_MAX, or with a component over
//   NAME_MAX, are refused (see safe_path.h).
// - Every parent directory is opened one component at a time from root_fd without following
//   symlinks (openat_beneath.h). A symlink in a parent position, including one an earlier layer
//   planted ("etc -> /" then "etc/passwd"), is refused rather than followed.
// - Regular files are created with O_CREAT | O_EXCL | O_NOFOLLOW after any old entry is removed.
//   Symlinks are created as they are, never followed. Hardlinks resolve their target beneath
//   the root by the same walk; a target that is missing, a directory, or behind a symlink is
//   refused. Directories merge with an existing directory; any other kind replaces it.
// - Whiteouts: ".wh.NAME" removes NAME as the lower layers left it; ".wh..wh..opq" removes
//   everything in its directory that this layer did not write. Other ".wh..wh.*" names (aufs
//   metadata) are skipped. Neither is written to the tree.
// - Device nodes, FIFOs and sockets are refused: a shared, read-only rootfs has no use for them
//   and the runtime provides /dev.
// - setuid, setgid and sticky bits are stripped, not refused: images commonly ship setuid
//   binaries (su, ping) and refusing would break them, while stripping keeps an instance from
//   gaining privilege through the cache. Directories get owner rwx while unpacking so later
//   entries can be written; the cache then removes write bits from the whole tree.
// - Owners, timestamps and extended attributes (file capabilities included) are not applied:
//   the tree belongs to the unpacking user.
// - Caps (UnpackLimits): entries and uncompressed bytes are counted as they are read, so a
//   decompression bomb stops at the cap, not at the disk's end.
//
// A failed ApplyLayer leaves the root partly written: callers unpack into a temp directory and
// discard it on failure (RootfsCache does). Errors carry the layer and the entry in context.
// Thread-safety: calls on different roots may run concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace cairn::image {

namespace unpack_internal {
class LayerTree;
}

enum class LayerCompression { kNone, kGzip, kZstd };

// The compression a layer media type implies: application/vnd.oci.image.layer.v1.tar[+gzip|
// +zstd], their nondistributable forms, and Docker's
// application/vnd.docker.image.rootfs.diff.tar.gzip. Anything else is kInvalidArgument.
Result<LayerCompression> LayerCompressionForMediaType(std::string_view media_type);

struct UnpackLimits {
  // Archive entries of every kind (directories, whiteouts, links). One million is ten times
  // the file count of the largest common base images, and small enough to stop an archive of
  // empty entries long before it exhausts inodes.
  uint64_t max_entries = 1'000'000;
  // Uncompressed bytes of file contents (sparse holes included) and of any data the unpacker
  // reads past. 16 GiB is larger than any image a team runs as a service, and bounds how much
  // disk a gzip bomb can take.
  uint64_t max_bytes = 16ull << 30;
  // Directory levels below the root. Removal and read-only walks hold a descriptor per level;
  // 256 stays well under the common 1024-descriptor limit and far above real images.
  int max_depth = 256;
};

// What has been applied so far; ApplyLayer adds to it and checks the limits against the sum.
struct UnpackStats {
  uint64_t entries = 0;
  uint64_t bytes = 0;
};

// Where a layer's bytes come from. `name` is how errors refer to it (a digest or a path).
struct UnpackSource {
  enum class Kind { kFile, kFd, kMemory };

  static UnpackSource File(std::string path) { return {Kind::kFile, path, -1, {}, path}; }
  // The descriptor is read to its end and not closed; a pipe works.
  static UnpackSource Fd(int fd, std::string name) { return {Kind::kFd, {}, fd, {}, name}; }
  // The bytes must outlive the call.
  static UnpackSource Memory(std::string_view bytes, std::string name) {
    return {Kind::kMemory, {}, -1, bytes, name};
  }

  Kind kind;
  std::string path;
  int fd;
  std::string_view bytes;
  std::string name;
};

// Applies one layer onto root_fd's directory (see the rules above) and returns `so_far` plus
// what this layer added. Pass the previous result as `so_far` to cap a whole image rather than
// one layer. REQUIRES: root_fd is an open directory the caller alone writes to.
Result<UnpackStats> ApplyLayer(int root_fd, const UnpackSource& layer, LayerCompression compression,
                               const UnpackLimits& limits = {}, UnpackStats so_far = {});

// Checks an image's layers against the rules above without writing anything: what ApplyLayer
// would refuse, LayerChecker refuses with the same error, because the same code decides. A model
// of the tree (each entry's name and kind, no contents; layer_tree.h) stands in for the
// directory and carries over from one layer to the next, so a write through a symlink that an
// earlier layer planted, or a hardlink to a file an earlier layer removed, is caught as the
// unpack would catch it. The limits count over the whole image, as in the rootfs cache.
//
// What only a real unpack can meet is not checked: a full disk, the file system's own limits
// (links per inode, names it cannot store), a tree that something else changes meanwhile.
// Memory: about 340 bytes per entry with a 35-byte name (bench/store/README.md "Layer check":
// 68 MB for 200,200 entries), bounded by max_entries: some 350 MB at the default million.
// Thread-safety: one checker belongs to one thread.
class LayerChecker {
 public:
  explicit LayerChecker(UnpackLimits limits = {});
  ~LayerChecker();
  LayerChecker(const LayerChecker&) = delete;
  LayerChecker& operator=(const LayerChecker&) = delete;

  // Reads `layer` once: applies it to the model and returns the sha256 of its uncompressed bytes
  // ("sha256:<hex>", its diff_id). Errors carry the layer and the entry in context, as
  // ApplyLayer's. REQUIRES: the image's layers in order, lowest first; none after an error.
  Result<std::string> Check(const UnpackSource& layer, LayerCompression compression);
  // Whether the directory `name` (one component, under the root) could be made on top of the
  // layers checked so far: the rootfs cache makes its mount points (rootfs_cache.h) so.
  Status CheckDirectoryCanBeMade(const std::string& name);
  const UnpackStats& stats() const { return stats_; }

 private:
  UnpackLimits limits_;
  UnpackStats stats_;
  std::unique_ptr<unpack_internal::LayerTree> tree_;
};

}  // namespace cairn::image
