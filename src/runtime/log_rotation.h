// Log rotation for instance logs by copy-and-truncate: the instance keeps writing through its
// own O_APPEND descriptor (opened by the driver and inherited across a server restart), so the
// file must stay the same inode. After truncation its next write lands at offset 0.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"

namespace cairn::runtime {

// When `path` is larger than `max_bytes`: shifts path.1 -> path.2 ... up to path.<keep>
// (dropping the oldest), copies `path` to path.1 and truncates `path` to zero. `keep` <= 0
// truncates without keeping a copy. A missing file is not an error.
// Lines written between the copy and the truncation are lost (inherent to copytruncate).
Status RotateLogIfLarger(const std::string& path, uint64_t max_bytes, int keep);

}  // namespace cairn::runtime
