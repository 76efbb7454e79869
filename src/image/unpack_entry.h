// Private to unpack.cc: writes the entries of one layer, one at a time, onto the root.
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "core/result.h"
#include "image/unpack.h"

struct archive;
struct archive_entry;

namespace cairn::image::unpack_internal {

// Holds what one layer has written so far (whiteouts and opaque directories hide only what
// lower layers left) and the running counts checked against the limits.
class LayerWriter {
 public:
  LayerWriter(int root_fd, const UnpackLimits& limits, UnpackStats* stats)
      : root_fd_(root_fd), limits_(limits), stats_(stats) {}

  // Applies the entry `a` is positioned at, named `path` (from SplitLayerPath), and consumes
  // its data. Errors carry no context; the caller adds the layer and the entry.
  Status Apply(archive* a, archive_entry* entry, const std::vector<std::string>& path);

 private:
  Status ApplyWhiteout(const std::vector<std::string>& path);
  Status ApplyDirectory(archive_entry* entry, const std::vector<std::string>& path);
  Status ApplyFile(archive* a, archive_entry* entry, const std::vector<std::string>& path);
  Status ApplySymlink(archive_entry* entry, const std::vector<std::string>& path);
  Status ApplyHardlink(archive_entry* entry, const std::vector<std::string>& path);

  // Counts `n` more uncompressed bytes; fails past limits_.max_bytes.
  Status CountBytes(uint64_t n);
  // Reads and counts whatever data of the current entry is left unread.
  Status Drain(archive* a);
  // Records path and every directory above it as written by this layer.
  void MarkWritten(const std::vector<std::string>& path);

  int root_fd_;
  const UnpackLimits& limits_;
  UnpackStats* stats_;
  std::unordered_set<std::string> written_;
};

}  // namespace cairn::image::unpack_internal
