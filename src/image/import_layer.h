// Checking an imported image's layers against its config: each layer's diff_id (the sha256 of the
// uncompressed tar) must be the one rootfs.diff_ids lists at the same position. An image whose
// diff_ids lie unpacks to something other than what its config (and a signature over it) names.
#pragma once

#include <string>

#include "core/result.h"
#include "image/oci_types.h"
#include "image/store.h"
#include "image/unpack.h"

namespace cairn::image::import_internal {

// The compression of a layer file, from its first bytes (gzip 1f 8b, zstd 28 b5 2f fd; anything
// else is read as a plain tar). Docker archives do not say, and both kinds occur.
Result<LayerCompression> SniffCompression(const std::string& path);

// "sha256:<hex>" of the decompressed stream of `path`, read with libarchive.
Result<std::string> ComputeDiffId(const std::string& path, LayerCompression compression);

// Every layer of `m` (already in `store`) against `config.diff_ids`: same count, same digests.
// kInvalidArgument naming the layer and both digests on a mismatch.
Status VerifyDiffIds(const ImageStore& store, const Manifest& m, const ImageConfig& config);

}  // namespace cairn::image::import_internal
