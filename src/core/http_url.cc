#include "core/http_url.h"

#include <algorithm>
#include <cctype>

#include "core/terminal_text.h"

namespace cairn {

Result<HttpUrl> ParseHttpUrl(const std::string& url) {
  auto bad = [](const std::string& why) { return MakeError(ErrorCode::kInvalidArgument, why); };
  const std::string scheme = "http://";
  if (!url.starts_with(scheme)) return bad("must start with http://");
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find_first_of("/?");
  std::string authority = rest.substr(0, slash);
  HttpUrl out;
  out.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (out.target.starts_with("?")) out.target = "/" + out.target;
  if (authority.empty()) return bad("names no host");
  if (authority.find('@') != std::string::npos) return bad("must not carry credentials");
  size_t colon = authority.rfind(':');
  if (authority.starts_with("[")) {  // [::1]:9093
    size_t close = authority.find(']');
    if (close == std::string::npos) return bad("has an unclosed [ in its host");
    out.host = authority.substr(1, close - 1);
    colon =
        authority.size() > close + 1 && authority[close + 1] == ':' ? close + 1 : std::string::npos;
  } else {
    out.host = authority.substr(0, colon);
  }
  out.port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  if (out.host.empty()) return bad("names no host");
  bool digits = !out.port.empty() && out.port.size() <= 5 &&
                std::all_of(out.port.begin(), out.port.end(),
                            [](unsigned char c) { return std::isdigit(c); });
  if (!digits || std::stoi(out.port) < 1 || std::stoi(out.port) > 65535)
    return bad("has an invalid port " + QuoteForTerminal(out.port));
  return out;
}

}  // namespace cairn
