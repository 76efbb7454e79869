// The OCI types the store reads and writes (image-spec v1.0): descriptors, image manifests, image
// configs and the image index, with one canonical serialization (keys sorted, no whitespace) so a
// document built twice from the same values hashes to the same digest.
//
// Parsing is strict where ambiguity is a security problem: an image manifest that also carries
// `manifests`, an index that also carries `layers`/`config`, or a `mediaType` that disagrees with
// the content or with the descriptor that pointed at it is refused (the CVE-2021-41190 shape, where
// two tools read one document as two different things).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace cairn::image {

inline constexpr std::string_view kMediaTypeImageManifest =
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kMediaTypeImageIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kMediaTypeImageConfig =
    "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kMediaTypeLayerTar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kMediaTypeLayerGzip =
    "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kMediaTypeLayerZstd =
    "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kAnnotationRefName = "org.opencontainers.image.ref.name";

struct Descriptor {
  std::string media_type;
  std::string digest;  // "sha256:<hex>"
  uint64_t size = 0;
  std::map<std::string, std::string> annotations;

  bool operator==(const Descriptor&) const = default;
};

struct Manifest {
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;
};

// The parts of an image config cairn uses; unknown fields of a read config are ignored.
struct ImageConfig {
  std::string created;  // RFC 3339; empty when absent
  std::string architecture;
  std::string os;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "KEY=value", in order
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::vector<std::string> diff_ids;  // rootfs.diff_ids: sha256 of each uncompressed layer
};

struct Index {
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;
};

// Canonical bytes: keys sorted, no insignificant whitespace, UTF-8. kInvalidArgument when a string
// is not valid UTF-8 (an env value, a label) — it could not be serialized stably.
Result<std::string> SerializeManifest(const Manifest& m);
Result<std::string> SerializeConfig(const ImageConfig& c);
Result<std::string> SerializeIndex(const Index& i);

// `descriptor_media_type` is the mediaType of the descriptor that led here (empty when unknown);
// it must agree with the document.
Result<Manifest> ParseManifest(std::string_view bytes, std::string_view descriptor_media_type);
Result<ImageConfig> ParseConfig(std::string_view bytes);
Result<Index> ParseIndex(std::string_view bytes);

// True for the layer media types the store accepts (tar, tar+gzip, tar+zstd).
bool IsLayerMediaType(std::string_view media_type);

}  // namespace cairn::image
