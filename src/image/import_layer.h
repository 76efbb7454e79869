// Checking an image's layers before it enters the store (import) and while it sits there
// (verify): every layer is read once, and in that one read
//
// - each entry is checked against the unpack rules (LayerChecker, unpack.h), with the tree the
//   lower layers built carried over, so an image the rootfs cache could never unpack — a "../"
//   name, a device node, a write through a symlink, a truncated tar, a bomb past UnpackLimits —
//   is refused naming the layer and the entry;
// - its diff_id (the sha256 of the uncompressed tar) is computed and, when asked, compared with
//   the one the config's rootfs.diff_ids lists at the same position: an image whose diff_ids lie
//   unpacks to something other than what its config (and a signature over it) names.
//
// After the last layer, the mount points the rootfs cache makes (kMountPoints) must be makeable:
// an image whose /dev is a symlink could never be prepared either.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "image/oci_types.h"
#include "image/unpack.h"

namespace cairn::image::import_internal {

// The compression of a layer file, from its first bytes (gzip 1f 8b, zstd 28 b5 2f fd; anything
// else is read as a plain tar). Docker archives do not say, and both kinds occur.
Result<LayerCompression> SniffCompression(const std::string& path);

// Checks the layers of `m`, whose files are `paths` (same order, lowest first), as above; with
// `verify_diff_ids`, also against config.diff_ids (same count, same digests). Errors name the
// layer digest in context ("layer sha256:…, entry 'etc/x'") or, for a diff_id, both digests.
// `failed_layer` (may be null) is set to the index of the layer at fault, or to m.layers.size()
// when the fault is the image's as a whole (the layer count, a mount point).
Status CheckLayers(const std::vector<std::string>& paths, const Manifest& m,
                   const ImageConfig& config, bool verify_diff_ids, const UnpackLimits& limits,
                   size_t* failed_layer = nullptr);

}  // namespace cairn::image::import_internal
