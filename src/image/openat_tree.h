// Whole-subtree operations on an unpacked tree, relative to directory descriptors and never
// following symlinks: removing an entry (whiteouts, replaced entries, a cache entry), clearing
// a directory (opaque whiteouts) and dropping write bits (a finished rootfs).
//
// Each walk holds one descriptor per directory level; the unpacker caps the depth
// (UnpackLimits::max_depth) so a walk cannot run out of descriptors.
#pragma once

#include <functional>
#include <string>

#include "core/result.h"

namespace cairn::image::unpack_internal {

// Removes dir_fd/name, whatever it is; a directory with everything below it. A missing name is
// success. Directories lacking owner write or search permission are given them first, so a
// read-only tree can be removed by its owner.
Status RemoveEntryAt(int dir_fd, const std::string& name);

// Removes each entry below dir_fd whose path (relative to dir_fd's directory, e.g. "a/b")
// `keep` rejects. A kept directory is walked too: keep decides for what is inside it.
Status ClearDirAt(int dir_fd, const std::function<bool(const std::string&)>& keep);

// Removes every write bit from dir_fd's directory and everything below it. Symlinks are
// skipped (they have no mode of their own on Linux).
Status MakeTreeReadOnlyAt(int dir_fd);

}  // namespace cairn::image::unpack_internal
