// ImageProvider: what the controller needs of the image store. At apply, the digest a service's
// `image:` names now (the revision pins it); at start, the image's read-only root, unpacked on
// first use and shared by every instance, with the config that says what to run.
//
// Threading: safe on any thread (the store and the cache are; two Prepares of one image race
// harmlessly, one tree wins). The controller calls Resolve (reads index.json) and Prepare on
// its strand; the API prepares the images an apply names on its worker pool first
// (api/image_prepare.h), so the strand's Prepare normally finds the tree cached and returns at
// once; it unpacks there only for a root that went missing (set aside as drifted, removed).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "image/rootfs_cache.h"
#include "image/store.h"

namespace cairn::control {

struct PreparedImage {
  std::string rootfs;  // absolute path of the shared, read-only tree
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "KEY=value"
  std::string workdir;
};

class ImageProvider {
 public:
  virtual ~ImageProvider() = default;
  // The manifest digest `reference` ("web:1.4", "sha256:…") names in the store now.
  virtual Result<std::string> Resolve(const std::string& reference) = 0;
  virtual Result<PreparedImage> Prepare(const std::string& manifest_digest) = 0;
  // What changed in the prepared root of `manifest_digest` since it was unpacked, one line per
  // entry; empty when nothing did. Re-hashes the whole tree: call it from a worker thread (it is
  // safe on any thread), never on the controller strand.
  virtual Result<std::vector<std::string>> VerifyRoot(const std::string& manifest_digest) = 0;
  // Takes a drifted root out of use (kept aside for a person to look at; its path returned):
  // the next Prepare unpacks the image afresh from the store's digest-checked blobs.
  virtual Result<std::string> QuarantineRoot(const std::string& manifest_digest) = 0;
};

// The provider over cairn's own store and rootfs cache (neither owned; both outlive it).
std::unique_ptr<ImageProvider> NewStoreImageProvider(image::ImageStore& store,
                                                     image::RootfsCache& cache);

}  // namespace cairn::control
