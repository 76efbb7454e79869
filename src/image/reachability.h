// Which blobs an image (or a set of them) needs: a manifest, its config and its layers; an index
// and everything under it. Shared by Verify (what must be present and intact) and Gc (what must
// be kept).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "image/blob_store.h"
#include "image/oci_types.h"

namespace cairn::image {

struct BlobProblem {
  std::string digest;
  std::string path;      // where the blob is (or should be) on disk
  std::string problem;   // "missing", "corrupt: content hashes to sha256:…", …
  std::string referrer;  // what needs it: "tag web:1", "root", a manifest digest; may be empty

  std::string ToString() const;
};

struct Reachable {
  // digest -> the descriptor that first reached it and what reached it.
  std::map<std::string, std::pair<Descriptor, std::string>> blobs;
  // Documents that could not be followed: missing, wrong size, corrupt, unparseable.
  std::vector<BlobProblem> problems;
};

// A starting point: a descriptor (from index.json) or a bare digest (a gc root) whose type is
// found by reading it. `referrer` names it in problems.
struct ReachStart {
  Descriptor descriptor;  // media_type empty for a bare digest; size ignored then
  std::string referrer;
};

// Follows manifests and indexes (documents are read whole, up to `max_document_size`); layers and
// configs are recorded, not read.
Reachable CollectReachable(const BlobStore& blobs, const std::vector<ReachStart>& starts,
                           uint64_t max_document_size);

}  // namespace cairn::image
