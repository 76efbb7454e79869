// The event journal's SQL (schema version 2's `events` table), kept apart from the revision
// and instance code of sqlite_store.cc. Called by SqliteStore only; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "state/sqlite_db.h"
#include "state/state_store.h"

namespace cairn::state {

// Inserts `events` in one IMMEDIATE transaction, then drops all but the newest `keep`.
Status AppendEventRows(SqliteDb* db, const std::vector<EventRecord>& events, int64_t keep);

// seq > after, oldest first; `service` empty means every service; limit <= 0 means no limit.
Result<std::vector<EventRecord>> SelectEventsAfter(SqliteDb* db, int64_t after,
                                                   const std::string& service, int limit);

// The newest `limit` rows, returned oldest first.
Result<std::vector<EventRecord>> SelectLastEvents(SqliteDb* db, int limit);

}  // namespace cairn::state
