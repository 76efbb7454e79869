// ImageStore::Build: a directory into a one-layer image — layer, config, manifest, then the tag.
#include <ctime>

#include "image/reference.h"
#include "image/store.h"

namespace cairn::image {
namespace {

// RFC 3339 seconds, UTC: the config's "created" for a fixed SOURCE_DATE_EPOCH.
std::string FormatEpoch(int64_t secs) {
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Status CheckEnv(const std::vector<std::string>& env) {
  for (const std::string& e : env) {
    size_t eq = e.find('=');
    if (eq == std::string::npos || eq == 0) {
      return MakeError(ErrorCode::kInvalidArgument, "environment entries must be KEY=value", e);
    }
  }
  return OkStatus();
}

}  // namespace

std::string HostArchitecture() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__arm__)
  return "arm";
#elif defined(__i386__)
  return "386";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "ppc64le";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#else
  return "unknown";
#endif
}

Result<std::string> ImageStore::Build(const std::string& dir, const BuildOptions& options) {
  if (!options.tag.empty()) {
    // Refuse a bad tag before doing the (possibly long) build.
    if (auto ref = ParseTagReference(options.tag); !ref) return ref.error();
  }
  if (Status s = CheckEnv(options.env); !s) return s.error();
  if (options.source_date_epoch < 0) {
    return MakeError(ErrorCode::kInvalidArgument, "source_date_epoch must not be negative");
  }
  auto layer = BuildLayer(dir, options.compression, options.source_date_epoch, blobs_);
  if (!layer) return layer.error();

  ImageConfig config;
  config.created = FormatEpoch(options.source_date_epoch);
  config.architecture = options.architecture.empty() ? HostArchitecture() : options.architecture;
  config.os = "linux";
  config.entrypoint = options.entrypoint;
  config.cmd = options.cmd;
  config.env = options.env;
  config.working_dir = options.workdir;
  config.labels = options.labels;
  config.diff_ids = {layer->diff_id};
  auto config_bytes = SerializeConfig(config);
  if (!config_bytes) return config_bytes.error();
  auto config_blob = blobs_.Put(*config_bytes);
  if (!config_blob) return config_blob.error();

  Manifest manifest;
  manifest.config =
      Descriptor{std::string(kMediaTypeImageConfig), config_blob->digest, config_blob->size, {}};
  manifest.layers.push_back(
      Descriptor{layer->media_type, layer->blob.digest, layer->blob.size, {}});
  auto manifest_bytes = SerializeManifest(manifest);
  if (!manifest_bytes) return manifest_bytes.error();
  auto desc = PutManifest(*manifest_bytes);
  if (!desc) return desc.error();
  if (!options.tag.empty()) {
    if (Status s = Tag(options.tag, desc->digest); !s) return s.error();
  }
  return desc->digest;
}

}  // namespace cairn::image
