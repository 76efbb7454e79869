// The revision hash: what makes the revision log a chain. Pure functions, no I/O.
#pragma once

#include <string>

#include "state/state_store.h"

namespace cairn::state {

// The exact bytes that are hashed: every field of `rev` except `hash`, each written as
// "<name> <byte length>:<bytes>\n" (an absent rollback_of as "rollback_of -\n"), after a
// version line. Length prefixes make it unambiguous for any bytes, including newlines and
// invalid UTF-8, in author, message or spec. Changing this format invalidates every stored
// chain, so it is versioned.
std::string RevisionHashInput(const Revision& rev);

// Hex SHA-256 of RevisionHashInput(rev).
std::string ComputeRevisionHash(const Revision& rev);

}  // namespace cairn::state
