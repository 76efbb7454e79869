#include "api/ui_routes.h"

#include "api/json_views.h"
#include "api/reply.h"
#include "api/ui_assets.h"

namespace cairn::api {
namespace {

constexpr std::string_view kPrefix = "/ui/";

Reply Redirect(const std::string& to) {
  Reply reply{302, "text/plain; charset=utf-8", "see " + to + "\n"};
  reply.headers.emplace_back("Location", to);
  return reply;
}

// If-None-Match is a list of ETags, or "*".
bool Matches(std::string_view if_none_match, std::string_view etag) {
  if (if_none_match == "*") return true;
  size_t pos = 0;
  while ((pos = if_none_match.find(etag, pos)) != std::string_view::npos) {
    size_t end = pos + etag.size();
    bool starts = pos == 0 || if_none_match[pos - 1] == ' ' || if_none_match[pos - 1] == ',' ||
                  if_none_match.substr(pos >= 2 ? pos - 2 : 0, 2) == "W/";
    bool ends =
        end == if_none_match.size() || if_none_match[end] == ',' || if_none_match[end] == ' ';
    if (starts && ends) return true;
    pos = end;
  }
  return false;
}

}  // namespace

bool IsUiPath(const std::string& path) {
  return path == "/" || path == "/ui" || path.starts_with(kPrefix);
}

Reply UiRoute(const Request& request, std::string_view if_none_match) {
  if (request.method != "GET") {
    Reply reply = ErrorReply(
        MakeError(ErrorCode::kInvalidArgument,
                  "method " + request.method + " is not allowed on " + request.path + "; use GET"));
    reply.status = 405;
    reply.headers.emplace_back("Allow", "GET");
    return reply;
  }
  if (request.path == "/" || request.path == "/ui") return Redirect(std::string(kPrefix));
  std::string_view name = std::string_view(request.path).substr(kPrefix.size());
  if (name.empty()) name = "index.html";
  for (const UiAsset& asset : UiAssets()) {
    if (asset.name != name) continue;
    Reply reply{200, std::string(asset.content_type), std::string(asset.body)};
    if (Matches(if_none_match, asset.etag)) {
      reply.status = 304;
      reply.body.clear();
    }
    // no-cache: the browser may keep a copy but asks each time, so a new cairn binary's
    // dashboard shows on the next reload, never a stale mix of old and new files.
    reply.headers.emplace_back("Cache-Control", "no-cache");
    reply.headers.emplace_back("ETag", std::string(asset.etag));
    reply.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return reply;
  }
  return ErrorReply(
      MakeError(ErrorCode::kNotFound, "the dashboard has no file " + std::string(request.path)));
}

}  // namespace cairn::api
