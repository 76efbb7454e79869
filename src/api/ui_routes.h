// The dashboard's routes: the files of src/api/ui/ (embedded in the binary, ui_assets.h) under
// /ui/. The page itself reads the JSON API and the event stream like any other client; these
// routes only hand out its files. Pure: no controller, no I/O, so any thread may call them.
#pragma once

#include <string>
#include <string_view>

#include "api/routes.h"

namespace cairn::api {

// True for the paths the dashboard answers: "/", "/ui" and everything under "/ui/".
bool IsUiPath(const std::string& path);

// "/" and "/ui" redirect to "/ui/", which is index.html; "/ui/NAME" is the embedded file NAME
// with its content type, `Cache-Control: no-cache` and an ETag. `if_none_match` is the request's
// If-None-Match header: when it names the file's ETag the answer is 304 with no body, so a
// reload revalidates instead of downloading again. Unknown names are 404, other methods 405.
Reply UiRoute(const Request& request, std::string_view if_none_match);

}  // namespace cairn::api
