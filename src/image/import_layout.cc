#include "image/import_layout.h"

#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>
#include <vector>

#include "image/file_util.h"
#include "image/import_layer.h"
#include "image/input_file.h"

namespace cairn::image::import_internal {
namespace {

using nlohmann::json;

constexpr std::string_view kContainerdName = "io.containerd.image.name";
constexpr int kMaxIndexDepth = 4;

Status CheckDocumentSize(const Descriptor& d, uint64_t cap, std::string_view what) {
  if (d.size > cap) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(what) + " is " + std::to_string(d.size) + " bytes, over the " +
                         std::to_string(cap) + "-byte cap for image metadata",
                     d.digest);
  }
  return OkStatus();
}

// Fetches a manifest, index or config and reads it back from the batch (digest re-checked).
Result<std::string> FetchDocument(const Descriptor& d, LayoutSource& source,
                                  const ImportBatch& batch, std::string_view what) {
  if (Status s = CheckDocumentSize(d, batch.store().options().max_document_size, what); !s) {
    return s.error();
  }
  if (Status s = source.Fetch(d); !s) return s.error();
  return batch.ReadDocument(d);
}

std::string PlatformName(const json& p) {
  if (!p.is_object()) return "unknown";
  std::string out = p.value("os", "?") + "/" + p.value("architecture", "?");
  if (p.contains("variant") && p["variant"].is_string())
    out += "/" + p["variant"].get<std::string>();
  return out;
}

// The index's entry for os/arch. kNotFound listing what the index offers when none matches.
Result<Descriptor> PickPlatform(const std::string& bytes, const Descriptor& index_desc,
                                const std::string& os, const std::string& arch) {
  auto index = ParseIndex(bytes);  // the strict checks (ambiguity, schemaVersion)
  if (!index) return index.error();
  // Descriptor drops "platform", so read it from the JSON; ParseIndex already vetted its shape.
  json j = json::parse(bytes, nullptr, false);
  const json& entries = j["manifests"];
  std::string offered;
  for (size_t i = 0; i < index->manifests.size(); ++i) {
    const json& platform = entries[i].contains("platform") ? entries[i]["platform"] : json();
    if (platform.is_object() && platform.value("os", "") == os &&
        platform.value("architecture", "") == arch) {
      return index->manifests[i];
    }
    offered += (offered.empty() ? "" : ", ") + PlatformName(platform);
  }
  return MakeError(ErrorCode::kNotFound,
                   "the image index has no manifest for " + os + "/" + arch + " (it offers " +
                       (offered.empty() ? std::string("nothing") : offered) + ")",
                   index_desc.digest);
}

Error UnsupportedMediaType(const Descriptor& d) {
  std::string hint = d.media_type.find("docker") != std::string::npos
                         ? "; convert it to OCI first (skopeo copy --format oci)"
                         : "";
  return MakeError(ErrorCode::kInvalidArgument,
                   "unsupported manifest media type " + d.media_type + hint, d.digest);
}

Result<StagedImage> ImportManifest(const Descriptor& desc, LayoutSource& source, ImportBatch& batch,
                                   const ImportOptions& options) {
  auto bytes = FetchDocument(desc, source, batch, "manifest");
  if (!bytes) return bytes.error();
  auto m = ParseManifest(*bytes, desc.media_type);
  if (!m) return MakeError(m.error().code, m.error().message, desc.digest);
  auto config_bytes = FetchDocument(m->config, source, batch, "image config");
  if (!config_bytes) return config_bytes.error();
  auto config = ParseConfig(*config_bytes);
  if (!config) return MakeError(config.error().code, config.error().message, m->config.digest);
  std::vector<std::string> paths;
  for (const Descriptor& layer : m->layers) {
    if (Status s = source.Fetch(layer); !s) return s.error();
    auto path = batch.Path(layer);
    if (!path) return path.error();
    paths.push_back(std::move(*path));
  }
  if (Status s = CheckLayers(paths, *m, *config, options.verify_diff_ids,
                             batch.store().options().unpack_limits);
      !s) {
    return s.error();
  }
  return StagedImage{desc.digest, std::move(*m)};
}

}  // namespace

