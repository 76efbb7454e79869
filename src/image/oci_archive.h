// OCI archives (`oci-archive:` — an OCI image layout inside a tar). Import reads the tar once
// (IngestTar) and then walks the layout with ArchiveSource, whose blobs are already in the store;
// export writes the layout as a deterministic tar (WriteOciArchive).
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "image/import_layout.h"
#include "image/import_tar.h"
#include "image/oci_types.h"
#include "image/store.h"

namespace cairn::image::import_internal {

// Blobs the archive held, already written into the batch (and hash-checked against their names)
// by IngestTar. A blob the archive did not hold is missing even if the store has it from
// elsewhere: the archive is incomplete, and saying so beats an import that only works on this
// machine.
class ArchiveSource : public LayoutSource {
 public:
  ArchiveSource(const TarContents& contents, const ImportBatch& batch)
      : contents_(contents), batch_(batch) {}
  Status Fetch(const Descriptor& d) override;

 private:
  const TarContents& contents_;
  const ImportBatch& batch_;
};

// Writes `path` (which must not exist) as a tar holding oci-layout, `index_json` and every blob
// in `blobs` read from `store`: entries sorted, mtime 0, uid/gid 0, so the same image exports to
// the same bytes. Written beside `path` and renamed into place when complete.
Status WriteOciArchive(const std::string& path, const ImageStore& store,
                       const std::vector<Descriptor>& blobs, const std::string& index_json);

}  // namespace cairn::image::import_internal
