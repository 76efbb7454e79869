#include "api/request_fields.h"

namespace cairn::api {

Status CheckTextField(const char* name, const std::string& value, size_t max, bool allow_newlines) {
  if (value.size() > max) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(name) + " is " + std::to_string(value.size()) +
                         " bytes long; at most " + std::to_string(max) + " are accepted");
  }
  for (size_t i = 0; i < value.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    bool control = c < 0x20 || c == 0x7f;
    if (control && !(allow_newlines && (c == '\n' || c == '\t'))) {
      return MakeError(ErrorCode::kInvalidArgument,
                       std::string(name) + " holds a control character (byte " + std::to_string(c) +
                           " at offset " + std::to_string(i) + "); use plain text");
    }
  }
  return OkStatus();
}

}  // namespace cairn::api
