// The dashboard's files (src/api/ui/), compiled into the binary at build time by
// cmake/embed_files.cmake, so `cairn server` serves /ui with nothing installed beside it.
// Immutable data: any thread may read it.
#pragma once

#include <span>
#include <string_view>

namespace cairn::api {

struct UiAsset {
  std::string_view name;          // "index.html": the file name under src/api/ui/
  std::string_view content_type;  // from the extension, e.g. "text/css; charset=utf-8"
  std::string_view body;          // the file's bytes, exactly
  std::string_view etag;          // a quoted prefix of the file's SHA-256
};

// Every embedded file, in the order CMakeLists.txt lists them.
std::span<const UiAsset> UiAssets();

}  // namespace cairn::api
