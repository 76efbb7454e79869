// Small RAII wrappers over the sqlite3 C API: a connection, a prepared statement and an
// IMMEDIATE transaction. Every SQLite failure comes back as an Error with ErrorCode::kIo and
// SQLite's own message; nothing here throws or aborts.
//
// Not thread-safe: one owner per connection, like the StateStore built on it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace cairn::state {

class SqliteStatement;

class SqliteDb {
 public:
  // Opens (creating when missing) the database file at `path`.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs one or more statements that return no rows the caller needs.
  Status Exec(std::string_view sql);
  Result<SqliteStatement> Prepare(std::string_view sql);
  // A single integer from a one-row query, e.g. "PRAGMA user_version".
  Result<int64_t> QueryInt64(std::string_view sql);

  // The kIo error for the connection's most recent failure.
  Error LastError() const;
  const std::string& path() const { return path_; }
  sqlite3* raw() { return db_; }

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
};

// A prepared statement. Bind errors are remembered and reported by the next Step(), so a
// caller binds a row of values and checks once.
class SqliteStatement {
 public:
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  ~SqliteStatement();

  // Parameter indexes are 1-based, as in SQLite.
  SqliteStatement& BindInt64(int index, int64_t value);
  SqliteStatement& BindText(int index, std::string_view value);
  SqliteStatement& BindNull(int index);
  SqliteStatement& BindOptionalInt64(int index, const std::optional<int64_t>& value);

  // true: a row is ready to read; false: the statement has finished.
  Result<bool> Step();
  // Runs a statement that returns no rows to completion.
  Status Run();

  // Column indexes are 0-based, as in SQLite. REQUIRES: the last Step() returned true.
  int64_t ColumnInt64(int column);
  std::string ColumnText(int column);
  std::optional<int64_t> ColumnOptionalInt64(int column);

 private:
  friend class SqliteDb;
  SqliteStatement(SqliteDb* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  void NoteBindResult(int rc);

  SqliteDb* db_;
  sqlite3_stmt* stmt_;
  std::optional<Error> bind_error_;
};

// BEGIN IMMEDIATE on Begin(); rolls back on destruction unless Commit() succeeded. IMMEDIATE
// takes the write lock up front, so a read-then-write (the head check) cannot interleave with
// another writer.
class SqliteTransaction {
 public:
  static Result<SqliteTransaction> Begin(SqliteDb* db);
  SqliteTransaction(SqliteTransaction&& other) noexcept;
  SqliteTransaction& operator=(SqliteTransaction&&) = delete;
  ~SqliteTransaction();

  Status Commit();

 private:
  explicit SqliteTransaction(SqliteDb* db) : db_(db) {}
  SqliteDb* db_;  // null once committed or moved from
};

}  // namespace cairn::state
