// Private to unpack.cc: applies the entries of one layer, one at a time, to a tree — the disk or
// the model (layer_tree.h). Every rule of unpack.h that depends on an entry and on what the tree
// holds is decided here, once, for both.
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "core/result.h"
#include "image/layer_tree.h"
#include "image/unpack.h"

struct archive;
struct archive_entry;

namespace cairn::image::unpack_internal {

// Holds what one layer has written so far (whiteouts and opaque directories hide only what
// lower layers left) and the running counts checked against the limits.
class LayerWriter {
 public:
  LayerWriter(LayerTree& tree, const UnpackLimits& limits, UnpackStats* stats)
      : tree_(tree), limits_(limits), stats_(stats) {}

  // Applies the entry `a` is positioned at, named `path` (from SplitLayerPath), and consumes
  // its data. Errors carry no context; the caller adds the layer and the entry.
  Status Apply(archive* a, archive_entry* entry, const std::vector<std::string>& path);
  // Counts `n` more uncompressed bytes; fails past limits_.max_bytes.
  Status CountBytes(uint64_t n);

 private:
  Status ApplyWhiteout(const std::vector<std::string>& path);
  Status ApplyDirectory(archive_entry* entry, const std::vector<std::string>& path);
  Status ApplyFile(archive* a, archive_entry* entry, const std::vector<std::string>& path);
  Status ApplySymlink(archive_entry* entry, const std::vector<std::string>& path);
  Status ApplyHardlink(archive_entry* entry, const std::vector<std::string>& path);

  // Reads and counts whatever data of the current entry is left unread.
  Status Drain(archive* a);
  // Records path and every directory above it as written by this layer.
  void MarkWritten(const std::vector<std::string>& path);

  LayerTree& tree_;
  const UnpackLimits& limits_;
  UnpackStats* stats_;
  std::unordered_set<std::string> written_;
};

}  // namespace cairn::image::unpack_internal
