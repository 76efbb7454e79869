// Header fields as the router sees them: a name, a value and the name's kind, classified once
// when the head is parsed. Every later decision (hop-by-hop, framing, forwarding) switches on
// the kind instead of comparing names again: before this, case-insensitive name comparisons
// were the largest single user-space cost per proxied request (docs/benchmarks.md, Profile).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::router {

enum class HeaderKind : uint8_t {
  kOther,
  // Hop-by-hop (RFC 9110 section 7.6.1): never forwarded as they are.
  kConnection,
  kKeepAlive,
  kProxyConnection,
  kTe,
  kTrailer,
  kUpgrade,
  // Framing, rewritten by the router.
  kContentLength,
  kTransferEncoding,
  // Read or rewritten by the router.
  kHost,
  kExpect,
  kCookie,
  kXForwardedFor,
  kXForwardedProto,
};

struct HttpHeader {
  std::string_view name;
  std::string_view value;
  HeaderKind kind = HeaderKind::kOther;
};

// The kind of a header named `name` (any letter case).
HeaderKind ClassifyHeader(std::string_view name);

inline bool IsHopByHop(HeaderKind kind) {
  return kind >= HeaderKind::kConnection && kind <= HeaderKind::kUpgrade;
}

// ASCII case-insensitive equality.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// Whether the comma-separated list `value` holds `token` (case-insensitive).
bool HasToken(std::string_view value, std::string_view token);
// Whether `text` holds a line feed not preceded by a carriage return.
bool HasBareLf(std::string_view text);

// Appends the header lines of `headers` that `keep(header)` accepts, each run of consecutive
// kept lines in one copy of the bytes as they arrived. REQUIRES: the headers point into one
// parsed head whose lines all end in CRLF (no bare LF, no obs-fold), and `lines_end` is where
// the last header line ends (the head's end minus its final CRLF).
template <typename Keep>
void AppendHeaderLines(std::string& out, const std::vector<HttpHeader>& headers,
                       const char* lines_end, Keep keep) {
  const char* run = nullptr;
  for (const HttpHeader& h : headers) {
    const char* line = h.name.data();
    if (keep(h)) {
      if (run == nullptr) run = line;
    } else if (run != nullptr) {
      out.append(run, static_cast<size_t>(line - run));
      run = nullptr;
    }
  }
  if (run != nullptr) out.append(run, static_cast<size_t>(lines_end - run));
}

// `s` without leading and trailing spaces and tabs.
std::string_view TrimOws(std::string_view s);

// Calls `fn` with each trimmed, non-empty element of a comma-separated list.
template <typename Fn>
void ForEachToken(std::string_view value, Fn fn) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view token = TrimOws(value.substr(0, comma));
    if (!token.empty()) fn(token);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace cairn::router
