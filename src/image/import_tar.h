// One streaming pass over an image archive (an OCI archive or a docker archive, optionally
// compressed): every regular file goes straight into a blob writer of the import's batch
// (import_batch.h), so a layer of any size is never held in memory or extracted by name, and the
// few small metadata files are kept in memory under a size cap. What the entries mean is decided
// afterwards (import.cc), once the whole archive has been seen: a docker archive may put
// manifest.json last.
//
// Entry names are attacker-controlled. A name that is absolute or has a ".." component is
// refused, as is a link whose target leaves the archive root, and a name that occurs twice
// (extractors disagree on which copy wins).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "core/result.h"
#include "image/blob_store.h"
#include "image/import_batch.h"

namespace cairn::image::import_internal {

struct TarContents {
  // oci-layout, index.json, manifest.json and repositories (top level), whole.
  std::map<std::string, std::string> small_files;
  // Every other regular file, by normalized name ("blobs/sha256/<hex>", "<id>/layer.tar"); its
  // bytes are in the batch.
  std::map<std::string, BlobInfo> blobs;
  // Symlinks (target resolved against the link's directory) and hard links, by normalized name.
  std::map<std::string, std::string> links;
  // Digests of every blob the archive held (the store may hold others; they do not count).
  std::set<std::string> digests;

  // The blob stored for `name`, following links. kNotFound naming the entry when absent.
  Result<BlobInfo> Lookup(std::string_view name) const;
};

// "a/b" for "./a//b/"; kInvalidArgument for an absolute name or a ".." component.
Result<std::string> NormalizeEntryName(std::string_view name);

// Reads the tar open at `fd` (any compression libarchive detects; `path` names it in errors),
// writing each regular file into `batch`. Files under blobs/sha256/ must hash to their name.
// Small files over `max_document_size` are refused. The caller opened `fd` and checked it is a
// regular file (input_file.h), so reading cannot block on a FIFO.
Result<TarContents> IngestTar(int fd, const std::string& path, ImportBatch& batch,
                              uint64_t max_document_size);

}  // namespace cairn::image::import_internal
