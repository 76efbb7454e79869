// Docker archives (`docker save`, `podman save`, `skopeo copy ... docker-archive:`) converted to
// OCI images. manifest.json lists, per image, the config file, the layer files lowest first and
// the RepoTags; the legacy `repositories` file ({"name": {"tag": "<top layer id>"}}) supplies
// tags when RepoTags is empty.
//
// Conversion keeps the config bytes as they are (Docker's config is the OCI config plus fields
// OCI tools ignore), so the config digest — Docker's image ID — survives the import. Layers are
// stored as they are in the archive: an uncompressed tar becomes an
// application/vnd.oci.image.layer.v1.tar whose digest is its diff_id (no recompression, so the
// import is deterministic and costs one copy); a gzip or zstd layer keeps its compression and
// media type. Every layer is checked against the unpack rules and its diff_id against the
// config's rootfs.diff_ids before the manifest is written (import_layer.h).
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "image/import_layout.h"
#include "image/import_tar.h"

namespace cairn::image::import_internal {

struct DockerEntry {
  std::string config;                  // archive file name of the config
  std::vector<std::string> layers;     // archive file names, lowest first
  std::vector<std::string> repo_tags;  // "name:tag", as the archive writes them
};

// manifest.json (and `repositories` for entries without RepoTags), keeping only the entry with
// `source_ref` among its RepoTags when it is not empty.
Result<std::vector<DockerEntry>> ReadDockerManifest(const TarContents& contents,
                                                    const std::string& source_ref);

// Writes the OCI manifest for `entry` into the batch (its blobs are there already, see
// IngestTar) after checking every layer (CheckLayers: the unpack rules and the diff_ids).
Result<StagedImage> ConvertDockerImage(const DockerEntry& entry, const TarContents& contents,
                                       ImportBatch& batch);

}  // namespace cairn::image::import_internal
