// DiffJson: both documents flattened to their leaves, keyed by path, then merged in order.
//
// Paths read as a person writes them: "env.LOG_LEVEL", "ports.http.listen", "args[1]". A key
// that would make the path ambiguous (a '.', '[' or anything but [A-Za-z0-9_-]) is written
// quoted: env["A.B"]. Order is segment by segment with array indexes numeric, so "args[2]"
// comes before "args[10]" and every "env.*" before "env_x".
//
// An empty object or array is a leaf of its own ({} or []), unless the other document has
// leaves beneath the same path: then the additions or removals below say it all.
#include <algorithm>
#include <map>
#include <variant>

#include "plan/plan.h"

namespace cairn::plan {
namespace {

using nlohmann::json;

// An object key or an array index.
using Segment = std::variant<size_t, std::string>;
using Path = std::vector<Segment>;
using Leaves = std::map<Path, json>;

void Flatten(const json& node, Path* path, Leaves* out) {
  if ((node.is_object() || node.is_array()) && !node.empty()) {
    if (node.is_object()) {
      for (const auto& [key, child] : node.items()) {
        path->push_back(key);
        Flatten(child, path, out);
        path->pop_back();
      }
    } else {
      for (size_t i = 0; i < node.size(); ++i) {
        path->push_back(i);
        Flatten(node[i], path, out);
        path->pop_back();
      }
    }
    return;
  }
  (*out)[*path] = node;
}

bool IsPlainKey(const std::string& key) {
  if (key.empty()) return false;
  for (char c : key) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-';
    if (!plain) return false;
  }
  return true;
}

std::string PathText(const Path& path) {
  std::string out;
  for (const Segment& segment : path) {
    if (const size_t* index = std::get_if<size_t>(&segment)) {
      out += "[" + std::to_string(*index) + "]";
      continue;
    }
    const std::string& key = std::get<std::string>(segment);
    if (IsPlainKey(key)) {
      if (!out.empty()) out += ".";
      out += key;
    } else {
      out += "[" + json(key).dump(-1, ' ', false, json::error_handler_t::replace) + "]";
    }
  }
  return out;
}

bool IsEmptyContainer(const json& value) {
  return (value.is_object() || value.is_array()) && value.empty();
}

// True when `leaves` holds a path strictly below `path`. Extensions of a path sort right
// after it, so only the next entry needs looking at.
bool HasLeavesBelow(const Leaves& leaves, const Path& path) {
  auto it = leaves.upper_bound(path);
  if (it == leaves.end() || it->first.size() <= path.size()) return false;
  return std::equal(path.begin(), path.end(), it->first.begin());
}

}  // namespace

std::vector<FieldChange> DiffJson(const json& old_doc, const json& new_doc) {
  Leaves old_leaves;
  Leaves new_leaves;
  Path scratch;
  Flatten(old_doc, &scratch, &old_leaves);
  Flatten(new_doc, &scratch, &new_leaves);

  std::vector<FieldChange> changes;
  auto old_it = old_leaves.begin();
  auto new_it = new_leaves.begin();
  while (old_it != old_leaves.end() || new_it != new_leaves.end()) {
    bool take_old =
        new_it == new_leaves.end() || (old_it != old_leaves.end() && old_it->first < new_it->first);
    bool take_new =
        old_it == old_leaves.end() || (new_it != new_leaves.end() && new_it->first < old_it->first);
    if (take_old) {  // only in the old document
      if (!(IsEmptyContainer(old_it->second) && HasLeavesBelow(new_leaves, old_it->first))) {
        changes.push_back({PathText(old_it->first), old_it->second, std::nullopt});
      }
      ++old_it;
    } else if (take_new) {  // only in the new document
      if (!(IsEmptyContainer(new_it->second) && HasLeavesBelow(old_leaves, new_it->first))) {
        changes.push_back({PathText(new_it->first), std::nullopt, new_it->second});
      }
      ++new_it;
    } else {  // in both
      if (old_it->second != new_it->second) {
        changes.push_back({PathText(old_it->first), old_it->second, new_it->second});
      }
      ++old_it;
      ++new_it;
    }
  }
  return changes;
}

}  // namespace cairn::plan
