// Bounds on the free text a client sends with a change (author, message, file name). They are
// stored in the revision, the audit trail and the event, and sent to every event stream and
// terminal that shows history, so an unbounded one (a 1 MB author) costs memory and bandwidth
// many times over, and a control byte in one is an escape sequence in someone's terminal.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "core/result.h"

namespace cairn::api {

// Bytes of an author ("on behalf of" name).
constexpr size_t kMaxAuthorBytes = 256;
// Bytes of a change message (`-m`).
constexpr size_t kMaxMessageBytes = 4096;
// Bytes of the file name an apply or plan names.
constexpr size_t kMaxFileNameBytes = 4096;

// Labels of an image build: how many, and the bytes of a key and of a value. They are stored in
// the image config and shown by `cairn image inspect`.
constexpr size_t kMaxLabels = 256;
constexpr size_t kMaxLabelKeyBytes = 256;
constexpr size_t kMaxLabelValueBytes = 4096;

// Checks `value` of the field `name`: at most `max` bytes and no control characters (a message
// may hold newlines and tabs). kInvalidArgument saying which rule it broke.
Status CheckTextField(const char* name, const std::string& value, size_t max,
                      bool allow_newlines = false);

// Checks what an image build stores for its instances' execve: entrypoint and cmd items and
// env entries ("KEY=value", KEY without '=' or NUL) by spec/limits.h's bounds for a command,
// its args and env, and all of them together by kMaxExecBytes; labels by the bounds above.
// kInvalidArgument naming the field, the bound and what was found.
Status CheckImageConfigFields(const std::vector<std::string>& entrypoint,
                              const std::vector<std::string>& cmd,
                              const std::vector<std::string>& env,
                              const std::map<std::string, std::string>& labels);

}  // namespace cairn::api
