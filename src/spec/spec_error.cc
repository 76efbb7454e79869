#include <string>
#include <vector>

#include "spec/spec.h"

namespace cairn::spec {

std::string SpecError::ToString() const {
  std::string out;
  if (!file.empty()) {
    out = file;
    if (line > 0) {
      out += ":" + std::to_string(line);
      if (col > 0) out += ":" + std::to_string(col);
    }
    out += ": ";
  }
  if (!path.empty()) out += path + ": ";
  return out + message;
}

Error ErrorsToError(const std::vector<SpecError>& errors) {
  std::string message;
  for (const SpecError& error : errors) {
    if (!message.empty()) message += "\n";
    message += error.ToString();
  }
  if (message.empty()) message = "invalid environment file";
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

}  // namespace cairn::spec
