#include "image/rootfs_cache.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/ids.h"
#include "core/sha256.h"
#include "image/openat_beneath.h"
#include "image/openat_tree.h"
#include "image/rootfs_manifest.h"

namespace cairn::image {
namespace {

using unpack_internal::MakeTreeReadOnlyAt;
using unpack_internal::OpenDirBeneath;
using unpack_internal::OpenDirectory;
using unpack_internal::RemoveEntryAt;
using unpack_internal::UnpackFd;

constexpr std::string_view kDigestPrefix = "sha256:";

Result<std::string> HexOf(std::string_view manifest_digest) {
  if (!IsSha256Digest(manifest_digest)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "a rootfs is keyed by a manifest digest (sha256:<64 hex>)",
                     std::string(manifest_digest));
  }
  return std::string(manifest_digest.substr(kDigestPrefix.size()));
}

Error IoError(const std::string& what, const std::string& path, int err) {
  return MakeError(ErrorCode::kIo, what + ": " + std::strerror(err), path);
}

// Scans the finished tree and writes <hex>.manifest beside it (temp file, fsync, rename).
Status WriteManifest(int cache_fd, int tree_fd, const std::string& hex, const std::string& shown) {
  auto entries = ScanTree(tree_fd);
  if (!entries.ok()) return entries.error();
  std::string text = ManifestText(*entries);
  std::string tmp = hex + ".manifest.tmp-" + RandomHexId(8);
  int fd = openat(cache_fd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd < 0) return IoError("cannot write the rootfs manifest", shown, errno);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      (void)unlinkat(cache_fd, tmp.c_str(), 0);
      return IoError("cannot write the rootfs manifest", shown, err);
    }
    done += static_cast<size_t>(n);
  }
  fsync(fd);
  close(fd);
  if (renameat(cache_fd, tmp.c_str(), cache_fd, (hex + ".manifest").c_str()) != 0) {
    int err = errno;
    (void)unlinkat(cache_fd, tmp.c_str(), 0);
    return IoError("cannot publish the rootfs manifest", shown, err);
  }
  return OkStatus();
}

// Publishes tmp as final unless final already exists. Returns false when another preparer won.
Result<bool> RenameNoReplace(int dir_fd, const std::string& tmp, const std::string& final_name,
                             const std::string& shown) {
  if (renameat2(dir_fd, tmp.c_str(), dir_fd, final_name.c_str(), RENAME_NOREPLACE) == 0) {
    return true;
  }
  if (errno == EEXIST) return false;
  if (errno != EINVAL && errno != ENOSYS) return IoError("cannot publish the rootfs", shown, errno);
  // A file system without RENAME_NOREPLACE: a plain rename still refuses to replace a
  // non-empty directory, and every published tree holds at least what the image put there.
  if (renameat(dir_fd, tmp.c_str(), dir_fd, final_name.c_str()) == 0) return true;
  if (errno == EEXIST || errno == ENOTEMPTY) return false;
  return IoError("cannot publish the rootfs", shown, errno);
}

}  // namespace

Result<std::string> RootfsCache::PathFor(std::string_view manifest_digest) const {
  Result<std::string> hex = HexOf(manifest_digest);
  if (!hex.ok()) return hex.error();
  return (std::filesystem::path(options_.dir) / *hex).string();
}

