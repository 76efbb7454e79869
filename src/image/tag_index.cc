#include "image/tag_index.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "image/file_util.h"

namespace cairn::image {
namespace {

using nlohmann::json;

std::string IndexPath(const std::string& root) { return root + "/index.json"; }

const std::string* RefName(const Descriptor& d) {
  auto it = d.annotations.find(std::string(kAnnotationRefName));
  return it == d.annotations.end() ? nullptr : &it->second;
}

Result<json> LoadHistoryJson(const std::string& path) {
  auto text = ReadWholeFile(path);
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound)
      return json{{"version", 1}, {"tags", json::object()}};
    return text.error();
  }
  json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("tags") || !j["tags"].is_object()) {
    return MakeError(ErrorCode::kIo, "tag history is not valid JSON", path);
  }
  return j;
}

}  // namespace

Result<Index> LoadIndex(const std::string& root) {
  auto text = ReadWholeFile(IndexPath(root));
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound) return Index{};
    return text.error();
  }
  auto index = ParseIndex(*text);
  if (!index) {
    Error e = index.error();
    e.message = "index.json: " + e.message;
    e.context = IndexPath(root);
    return e;
  }
  return index;
}

Status SaveIndex(const std::string& root, const Index& index) {
  auto bytes = SerializeIndex(index);
  if (!bytes) return bytes.error();
  return WriteFileAtomic(IndexPath(root), *bytes);
}

std::optional<Descriptor> FindTag(const Index& index, const std::string& tag_name) {
  for (const Descriptor& d : index.manifests) {
    const std::string* name = RefName(d);
    if (name != nullptr && *name == tag_name) return d;
  }
  return std::nullopt;
}

std::optional<std::string> SetTag(Index& index, const std::string& tag_name, Descriptor manifest) {
  std::optional<std::string> previous = RemoveTag(index, tag_name);
  manifest.annotations[std::string(kAnnotationRefName)] = tag_name;
  index.manifests.push_back(std::move(manifest));
  // Tagged entries sorted by name, untagged ones (written by other tools) first in their order.
  std::stable_sort(index.manifests.begin(), index.manifests.end(),
                   [](const Descriptor& a, const Descriptor& b) {
                     const std::string* na = RefName(a);
                     const std::string* nb = RefName(b);
                     if (na == nullptr || nb == nullptr) return na == nullptr && nb != nullptr;
                     return *na < *nb;
                   });
  return previous;
}

std::optional<std::string> RemoveTag(Index& index, const std::string& tag_name) {
  std::optional<std::string> previous;
  std::erase_if(index.manifests, [&](const Descriptor& d) {
    const std::string* name = RefName(d);
    if (name == nullptr || *name != tag_name) return false;
    previous = d.digest;
    return true;
  });
  return previous;
}

Result<std::vector<TagEvent>> LoadTagHistory(const std::string& history_path,
                                             const std::string& tag_name) {
  auto j = LoadHistoryJson(history_path);
  if (!j) return j.error();
  std::vector<TagEvent> out;
  const json& tags = (*j)["tags"];
  auto it = tags.find(tag_name);
  if (it == tags.end() || !it->is_array()) return out;
  for (const json& e : *it) {
    if (!e.is_object()) continue;
    out.push_back(TagEvent{e.value("digest", ""), e.value("at", "")});
  }
  return out;
}

Status AppendTagHistory(const std::string& history_path, const std::string& tag_name,
                        const TagEvent& event, size_t max_events) {
  auto j = LoadHistoryJson(history_path);
  if (!j) return j.error();
  json& events = (*j)["tags"][tag_name];
  if (!events.is_array()) events = json::array();
  events.push_back({{"digest", event.digest}, {"at", event.at}});
  if (max_events > 0 && events.size() > max_events) {
    events.erase(events.begin(), events.begin() + static_cast<long>(events.size() - max_events));
  }
  return WriteFileAtomic(history_path, j->dump(2) + "\n");
}

}  // namespace cairn::image
