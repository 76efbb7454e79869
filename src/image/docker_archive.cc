#include "image/docker_archive.h"

#include <nlohmann/json.hpp>

#include "image/import_layer.h"
#include "image/oci_types.h"

namespace cairn::image::import_internal {
namespace {

using nlohmann::json;

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message), "manifest.json");
}

Result<std::vector<std::string>> Strings(const json& j, const char* key, size_t i) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array())
    return Invalid("entry " + std::to_string(i) + ": " + key + " must be a list");
  for (const json& v : *it) {
    if (!v.is_string()) {
      return Invalid("entry " + std::to_string(i) + ": " + key + " must hold strings");
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

// Tags from the legacy `repositories` file whose top layer id is the directory of `top_layer`.
std::vector<std::string> LegacyTags(const json& repositories, const std::string& top_layer) {
  std::vector<std::string> out;
  size_t slash = top_layer.find('/');
  if (slash == std::string::npos || !repositories.is_object()) return out;
  const std::string id = top_layer.substr(0, slash);
  for (const auto& [name, tags] : repositories.items()) {
    if (!tags.is_object()) continue;
    for (const auto& [tag, layer_id] : tags.items()) {
      if (layer_id == id) out.push_back(name + ":" + tag);
    }
  }
  return out;
}

std::string_view MediaTypeFor(LayerCompression c) {
  switch (c) {
    case LayerCompression::kGzip:
      return kMediaTypeLayerGzip;
    case LayerCompression::kZstd:
      return kMediaTypeLayerZstd;
    case LayerCompression::kNone:
      break;
  }
  return kMediaTypeLayerTar;
}

}  // namespace

Result<std::vector<DockerEntry>> ReadDockerManifest(const TarContents& contents,
                                                    const std::string& source_ref) {
  json manifest = json::parse(contents.small_files.at("manifest.json"), nullptr, false);
  if (manifest.is_discarded() || !manifest.is_array()) {
    return Invalid("must be a JSON array of images");
  }
  json repositories;
  if (auto r = contents.small_files.find("repositories"); r != contents.small_files.end()) {
    repositories = json::parse(r->second, nullptr, false);
  }
  std::vector<DockerEntry> out;
  std::string names;
  for (size_t i = 0; i < manifest.size(); ++i) {
    const json& e = manifest[i];
    if (!e.is_object() || !e.contains("Config") || !e["Config"].is_string()) {
      return Invalid("entry " + std::to_string(i) + " needs a Config file name");
    }
    DockerEntry entry;
    entry.config = e["Config"].get<std::string>();
    auto layers = Strings(e, "Layers", i);
    if (!layers) return layers.error();
    entry.layers = std::move(*layers);
    auto tags = Strings(e, "RepoTags", i);
    if (!tags) return tags.error();
    entry.repo_tags = std::move(*tags);
    if (entry.repo_tags.empty() && !entry.layers.empty()) {
      entry.repo_tags = LegacyTags(repositories, entry.layers.back());
    }
    bool wanted = source_ref.empty();
    for (const std::string& t : entry.repo_tags) {
      names += (names.empty() ? "" : ", ") + t;
      if (t == source_ref) wanted = true;
    }
    if (wanted) out.push_back(std::move(entry));
  }
  if (out.empty()) {
    return MakeError(ErrorCode::kNotFound,
                     source_ref.empty() ? "lists no image"
                                        : "no image tagged \"" + source_ref +
                                              "\" in the archive (it holds: " + names + ")",
                     "manifest.json");
  }
  return out;
}

Result<StagedImage> ConvertDockerImage(const DockerEntry& entry, const TarContents& contents,
                                       ImportBatch& batch) {
  auto config_blob = contents.Lookup(entry.config);
  if (!config_blob) {
    return MakeError(
        ErrorCode::kNotFound,
        "manifest.json names config " + entry.config + ", which the archive does not hold",
        "manifest.json");
  }
  const uint64_t cap = batch.store().options().max_document_size;
  if (config_blob->size > cap) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "image config is " + std::to_string(config_blob->size) + " bytes, over the " +
                         std::to_string(cap) + "-byte cap for image metadata",
                     entry.config);
  }
  Manifest m;
  m.config =
      Descriptor{std::string(kMediaTypeImageConfig), config_blob->digest, config_blob->size, {}};
  auto config_bytes = batch.ReadDocument(m.config);
  if (!config_bytes) return config_bytes.error();
  auto config = ParseConfig(*config_bytes);
  if (!config) return MakeError(config.error().code, config.error().message, entry.config);
  if (config->diff_ids.size() != entry.layers.size()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "manifest.json lists " + std::to_string(entry.layers.size()) +
                         " layers but the config's rootfs.diff_ids lists " +
                         std::to_string(config->diff_ids.size()),
                     entry.config);
  }

  std::vector<std::string> paths;
  for (const std::string& name : entry.layers) {
    auto blob = contents.Lookup(name);
    if (!blob) {
      return MakeError(ErrorCode::kNotFound,
                       "manifest.json names layer " + name + ", which the archive does not hold",
                       "manifest.json");
    }
    Descriptor layer{"", blob->digest, blob->size, {}};
    auto path = batch.Path(layer);
    if (!path) return path.error();
    auto compression = SniffCompression(*path);
    if (!compression) return compression.error();
    layer.media_type = std::string(MediaTypeFor(*compression));
    m.layers.push_back(std::move(layer));
    paths.push_back(std::move(*path));
  }
  // Always against the diff_ids: the conversion keeps the config, so they must be true.
  if (Status s = CheckLayers(paths, m, *config, /*verify_diff_ids=*/true,
                             batch.store().options().unpack_limits);
      !s) {
    return s.error();
  }
  auto bytes = SerializeManifest(m);
  if (!bytes) return bytes.error();
  auto stored = batch.AddBytes(*bytes);
  if (!stored) return stored.error();
  return StagedImage{stored->digest, std::move(m)};
}

}  // namespace cairn::image::import_internal
