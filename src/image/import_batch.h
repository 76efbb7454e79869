// The blobs of one import, held back from the store until the whole import is known good.
//
// Each blob is written into the store's ingest directory, hashed and checked against its
// expected digest and size (BlobWriter::Seal), and read from there by the import's own checks:
// manifests and configs parsed, every layer checked against the unpack rules and its diff_id.
// Only when every image passed does Publish move the blobs the images need into blobs/sha256;
// a failed import's batch is discarded whole when it is destroyed, so the store is exactly as it
// was — no blob, no tag. (A crash leaves files in cairn/ingest, which gc removes after its grace
// period, as it does an abandoned upload.) Files an archive holds that no imported image needs
// (a docker archive's legacy layer metadata, images `source_ref` left out) are never published.
//
// Thread-safety: one batch belongs to one import on one thread.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "image/blob_store.h"
#include "image/oci_types.h"
#include "image/store.h"

namespace cairn::image::import_internal {

class ImportBatch {
 public:
  explicit ImportBatch(const ImageStore& store) : store_(store) {}

  const ImageStore& store() const { return store_; }

  // A writer for one blob of the batch; give it back to Add once every byte is written.
  Result<std::unique_ptr<BlobWriter>> NewWriter(BlobExpectation expect = {}) const;
  // Seals `writer` (its expectation checked) and keeps the blob. A digest the batch already
  // holds is not kept twice.
  Result<BlobInfo> Add(std::unique_ptr<BlobWriter> writer);
  // Writes `data` as one more blob (a manifest cairn wrote).
  Result<BlobInfo> AddBytes(std::string_view data);

  // The file of the blob `d` names, after checking its size against d.size. kNotFound naming
  // the digest when the batch does not hold it.
  Result<std::string> Path(const Descriptor& d) const;
  // A manifest, index or config whole (at most the store's max_document_size), its size and
  // digest checked.
  Result<std::string> ReadDocument(const Descriptor& d) const;

  // Commits the blobs `digests` names into the store, in that order (put a manifest after what
  // it references). The batch keeps the rest until it is destroyed.
  Status Publish(const std::vector<std::string>& digests);

 private:
  const ImageStore& store_;
  std::map<std::string, std::unique_ptr<BlobWriter>> blobs_;  // by digest; sealed
  std::set<std::string> published_;
};

// The blobs an image needs, in the order Publish wants them: layers, config, manifest.
std::vector<std::string> BlobsOf(const std::string& manifest_digest, const Manifest& m);

}  // namespace cairn::image::import_internal
