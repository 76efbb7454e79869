// SHA-256 through OpenSSL, and the "sha256:<64 hex>" digest form OCI uses.
#pragma once

#include <string>
#include <string_view>

namespace cairn {

// Lower-case hex of the SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// True for "sha256:" followed by exactly 64 lower-case hex digits.
bool IsSha256Digest(std::string_view text);

}  // namespace cairn