Status DirSource::Fetch(const Descriptor& d) {
  if (Status s = BlobStore::CheckDigest(d.digest); !s) return s;
  const std::string relative = "blobs/sha256/" + d.digest.substr(7);
  const std::string path = dir_ + "/" + relative;
  auto fd = OpenInputFileAt(dir_fd_, relative, path);
  if (!fd) {
    if (fd.error().code == ErrorCode::kNotFound) {
      return MakeError(ErrorCode::kNotFound, "the layout does not hold this blob", d.digest);
    }
    return fd.error();
  }
  auto writer = batch_.NewWriter(BlobExpectation{d.digest, d.size});
  if (!writer) return writer.error();
  std::vector<char> buf(1 << 16);
  for (;;) {
    ssize_t n = ::read(fd->get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("read blob", path, errno);
    if (n == 0) break;
    if (Status s = (*writer)->Write(buf.data(), static_cast<size_t>(n)); !s) return s;
  }
  if (auto info = batch_.Add(std::move(*writer)); !info) return info.error();
  return OkStatus();
}

Result<std::vector<LayoutEntry>> ReadLayoutIndex(std::string_view oci_layout,
                                                 std::string_view index_json,
                                                 const std::string& source_ref) {
  json layout = json::parse(oci_layout, nullptr, false);
  if (layout.is_discarded() || !layout.is_object() || !layout.contains("imageLayoutVersion")) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "oci-layout is not a JSON object with an imageLayoutVersion", "oci-layout");
  }
  if (layout["imageLayoutVersion"] != "1.0.0") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "unsupported imageLayoutVersion " + layout["imageLayoutVersion"].dump() +
                         " (cairn reads 1.0.0)",
                     "oci-layout");
  }
  auto index = ParseIndex(index_json);
  if (!index) return MakeError(index.error().code, index.error().message, "index.json");
  std::vector<LayoutEntry> out;
  std::string names;
  for (const Descriptor& d : index->manifests) {
    LayoutEntry e{d, ""};
    if (auto it = d.annotations.find(std::string(kAnnotationRefName)); it != d.annotations.end()) {
      e.ref_name = it->second;
    }
    // docker save (25+) writes the bare tag as ref.name and the full name for containerd.
    auto full = d.annotations.find(std::string(kContainerdName));
    if (full != d.annotations.end() && e.ref_name.find_first_of(":/") == std::string::npos) {
      e.ref_name = full->second;
    }
    names += (names.empty() ? "" : ", ") + (e.ref_name.empty() ? d.digest : e.ref_name);
    if (source_ref.empty() || e.ref_name == source_ref) out.push_back(std::move(e));
  }
  if (out.empty()) {
    return MakeError(ErrorCode::kNotFound,
                     source_ref.empty() ? "index.json lists no image"
                                        : "no image named \"" + source_ref +
                                              "\" in the source (it holds: " + names + ")",
                     "index.json");
  }
  return out;
}

Result<StagedImage> ImportLayoutEntry(const LayoutEntry& entry, LayoutSource& source,
                                      ImportBatch& batch, const ImportOptions& options) {
  const std::string os = options.os.empty() ? "linux" : options.os;
  const std::string arch = options.architecture.empty() ? HostArchitecture() : options.architecture;
  Descriptor d = entry.descriptor;
  for (int depth = 0;; ++depth) {
    if (d.media_type == kMediaTypeImageManifest) return ImportManifest(d, source, batch, options);
    if (d.media_type != kMediaTypeImageIndex) return UnsupportedMediaType(d);
    if (depth == kMaxIndexDepth) {
      return MakeError(ErrorCode::kInvalidArgument, "image indexes nested too deeply", d.digest);
    }
    auto bytes = FetchDocument(d, source, batch, "image index");
    if (!bytes) return bytes.error();
    auto picked = PickPlatform(*bytes, d, os, arch);
    if (!picked) return picked.error();
    d = *picked;
  }
}

}  // namespace cairn::image::import_internal
