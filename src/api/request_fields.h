// Bounds on the free text a client sends with a change (author, message, file name). They are
// stored in the revision, the audit trail and the event, and sent to every event stream and
// terminal that shows history, so an unbounded one (a 1 MB author) costs memory and bandwidth
// many times over, and a control byte in one is an escape sequence in someone's terminal.
#pragma once

#include <cstddef>
#include <string>

#include "core/result.h"

namespace cairn::api {

// Bytes of an author ("on behalf of" name).
constexpr size_t kMaxAuthorBytes = 256;
// Bytes of a change message (`-m`).
constexpr size_t kMaxMessageBytes = 4096;
// Bytes of the file name an apply or plan names.
constexpr size_t kMaxFileNameBytes = 4096;

// Checks `value` of the field `name`: at most `max` bytes and no control characters (a message
// may hold newlines and tabs). kInvalidArgument saying which rule it broke.
Status CheckTextField(const char* name, const std::string& value, size_t max,
                      bool allow_newlines = false);

}  // namespace cairn::api
