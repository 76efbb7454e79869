#include "image/oci_types.h"

#include <nlohmann/json.hpp>

#include "core/sha256.h"

namespace cairn::image {
namespace {

using nlohmann::json;

// nlohmann::json keeps objects in a std::map, so dump() emits keys sorted: with no indent that is
// the canonical form. Strict UTF-8: a replacement character would silently change the digest.
Result<std::string> Canonical(const json& j, std::string_view what) {
  try {
    return j.dump(-1, ' ', false, json::error_handler_t::strict);
  } catch (const json::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(what) + " holds a string that is not valid UTF-8", e.what());
  }
}

Error Invalid(std::string_view what, std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message), std::string(what));
}

json DescriptorToJson(const Descriptor& d) {
  json j = {{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  return j;
}

Result<std::map<std::string, std::string>> StringMap(const json& j, std::string_view what) {
  if (!j.is_object()) return Invalid(what, "must be an object of strings");
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string()) return Invalid(what, "value of \"" + k + "\" must be a string");
    out[k] = v.get<std::string>();
  }
  return out;
}

Result<std::vector<std::string>> StringList(const json& j, std::string_view what) {
  if (j.is_null()) return std::vector<std::string>{};
  if (!j.is_array()) return Invalid(what, "must be an array of strings");
  std::vector<std::string> out;
  for (const auto& v : j) {
    if (!v.is_string()) return Invalid(what, "must be an array of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<Descriptor> DescriptorFromJson(const json& j, std::string_view what) {
  if (!j.is_object()) return Invalid(what, "descriptor must be an object");
  Descriptor d;
  auto mt = j.find("mediaType");
  if (mt == j.end() || !mt->is_string() || mt->get<std::string>().empty()) {
    return Invalid(what, "descriptor needs a mediaType");
  }
  d.media_type = mt->get<std::string>();
  auto dg = j.find("digest");
  if (dg == j.end() || !dg->is_string() || !IsSha256Digest(dg->get<std::string>())) {
    return Invalid(what, "descriptor needs a digest of the form sha256:<64 hex>");
  }
  d.digest = dg->get<std::string>();
  auto sz = j.find("size");
  if (sz == j.end() || !sz->is_number_integer() || (sz->is_number_integer() && *sz < 0)) {
    return Invalid(what, "descriptor needs a non-negative integer size");
  }
  d.size = sz->get<uint64_t>();
  if (auto a = j.find("annotations"); a != j.end()) {
    auto m = StringMap(*a, std::string(what) + ".annotations");
    if (!m) return m.error();
    d.annotations = std::move(*m);
  }
  return d;
}

Result<json> ParseObject(std::string_view bytes, std::string_view what) {
  json j = json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Invalid(what, "is not valid JSON");
  if (!j.is_object()) return Invalid(what, "must be a JSON object");
  return j;
}

Status CheckSchemaVersion(const json& j, std::string_view what) {
  auto sv = j.find("schemaVersion");
  if (sv == j.end() || !sv->is_number_integer() || *sv != 2) {
    return Invalid(what, "schemaVersion must be 2");
  }
  return OkStatus();
}

// The document's own mediaType (when present) and the descriptor's must both name `expected`.
Status CheckMediaType(const json& j, std::string_view expected, std::string_view descriptor_mt,
                      std::string_view what) {
  if (auto mt = j.find("mediaType"); mt != j.end()) {
    if (!mt->is_string() || mt->get<std::string>() != expected) {
      return Invalid(what, "mediaType " + mt->dump() + " disagrees with the content (expected " +
                               std::string(expected) + ")");
    }
  }
  if (!descriptor_mt.empty() && descriptor_mt != expected) {
    return Invalid(what, "descriptor says " + std::string(descriptor_mt) +
                             " but the document is an " + std::string(expected));
  }
  return OkStatus();
}

}  // namespace

bool IsLayerMediaType(std::string_view mt) {
  return mt == kMediaTypeLayerTar || mt == kMediaTypeLayerGzip || mt == kMediaTypeLayerZstd;
}

Result<std::string> SerializeManifest(const Manifest& m) {
  json layers = json::array();
  for (const Descriptor& l : m.layers) layers.push_back(DescriptorToJson(l));
  json j = {{"schemaVersion", 2},
            {"mediaType", kMediaTypeImageManifest},
            {"config", DescriptorToJson(m.config)},
            {"layers", layers}};
  if (!m.annotations.empty()) j["annotations"] = m.annotations;
  return Canonical(j, "manifest");
}

Result<std::string> SerializeConfig(const ImageConfig& c) {
  json cfg = json::object();
  if (!c.entrypoint.empty()) cfg["Entrypoint"] = c.entrypoint;
  if (!c.cmd.empty()) cfg["Cmd"] = c.cmd;
  if (!c.env.empty()) cfg["Env"] = c.env;
  if (!c.working_dir.empty()) cfg["WorkingDir"] = c.working_dir;
  if (!c.labels.empty()) cfg["Labels"] = c.labels;
  json j = {{"architecture", c.architecture},
            {"os", c.os},
            {"config", cfg},
            {"rootfs", {{"type", "layers"}, {"diff_ids", c.diff_ids}}}};
  if (!c.created.empty()) {
    j["created"] = c.created;
    json history = json::array();
    for (size_t i = 0; i < c.diff_ids.size(); ++i) {
      history.push_back({{"created", c.created}, {"created_by", "cairn image build"}});
    }
    j["history"] = history;
  }
  return Canonical(j, "image config");
}

Result<std::string> SerializeIndex(const Index& i) {
  json manifests = json::array();
  for (const Descriptor& d : i.manifests) manifests.push_back(DescriptorToJson(d));
  json j = {{"schemaVersion", 2}, {"mediaType", kMediaTypeImageIndex}, {"manifests", manifests}};
  if (!i.annotations.empty()) j["annotations"] = i.annotations;
  return Canonical(j, "index");
}

Result<Manifest> ParseManifest(std::string_view bytes, std::string_view descriptor_mt) {
  constexpr std::string_view kWhat = "manifest";
  auto j = ParseObject(bytes, kWhat);
  if (!j) return j.error();
  if (j->contains("manifests")) {
    return Invalid(kWhat, "ambiguous document: an image manifest must not carry \"manifests\"");
  }
  if (Status s = CheckMediaType(*j, kMediaTypeImageManifest, descriptor_mt, kWhat); !s) {
    return s.error();
  }
  if (Status s = CheckSchemaVersion(*j, kWhat); !s) return s.error();
  Manifest m;
  auto cfg = j->find("config");
  if (cfg == j->end()) return Invalid(kWhat, "image manifest has no config");
  auto config = DescriptorFromJson(*cfg, "manifest.config");
  if (!config) return config.error();
  if (config->media_type != kMediaTypeImageConfig) {
    return Invalid("manifest.config", "unsupported config mediaType " + config->media_type);
  }
  m.config = std::move(*config);
  auto layers = j->find("layers");
  if (layers == j->end() || !layers->is_array()) {
    return Invalid(kWhat, "image manifest needs a layers array");
  }
  for (size_t i = 0; i < layers->size(); ++i) {
    std::string what = "manifest.layers[" + std::to_string(i) + "]";
    auto d = DescriptorFromJson((*layers)[i], what);
    if (!d) return d.error();
    if (!IsLayerMediaType(d->media_type)) {
      return Invalid(what, "unsupported layer mediaType " + d->media_type);
    }
    m.layers.push_back(std::move(*d));
  }
  if (auto a = j->find("annotations"); a != j->end()) {
    auto map = StringMap(*a, "manifest.annotations");
    if (!map) return map.error();
    m.annotations = std::move(*map);
  }
  return m;
}

Result<ImageConfig> ParseConfig(std::string_view bytes) {
  constexpr std::string_view kWhat = "image config";
  auto j = ParseObject(bytes, kWhat);
  if (!j) return j.error();
  ImageConfig c;
  auto str = [&](const char* key, std::string* out) -> Status {
    auto it = j->find(key);
    if (it == j->end() || it->is_null()) return OkStatus();
    if (!it->is_string()) return Invalid(kWhat, std::string(key) + " must be a string");
    *out = it->get<std::string>();
    return OkStatus();
  };
  if (Status s = str("created", &c.created); !s) return s.error();
  if (Status s = str("architecture", &c.architecture); !s) return s.error();
  if (Status s = str("os", &c.os); !s) return s.error();
  if (auto cfg = j->find("config"); cfg != j->end() && !cfg->is_null()) {
    if (!cfg->is_object()) return Invalid(kWhat, "config must be an object");
    auto list = [&](const char* key, std::vector<std::string>* out) -> Status {
      auto it = cfg->find(key);
      if (it == cfg->end()) return OkStatus();
      auto l = StringList(*it, std::string("config.") + key);
      if (!l) return l.error();
      *out = std::move(*l);
      return OkStatus();
    };
    if (Status s = list("Entrypoint", &c.entrypoint); !s) return s.error();
    if (Status s = list("Cmd", &c.cmd); !s) return s.error();
    if (Status s = list("Env", &c.env); !s) return s.error();
    if (auto wd = cfg->find("WorkingDir"); wd != cfg->end() && !wd->is_null()) {
      if (!wd->is_string()) return Invalid(kWhat, "config.WorkingDir must be a string");
      c.working_dir = wd->get<std::string>();
    }
    if (auto lb = cfg->find("Labels"); lb != cfg->end() && !lb->is_null()) {
      auto m = StringMap(*lb, "config.Labels");
      if (!m) return m.error();
      c.labels = std::move(*m);
    }
  }
  auto rootfs = j->find("rootfs");
  if (rootfs == j->end() || !rootfs->is_object()) return Invalid(kWhat, "rootfs is missing");
  auto type = rootfs->find("type");
  if (type == rootfs->end() || *type != "layers") {
    return Invalid(kWhat, "rootfs.type must be \"layers\"");
  }
  auto ids = StringList(rootfs->value("diff_ids", json::array()), "rootfs.diff_ids");
  if (!ids) return ids.error();
  for (const std::string& id : *ids) {
    if (!IsSha256Digest(id)) return Invalid(kWhat, "rootfs.diff_ids holds a malformed digest");
  }
  c.diff_ids = std::move(*ids);
  return c;
}

Result<Index> ParseIndex(std::string_view bytes) {
  constexpr std::string_view kWhat = "index";
  auto j = ParseObject(bytes, kWhat);
  if (!j) return j.error();
  if (j->contains("layers") || j->contains("config")) {
    return Invalid(kWhat,
                   "ambiguous document: an image index must not carry \"layers\" or "
                   "\"config\"");
  }
  if (Status s = CheckMediaType(*j, kMediaTypeImageIndex, "", kWhat); !s) return s.error();
  if (Status s = CheckSchemaVersion(*j, kWhat); !s) return s.error();
  Index idx;
  auto ms = j->find("manifests");
  if (ms == j->end() || !ms->is_array()) return Invalid(kWhat, "index needs a manifests array");
  for (size_t i = 0; i < ms->size(); ++i) {
    auto d = DescriptorFromJson((*ms)[i], "index.manifests[" + std::to_string(i) + "]");
    if (!d) return d.error();
    idx.manifests.push_back(std::move(*d));
  }
  if (auto a = j->find("annotations"); a != j->end()) {
    auto map = StringMap(*a, "index.annotations");
    if (!map) return map.error();
    idx.annotations = std::move(*map);
  }
  return idx;
}

}  // namespace cairn::image
