// HttpUrl: an http:// URL as cairn's plain-HTTP clients take it (alert webhooks, Prometheus
// queries): "http://host[:port][/path][?query]", host a name, an IPv4 address or a bracketed
// IPv6 address. https:// is for the callers to refuse with their own sentence.
#pragma once

#include <string>

#include "core/result.h"

namespace cairn {

struct HttpUrl {
  std::string host;    // without brackets
  std::string port;    // "80" when the URL names none
  std::string target;  // path and query, "/" when empty
};

// Fails with kInvalidArgument whose message says what is wrong as a phrase that follows the
// URL ("must start with http://", "names no host", "must not carry credentials", "has an
// unclosed [ in its host", "has an invalid port \"x\"").
Result<HttpUrl> ParseHttpUrl(const std::string& url);

}  // namespace cairn
