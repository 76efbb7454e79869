#include "image/reference.h"

#include "core/sha256.h"

namespace cairn::image {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// One path component of a repository name: lower-case alphanumerics joined by ".", "_", "__" or
// runs of "-" (the distribution/reference grammar).
bool IsValidComponent(std::string_view c) {
  if (c.empty() || !IsLowerAlnum(c.front()) || !IsLowerAlnum(c.back())) return false;
  for (size_t i = 0; i < c.size(); ++i) {
    char ch = c[i];
    if (IsLowerAlnum(ch)) continue;
    if (ch == '-') continue;
    if (ch == '.' || ch == '_') {
      bool dup_ok = ch == '_' && i + 1 < c.size() && c[i + 1] == '_' && i + 2 < c.size() &&
                    IsLowerAlnum(c[i + 2]);
      if (dup_ok) {
        ++i;
        continue;
      }
      if (i + 1 < c.size() && !IsLowerAlnum(c[i + 1])) return false;
      continue;
    }
    return false;
  }
  return true;
}

// A registry host, optionally with a port: "registry.local", "localhost:5000".
bool IsValidHost(std::string_view h) {
  size_t colon = h.find(':');
  std::string_view host = h.substr(0, colon);
  if (host.empty()) return false;
  for (char c : host) {
    bool ok = IsLowerAlnum(c) || (c >= 'A' && c <= 'Z') || c == '.' || c == '-';
    if (!ok) return false;
  }
  if (colon == std::string_view::npos) return true;
  std::string_view port = h.substr(colon + 1);
  if (port.empty() || port.size() > 5) return false;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

Status ValidateName(std::string_view name, std::string_view text) {
  auto bad = [&](std::string why) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "invalid image name \"" + std::string(name) + "\": " + why, std::string(text));
  };
  if (name.empty()) return bad("the name is empty");
  if (name.size() > 255) return bad("longer than 255 characters");
  size_t start = 0;
  bool first = true;
  for (;;) {
    size_t slash = name.find('/', start);
    std::string_view comp =
        name.substr(start, slash == std::string_view::npos ? name.npos : slash - start);
    bool host_ok = first && slash != std::string_view::npos && IsValidHost(comp);
    if (!host_ok && !IsValidComponent(comp)) {
      return bad("each part must be lower-case letters and digits, joined by '.', '_' or '-'");
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
    first = false;
  }
  return OkStatus();
}

Status ValidateTag(std::string_view tag, std::string_view text) {
  auto ok_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  };
  bool ok = !tag.empty() && tag.size() <= 128 && tag.front() != '.' && tag.front() != '-';
  for (char c : tag) ok = ok && ok_char(c);
  if (ok) return OkStatus();
  return MakeError(ErrorCode::kInvalidArgument,
                   "invalid tag \"" + std::string(tag) +
                       "\": up to 128 letters, digits, '_', '.' or '-', not starting with '.' or "
                       "'-'",
                   std::string(text));
}

Status ValidateDigest(std::string_view digest, std::string_view text) {
  if (IsSha256Digest(digest)) return OkStatus();
  return MakeError(ErrorCode::kInvalidArgument,
                   "invalid digest \"" + std::string(digest) +
                       "\": expected sha256: followed by 64 lower-case hex digits",
                   std::string(text));
}

}  // namespace

std::string Reference::ToString() const {
  std::string out = name;
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += (out.empty() ? "" : "@") + digest;
  return out;
}

Result<Reference> ParseReference(std::string_view text) {
  if (text.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "empty image reference", std::string(text));
  }
  Reference ref;
  // A bare digest: "sha256:<hex>" (also catches "sha256:" with a bad hex part, which would
  // otherwise read as the name "sha256" with a tag).
  if (text.starts_with("sha256:")) {
    if (Status s = ValidateDigest(text, text); !s) return s.error();
    ref.digest = std::string(text);
    return ref;
  }
  std::string_view rest = text;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    std::string_view digest = rest.substr(at + 1);
    if (Status s = ValidateDigest(digest, text); !s) return s.error();
    ref.digest = std::string(digest);
    rest = rest.substr(0, at);
  }
  size_t last_slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || colon > last_slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    if (Status s = ValidateTag(ref.tag, text); !s) return s.error();
    rest = rest.substr(0, colon);
  }
  if (Status s = ValidateName(rest, text); !s) return s.error();
  ref.name = std::string(rest);
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

Result<Reference> ParseTagReference(std::string_view text) {
  auto ref = ParseReference(text);
  if (!ref) return ref;
  if (ref->has_digest()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "expected a tag (name or name:tag), not a digest reference",
                     std::string(text));
  }
  return ref;
}

}  // namespace cairn::image
