#include "image/safe_path.h"

#include <climits>

namespace cairn::image::unpack_internal {

Result<std::vector<std::string>> SplitLayerPath(std::string_view name) {
  if (name.size() >= PATH_MAX) {
    return MakeError(ErrorCode::kInvalidArgument, "entry name is " + std::to_string(name.size()) +
                                                      " bytes, at or over PATH_MAX (" +
                                                      std::to_string(PATH_MAX) + ")");
  }
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= name.size()) {
    size_t slash = name.find('/', pos);
    if (slash == std::string_view::npos) slash = name.size();
    std::string_view part = name.substr(pos, slash - pos);
    pos = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      return MakeError(ErrorCode::kInvalidArgument,
                       "entry name has a '..' component (path traversal)");
    }
    if (part.size() > NAME_MAX) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "entry name has a component of " + std::to_string(part.size()) +
                           " bytes, over NAME_MAX (" + std::to_string(NAME_MAX) + ")");
    }
    parts.emplace_back(part);
  }
  return parts;
}

std::string JoinLayerPath(const std::vector<std::string>& components) {
  if (components.empty()) return ".";
  std::string out;
  for (const std::string& part : components) {
    if (!out.empty()) out.push_back('/');
    out += part;
  }
  return out;
}

}  // namespace cairn::image::unpack_internal
