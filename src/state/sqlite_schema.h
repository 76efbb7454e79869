// The SQLite schema of the state store, versioned through PRAGMA user_version.
#pragma once

#include "core/result.h"
#include "state/sqlite_db.h"

namespace cairn::state {

// The schema version this build writes and reads.
inline constexpr int kSchemaVersion = 2;

// Brings a fresh database to kSchemaVersion, and re-asserts the append-only triggers on every
// open. kUnavailable when the file was written by a newer cairn.
Status MigrateSchema(SqliteDb* db);

}  // namespace cairn::state
