// Importing an OCI image layout (a directory, or the same files inside an archive): oci-layout's
// version, index.json's manifests, nested image indexes resolved to the requested platform, and
// every blob fetched into the import's batch (import_batch.h) through its digest-checking writer,
// then each image's layers checked (import_layer.h). Nothing is published or tagged here: the
// caller does both once every image passed (import.cc).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "image/import_batch.h"
#include "image/oci_types.h"
#include "image/store.h"

namespace cairn::image::import_internal {

// Where a layout's blobs come from.
class LayoutSource {
 public:
  virtual ~LayoutSource() = default;
  // Makes blob `d` present in the batch, its content checked against d.digest and d.size.
  // kNotFound (naming the digest) when the source does not hold it.
  virtual Status Fetch(const Descriptor& d) = 0;
};

// Blobs read from <dir>/blobs/sha256/<hex> and re-hashed while copied into the store. Each is
// opened beneath `dir_fd` (the layout, opened by the caller and outliving this source) without
// following links and refused unless it is a regular file (input_file.h). `dir` names it in errors.
class DirSource : public LayoutSource {
 public:
  DirSource(int dir_fd, std::string dir, ImportBatch& batch)
      : dir_fd_(dir_fd), dir_(std::move(dir)), batch_(batch) {}
  Status Fetch(const Descriptor& d) override;

 private:
  int dir_fd_;
  std::string dir_;
  ImportBatch& batch_;
};

// One image index.json names, as the source names it.
struct LayoutEntry {
  Descriptor descriptor;
  std::string ref_name;  // org.opencontainers.image.ref.name (or containerd's full name); may be ""
};

// Checks oci-layout and reads index.json: the top-level entries, keeping only the one named
// `source_ref` when it is not empty (kNotFound listing the names present otherwise).
Result<std::vector<LayoutEntry>> ReadLayoutIndex(std::string_view oci_layout,
                                                 std::string_view index_json,
                                                 const std::string& source_ref);

// An image fetched into a batch and checked, ready to publish.
struct StagedImage {
  std::string digest;  // the manifest's
  Manifest manifest;
};

// Fetches the image `entry` names into `batch` — following nested indexes to the platform in
// `options` (default linux/<host arch>) — and checks its layers (CheckLayers) under the store's
// unpack_limits.
Result<StagedImage> ImportLayoutEntry(const LayoutEntry& entry, LayoutSource& source,
                                      ImportBatch& batch, const ImportOptions& options);

}  // namespace cairn::image::import_internal
