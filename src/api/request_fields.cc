#include "api/request_fields.h"

#include "core/terminal_text.h"
#include "spec/limits.h"

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

namespace {

Error Invalid(const std::string& message) {
  return MakeError(ErrorCode::kInvalidArgument, message);
}

std::string TooLong(const std::string& what, size_t bytes, size_t max) {
  return what + " is " + std::to_string(bytes) + " bytes long; at most " + std::to_string(max) +
         " are accepted";
}

// One list of strings an instance's execve is given.
Status CheckArgv(const char* name, const std::vector<std::string>& items, size_t max_items) {
  if (items.size() > max_items) {
    return Invalid(std::string(name) + " has " + std::to_string(items.size()) + " items; at most " +
                   std::to_string(max_items) + " are accepted");
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].size() > spec::kMaxArgStringBytes) {
      return Invalid(TooLong(std::string(name) + "[" + std::to_string(i) + "]", items[i].size(),
                             spec::kMaxArgStringBytes) +
                     " (execve's MAX_ARG_STRLEN)");
    }
  }
  return OkStatus();
}

size_t ExecBytes(const std::vector<std::string>& items) {
  size_t bytes = spec::kExecPointerBytes;
  for (const std::string& s : items) bytes += s.size() + 1 + spec::kExecPointerBytes;
  return bytes;
}

}  // namespace

Status CheckImageConfigFields(const std::vector<std::string>& entrypoint,
                              const std::vector<std::string>& cmd,
                              const std::vector<std::string>& env,
                              const std::map<std::string, std::string>& labels) {
  if (Status s = CheckArgv("entrypoint", entrypoint, spec::kMaxArgs); !s.ok()) return s;
  if (Status s = CheckArgv("cmd", cmd, spec::kMaxArgs); !s.ok()) return s;
  if (Status s = CheckArgv("env", env, spec::kMaxEnvEntries); !s.ok()) return s;
  for (const std::string& entry : env) {
    size_t eq = entry.find('=');
    std::string key = entry.substr(0, eq);
    if (eq == std::string::npos || eq == 0 || key.find('\0') != std::string::npos) {
      return Invalid("env entry " + QuoteForTerminal(entry) +
                     ": expected KEY=value, KEY not empty and without a NUL");
    }
  }
  std::vector<std::string> argv = entrypoint;
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  size_t bytes = ExecBytes(argv) + ExecBytes(env);
  if (bytes > spec::kMaxExecBytes) {
    return Invalid("entrypoint, cmd and env would give execve " + std::to_string(bytes) +
                   " bytes (each string, its NUL and an 8-byte pointer); at most " +
                   std::to_string(spec::kMaxExecBytes) + " are accepted");
  }
  if (labels.size() > kMaxLabels) {
    return Invalid("the build has " + std::to_string(labels.size()) + " labels; at most " +
                   std::to_string(kMaxLabels) + " are accepted");
  }
  for (const auto& [key, value] : labels) {
    if (key.empty()) return Invalid("a label key is empty");
    if (key.size() > kMaxLabelKeyBytes) {
      return Invalid(TooLong("label key " + QuoteForTerminal(key), key.size(), kMaxLabelKeyBytes));
    }
    if (Status s = CheckTextField("label key", key, kMaxLabelKeyBytes); !s.ok()) return s;
    if (value.size() > kMaxLabelValueBytes) {
      return Invalid(TooLong("the value of label " + QuoteForTerminal(key), value.size(),
                             kMaxLabelValueBytes));
    }
    if (Status s = CheckTextField(("the value of label " + QuoteForTerminal(key)).c_str(), value,
                                  kMaxLabelValueBytes);
        !s.ok()) {
      return s;
    }
  }
  return OkStatus();
}

}  // namespace cairn::api