bool RootfsCache::Contains(std::string_view manifest_digest) const {
  Result<std::string> path = PathFor(manifest_digest);
  struct stat st {};
  return path.ok() && lstat(path->c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Result<std::string> RootfsCache::Prepare(std::string_view manifest_digest,
                                         const std::vector<RootfsLayer>& layers) const {
  if (options_.dir.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "the rootfs cache has no directory set");
  }
  Result<std::string> hex = HexOf(manifest_digest);
  if (!hex.ok()) return hex.error();
  Result<std::string> final_path = PathFor(manifest_digest);
  if (Contains(manifest_digest)) return final_path;

  // Every media type is checked before anything is written.
  std::vector<LayerCompression> compressions;
  for (const RootfsLayer& layer : layers) {
    Result<LayerCompression> c = LayerCompressionForMediaType(layer.media_type);
    if (!c.ok()) {
      Error error = c.error();
      error.context = std::string(manifest_digest) + ": layer " +
                      (layer.digest.empty() ? layer.path : layer.digest) + ", media type " +
                      layer.media_type;
      return error;
    }
    compressions.push_back(*c);
  }

  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  if (ec) {
    return MakeError(ErrorCode::kIo, "cannot create the rootfs cache: " + ec.message(),
                     options_.dir);
  }
  Result<UnpackFd> cache = OpenDirectory(options_.dir);
  if (!cache.ok()) return cache.error();
  Result<std::string> made = Unpack(cache->get(), *hex, layers, compressions);
  if (!made.ok()) {
    Error error = made.error();
    error.context = std::string(manifest_digest) + ": " + error.context;
    return error;
  }
  return made;
}

Result<std::string> RootfsCache::Unpack(int cache_fd, const std::string& hex,
                                        const std::vector<RootfsLayer>& layers,
                                        const std::vector<LayerCompression>& compressions) const {
  std::string tmp = hex + ".tmp-" + RandomHexId(8);
  std::string shown = (std::filesystem::path(options_.dir) / tmp).string();
  if (mkdirat(cache_fd, tmp.c_str(), 0700) != 0) {
    return IoError("cannot create the unpack directory", shown, errno);
  }
  // From here on, any failure removes the temp tree: the cache never keeps a partial rootfs.
  auto fail = [&](Error error) -> Result<std::string> {
    (void)RemoveEntryAt(cache_fd, tmp);  // best effort; the error to report is the first one
    return error;
  };
  int raw = openat(cache_fd, tmp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (raw < 0) return fail(IoError("cannot open the unpack directory", shown, errno));
  UnpackFd root(raw);

  UnpackStats totals;
  for (size_t i = 0; i < layers.size(); ++i) {
    const RootfsLayer& layer = layers[i];
    UnpackSource source = UnpackSource::File(layer.path);
    if (!layer.digest.empty()) source.name = layer.digest;
    Result<UnpackStats> applied =
        ApplyLayer(root.get(), source, compressions[i], options_.limits, totals);
    if (!applied.ok()) return fail(applied.error());
    totals = *applied;
  }

  // The mount points a container runtime needs: runc would otherwise create them inside the
  // shared tree, which must never be written once published.
  for (const char* mount_point : kMountPoints) {
    std::string name = mount_point;
    Result<UnpackFd> dir = OpenDirBeneath(root.get(), std::span<const std::string>(&name, 1), true);
    if (!dir.ok()) return fail(dir.error());
  }
  if (fchmod(root.get(), 0755) != 0) return fail(IoError("cannot set mode", shown, errno));
  if (Status s = MakeTreeReadOnlyAt(root.get()); !s.ok()) return fail(s.error());
  if (options_.sync && syncfs(root.get()) != 0) {
    return fail(IoError("cannot sync the unpacked rootfs", shown, errno));
  }
  // The manifest goes first: a published tree always has one to be verified against.
  if (Status s = WriteManifest(cache_fd, root.get(), hex, shown); !s.ok()) return fail(s.error());
  Result<std::string> final_path = PathFor(std::string(kDigestPrefix) + hex);
  Result<bool> published = RenameNoReplace(cache_fd, tmp, hex, *final_path);
  if (!published.ok()) return fail(published.error());
  if (!*published) {
    // Another preparer published the same image first: its tree is as good as ours.
    (void)RemoveEntryAt(cache_fd, tmp);
    return final_path;
  }
  if (options_.sync) fsync(cache_fd);
  return final_path;
}

Result<std::vector<std::string>> RootfsCache::Verify(std::string_view manifest_digest) const {
  Result<std::string> hex = HexOf(manifest_digest);
  if (!hex.ok()) return hex.error();
  Result<std::string> path = PathFor(manifest_digest);
  Result<UnpackFd> tree = OpenDirectory(*path);
  if (!tree.ok()) {
    return MakeError(ErrorCode::kNotFound, "no rootfs cached for this image",
                     std::string(manifest_digest));
  }
  std::ifstream in(options_.dir + "/" + *hex + ".manifest");
  if (!in) return std::vector<std::string>{"no manifest to verify the tree against"};
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto expected = ParseManifest(text);
  if (!expected.ok()) {
    return std::vector<std::string>{"unreadable manifest: " + expected.error().ToString()};
  }
  auto actual = ScanTree(tree->get());
  if (!actual.ok()) return actual.error();
  return CompareTrees(*expected, *actual);
}

namespace {

// A cached tree renamed to <hex><suffix><random>: the digest is absent from the cache at once.
struct AsideTree {
  UnpackFd cache;
  std::string hex;
  std::string aside;  // the new name, inside the cache dir
};

Result<AsideTree> RenameAside(const std::string& dir, std::string_view manifest_digest,
                              const char* suffix, const char* failure) {
  Result<std::string> hex = HexOf(manifest_digest);
  if (!hex.ok()) return hex.error();
  Error absent = MakeError(ErrorCode::kNotFound, "no rootfs cached for this image",
                           std::string(manifest_digest));
  Result<UnpackFd> cache = OpenDirectory(dir);
  if (!cache.ok()) return absent;
  std::string aside = *hex + suffix + RandomHexId(8);
  if (renameat(cache->get(), hex->c_str(), cache->get(), aside.c_str()) != 0) {
    if (errno == ENOENT) return absent;
    return IoError(failure, std::string(manifest_digest), errno);
  }
  return AsideTree{std::move(*cache), *hex, aside};
}

}  // namespace

Result<std::string> RootfsCache::Quarantine(std::string_view manifest_digest) const {
  auto tree = RenameAside(options_.dir, manifest_digest, ".drifted-",
                          "cannot set the drifted rootfs aside");
  if (!tree.ok()) return tree.error();
  (void)renameat(tree->cache.get(), (tree->hex + ".manifest").c_str(), tree->cache.get(),
                 (tree->aside + ".manifest").c_str());
  return (std::filesystem::path(options_.dir) / tree->aside).string();
}

Status RootfsCache::Remove(std::string_view manifest_digest) const {
  auto tree = RenameAside(options_.dir, manifest_digest, ".rm-", "cannot remove the rootfs");
  if (!tree.ok()) return tree.error();
  (void)unlinkat(tree->cache.get(), (tree->hex + ".manifest").c_str(), 0);
  return RemoveEntryAt(tree->cache.get(), tree->aside);
}

}  // namespace cairn::image
