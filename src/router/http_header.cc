#include "router/http_header.h"

#include <array>
#include <cstring>

namespace cairn::router {
namespace {

constexpr std::array<unsigned char, 256> MakeLowerTable() {
  std::array<unsigned char, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = static_cast<unsigned char>((c >= 'A' && c <= 'Z') ? c + 32 : c);
  }
  return t;
}
constexpr std::array<unsigned char, 256> kLower = MakeLowerTable();

// `name` equals the lower-case literal `lower`, ignoring the case of `name`.
bool IsNamed(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (kLower[static_cast<unsigned char>(name[i])] != static_cast<unsigned char>(lower[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

HeaderKind ClassifyHeader(std::string_view name) {
  // By length first: most names are ruled out without reading a byte.
  switch (name.size()) {
    case 2:
      if (IsNamed(name, "te")) return HeaderKind::kTe;
      break;
    case 4:
      if (IsNamed(name, "host")) return HeaderKind::kHost;
      break;
    case 6:
      if (IsNamed(name, "expect")) return HeaderKind::kExpect;
      if (IsNamed(name, "cookie")) return HeaderKind::kCookie;
      break;
    case 7:
      if (IsNamed(name, "trailer")) return HeaderKind::kTrailer;
      if (IsNamed(name, "upgrade")) return HeaderKind::kUpgrade;
      break;
    case 10:
      if (IsNamed(name, "connection")) return HeaderKind::kConnection;
      if (IsNamed(name, "keep-alive")) return HeaderKind::kKeepAlive;
      break;
    case 14:
      if (IsNamed(name, "content-length")) return HeaderKind::kContentLength;
      break;
    case 15:
      if (IsNamed(name, "x-forwarded-for")) return HeaderKind::kXForwardedFor;
      break;
    case 16:
      if (IsNamed(name, "proxy-connection")) return HeaderKind::kProxyConnection;
      break;
    case 17:
      if (IsNamed(name, "transfer-encoding")) return HeaderKind::kTransferEncoding;
      if (IsNamed(name, "x-forwarded-proto")) return HeaderKind::kXForwardedProto;
      break;
    default:
      break;
  }
  return HeaderKind::kOther;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (kLower[static_cast<unsigned char>(a[i])] != kLower[static_cast<unsigned char>(b[i])]) {
      return false;
    }
  }
  return true;
}

bool HasToken(std::string_view value, std::string_view token) {
  bool found = false;
  ForEachToken(value, [&](std::string_view t) { found = found || EqualsIgnoreCase(t, token); });
  return found;
}

bool HasBareLf(std::string_view text) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  for (const char* p = begin;
       (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)))) !=
       nullptr;
       ++p) {
    if (p == begin || p[-1] != '\r') return true;
  }
  return false;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace cairn::router
