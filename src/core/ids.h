// Random identifiers for instances and requests.
#pragma once

#include <string>

namespace cairn {

// `bytes` random bytes from the OS, as lower-case hex (2 * bytes characters).
std::string RandomHexId(int bytes = 4);

}  // namespace cairn
