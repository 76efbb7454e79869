#include "core/ids.h"

#include <openssl/rand.h>

#include <vector>

namespace cairn {

std::string RandomHexId(int bytes) {
  std::vector<unsigned char> buf(static_cast<size_t>(bytes));
  RAND_bytes(buf.data(), bytes);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : buf) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

}  // namespace cairn
