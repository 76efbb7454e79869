// Turning a tar entry's name into path components that cannot leave the unpack root.
//
// A layer is attacker-controlled input. Every name in it goes through SplitLayerPath before any
// file system call, so the rest of the unpacker only ever sees plain, bounded names: no "..",
// no ".", no empty component, no slash.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace cairn::image::unpack_internal {

// Splits a layer entry name into its components.
//
// - A leading "/" (or several) is dropped: "/etc/passwd" names etc/passwd inside the root, as
//   runc, containerd and Docker read it. Layers built by common tools never carry one, and
//   rejecting them would refuse images that every other runtime accepts.
// - "." components, empty components ("a//b") and a trailing "/" are dropped.
// - Any ".." component is rejected (kInvalidArgument), even "a/../b" that would stay inside:
//   no legitimate image tool writes one, and refusing it keeps the rule simple to audit.
// - The whole name must be shorter than PATH_MAX and each component at most NAME_MAX bytes; a
//   NUL byte cannot occur (names arrive as C strings).
// An empty result names the root itself.
Result<std::vector<std::string>> SplitLayerPath(std::string_view name);

// "a/b/c" for {"a","b","c"}; "." for the root. For messages and bookkeeping only.
std::string JoinLayerPath(const std::vector<std::string>& components);

}  // namespace cairn::image::unpack_internal
