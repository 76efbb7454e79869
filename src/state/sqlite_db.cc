#include "state/sqlite_db.h"

#include <sqlite3.h>

#include <utility>

namespace cairn::state {
namespace {

Error SqliteError(sqlite3* db, const std::string& path) {
  std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
  int code = db != nullptr ? sqlite3_extended_errcode(db) : SQLITE_NOMEM;
  return MakeError(
      ErrorCode::kIo,
      "state database error: " + message + " (sqlite code " + std::to_string(code) + ")", path);
}

}  // namespace

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    Error error = SqliteError(raw, path);
    sqlite3_close(raw);  // a handle is returned even on failure; null is fine too
    return error;
  }
  sqlite3_extended_result_codes(raw, 1);
  return std::unique_ptr<SqliteDb>(new SqliteDb(raw, path));
}

SqliteDb::~SqliteDb() { sqlite3_close(db_); }

Error SqliteDb::LastError() const { return SqliteError(db_, path_); }

Status SqliteDb::Exec(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return OkStatus();
  std::string detail = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return MakeError(ErrorCode::kIo,
                   "state database error: " + detail + " (sqlite code " + std::to_string(rc) + ")",
                   path_);
}

Result<SqliteStatement> SqliteDb::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return LastError();
  }
  return SqliteStatement(this, stmt);
}

Result<int64_t> SqliteDb::QueryInt64(std::string_view sql) {
  Result<SqliteStatement> stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.error();
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) {
    return MakeError(ErrorCode::kIo, "state database query returned no row: " + std::string(sql),
                     path_);
  }
  return stmt->ColumnInt64(0);
}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      bind_error_(std::move(other.bind_error_)) {}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
    bind_error_ = std::move(other.bind_error_);
  }
  return *this;
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

void SqliteStatement::NoteBindResult(int rc) {
  if (rc != SQLITE_OK && !bind_error_) bind_error_ = db_->LastError();
}

SqliteStatement& SqliteStatement::BindInt64(int index, int64_t value) {
  NoteBindResult(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

SqliteStatement& SqliteStatement::BindText(int index, std::string_view value) {
  // SQLITE_TRANSIENT: SQLite copies, so the caller's string may die before Step().
  NoteBindResult(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

SqliteStatement& SqliteStatement::BindNull(int index) {
  NoteBindResult(sqlite3_bind_null(stmt_, index));
  return *this;
}

SqliteStatement& SqliteStatement::BindOptionalInt64(int index,
                                                    const std::optional<int64_t>& value) {
  return value ? BindInt64(index, *value) : BindNull(index);
}

Result<bool> SqliteStatement::Step() {
  if (bind_error_) return *bind_error_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->LastError();
}

Status SqliteStatement::Run() {
  Result<bool> row = Step();
  while (row.ok() && *row) row = Step();
  if (!row.ok()) return row.error();
  return OkStatus();
}

int64_t SqliteStatement::ColumnInt64(int column) { return sqlite3_column_int64(stmt_, column); }

std::string SqliteStatement::ColumnText(int column) {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);  // after _text, as SQLite requires
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
}

std::optional<int64_t> SqliteStatement::ColumnOptionalInt64(int column) {
  if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
  return ColumnInt64(column);
}

Result<SqliteTransaction> SqliteTransaction::Begin(SqliteDb* db) {
  Status begun = db->Exec("BEGIN IMMEDIATE");
  if (!begun.ok()) return begun.error();
  return SqliteTransaction(db);
}

SqliteTransaction::SqliteTransaction(SqliteTransaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)) {}

SqliteTransaction::~SqliteTransaction() {
  // Best effort: if the rollback itself fails SQLite has already rolled back or the
  // connection is unusable; either way there is nothing more to do here.
  if (db_ != nullptr) (void)db_->Exec("ROLLBACK");
}

Status SqliteTransaction::Commit() {
  Status committed = db_->Exec("COMMIT");
  if (committed.ok()) db_ = nullptr;
  return committed;
}

}  // namespace cairn::state
