#include "state/sqlite_schema.h"

#include <string>

namespace cairn::state {
namespace {

// Version 1. Times are Unix milliseconds; revision hashes cover the same millisecond value.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE revisions (
  number        INTEGER PRIMARY KEY,
  hash          TEXT NOT NULL UNIQUE,
  parent_hash   TEXT NOT NULL,
  author        TEXT NOT NULL,
  message       TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  spec_json     TEXT NOT NULL,
  spec_hash     TEXT NOT NULL,
  rollback_of   INTEGER REFERENCES revisions(number)
);
CREATE TABLE audit (
  id     INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms  INTEGER NOT NULL,
  actor  TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  result TEXT NOT NULL
);
CREATE TABLE instances (
  id            TEXT PRIMARY KEY,
  service       TEXT NOT NULL,
  revision      INTEGER NOT NULL,
  template_hash TEXT NOT NULL,
  pid           INTEGER NOT NULL,
  start_ticks   INTEGER NOT NULL,
  port          INTEGER NOT NULL,
  log_path      TEXT NOT NULL,
  started_at_ms INTEGER NOT NULL
);
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
PRAGMA user_version = 1;
)sql";

// Version 2: the event journal (`cairn events`, the dashboard, alerts after a restart). `seq` is
// the controller's event number, so a client's "after N" means the same before and after a
// restart. `data_json` holds the event's typed figures (a verdict's numbers, a revision's hash).
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE events (
  seq       INTEGER PRIMARY KEY,
  at_ms     INTEGER NOT NULL,
  type      TEXT NOT NULL,
  service   TEXT NOT NULL,
  instance  TEXT NOT NULL,
  message   TEXT NOT NULL,
  data_json TEXT NOT NULL
);
CREATE INDEX events_by_service ON events (service, seq);
PRAGMA user_version = 2;
)sql";

// Revisions are append-only. The store has no API to change one; these triggers also stop
// anything else that writes through SQLite (a stray script, a future bug) from doing so.
constexpr const char* kAppendOnlyTriggers = R"sql(
CREATE TRIGGER IF NOT EXISTS revisions_no_update BEFORE UPDATE ON revisions
BEGIN SELECT RAISE(ABORT, 'revisions are append-only: UPDATE is not allowed'); END;
CREATE TRIGGER IF NOT EXISTS revisions_no_delete BEFORE DELETE ON revisions
BEGIN SELECT RAISE(ABORT, 'revisions are append-only: DELETE is not allowed'); END;
)sql";

}  // namespace

Status MigrateSchema(SqliteDb* db) {
  Result<SqliteTransaction> txn = SqliteTransaction::Begin(db);
  if (!txn.ok()) return txn.error();
  Result<int64_t> version = db->QueryInt64("PRAGMA user_version");
  if (!version.ok()) return version.error();
  if (*version > kSchemaVersion) {
    return MakeError(ErrorCode::kUnavailable,
                     "state database has schema version " + std::to_string(*version) +
                         ", newer than this cairn understands (" + std::to_string(kSchemaVersion) +
                         "); run a newer cairn",
                     db->path());
  }
  if (*version == 0) {
    Status created = db->Exec(kSchemaV1);
    if (!created.ok()) return created;
  }
  if (*version < 2) {
    Status added = db->Exec(kSchemaV2);
    if (!added.ok()) return added;
  }
  Status triggers = db->Exec(kAppendOnlyTriggers);
  if (!triggers.ok()) return triggers;
  return txn->Commit();
}

}  // namespace cairn::state
