// The embedded StateStore: one SQLite file per data dir, guarded by DataDirLock.
#include <memory>
#include <string>
#include <utility>

#include "core/sha256.h"
#include "state/data_dir_lock.h"
#include "state/revision.h"
#include "state/sqlite_db.h"
#include "state/sqlite_events.h"
#include "state/sqlite_schema.h"
#include "state/state_store.h"

namespace cairn::state {
namespace {

constexpr const char* kRevisionColumns =
    "number, hash, parent_hash, author, message, created_at_ms, spec_json, spec_hash, "
    "rollback_of";

Revision ReadRevision(SqliteStatement* stmt) {
  Revision rev;
  rev.number = stmt->ColumnInt64(0);
  rev.hash = stmt->ColumnText(1);
  rev.parent_hash = stmt->ColumnText(2);
  rev.author = stmt->ColumnText(3);
  rev.message = stmt->ColumnText(4);
  rev.created_at = FromUnixMillis(stmt->ColumnInt64(5));
  rev.spec_json = stmt->ColumnText(6);
  rev.spec_hash = stmt->ColumnText(7);
  rev.rollback_of = stmt->ColumnOptionalInt64(8);
  return rev;
}

Error ChainError(int64_t number, const std::string& what) {
  return MakeError(ErrorCode::kInternal,
                   "revision " + std::to_string(number) + " " + what +
                       "; the state database was changed outside cairn",
                   "revision " + std::to_string(number));
}

class SqliteStore final : public StateStore {
 public:
  SqliteStore(std::unique_ptr<DataDirLock> lock, std::unique_ptr<SqliteDb> db, const Clock* clock)
      : lock_(std::move(lock)), db_(std::move(db)), clock_(clock) {}

  Result<Revision> AppendRevision(const NewRevision& rev) override;
  Result<std::optional<Revision>> Head() override;
  Result<Revision> GetRevision(int64_t number) override;
  Result<std::vector<Revision>> ListRevisions() override;
  Status VerifyChain() override;

  Status AppendAudit(const AuditRecord& record) override;
  Result<std::vector<AuditRecord>> ListAudit(int limit) override;

  Status AppendEvents(const std::vector<EventRecord>& events, int64_t keep) override {
    return AppendEventRows(db_.get(), events, keep);
  }
  Result<std::vector<EventRecord>> ListEvents(int64_t after, const std::string& service,
                                              int limit) override {
    return SelectEventsAfter(db_.get(), after, service, limit);
  }
  Result<std::vector<EventRecord>> LastEvents(int limit) override {
    return SelectLastEvents(db_.get(), limit);
  }

  Status PutInstance(const InstanceRecord& record) override;
  Status DeleteInstance(const std::string& id) override;
  Result<std::vector<InstanceRecord>> ListInstances() override;

  Status PutMeta(const std::string& key, const std::string& value) override;
  Status DeleteMeta(const std::string& key) override;
  Result<std::optional<std::string>> GetMeta(const std::string& key) override;

 private:
  // Wall time truncated to the millisecond precision the database stores, so the hash
  // computed now matches the one recomputed from the row later.
  WallTime StoredNow() const { return FromUnixMillis(ToUnixMillis(clock_->WallNow())); }

  // Declared first so it is released last, after the database is closed.
  std::unique_ptr<DataDirLock> lock_;
  std::unique_ptr<SqliteDb> db_;
  const Clock* clock_;
};

Result<Revision> SqliteStore::AppendRevision(const NewRevision& rev) {
  if (rev.spec_hash != Sha256Hex(rev.spec_json)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "spec_hash is not the SHA-256 of spec_json; compute it from the same JSON",
                     "spec_hash " + rev.spec_hash);
  }
  Result<SqliteTransaction> txn = SqliteTransaction::Begin(db_.get());
  if (!txn.ok()) return txn.error();

  Result<std::optional<Revision>> head = Head();
  if (!head.ok()) return head.error();
  int64_t head_number = *head ? (*head)->number : 0;
  if (rev.expect_head && *rev.expect_head != head_number) {
    return MakeError(ErrorCode::kConflict, "head is revision " + std::to_string(head_number) +
                                               ", expected " + std::to_string(*rev.expect_head) +
                                               "; run plan again");
  }
  if (rev.rollback_of && (*rev.rollback_of < 1 || *rev.rollback_of > head_number)) {
    return MakeError(ErrorCode::kNotFound,
                     "cannot roll back to revision " + std::to_string(*rev.rollback_of) +
                         ": revisions run from 1 to " + std::to_string(head_number));
  }

  Revision out;
  out.number = head_number + 1;
  out.parent_hash = *head ? (*head)->hash : "";
  out.author = rev.author;
  out.message = rev.message;
  out.created_at = StoredNow();
  out.spec_json = rev.spec_json;
  out.spec_hash = rev.spec_hash;
  out.rollback_of = rev.rollback_of;
  out.hash = ComputeRevisionHash(out);

  Result<SqliteStatement> insert = db_->Prepare(
      "INSERT INTO revisions (number, hash, parent_hash, author, message, created_at_ms, "
      "spec_json, spec_hash, rollback_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!insert.ok()) return insert.error();
  insert->BindInt64(1, out.number)
      .BindText(2, out.hash)
      .BindText(3, out.parent_hash)
      .BindText(4, out.author)
      .BindText(5, out.message)
      .BindInt64(6, ToUnixMillis(out.created_at))
      .BindText(7, out.spec_json)
      .BindText(8, out.spec_hash)
      .BindOptionalInt64(9, out.rollback_of);
  Status inserted = insert->Run();
  if (!inserted.ok()) return inserted.error();
  Status committed = txn->Commit();
  if (!committed.ok()) return committed.error();
  return out;
}

Result<std::optional<Revision>> SqliteStore::Head() {
  Result<SqliteStatement> stmt = db_->Prepare(std::string("SELECT ") + kRevisionColumns +
                                              " FROM revisions ORDER BY number DESC LIMIT 1");
  if (!stmt.ok()) return stmt.error();
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<Revision>();
  return std::optional<Revision>(ReadRevision(&*stmt));
}

Result<Revision> SqliteStore::GetRevision(int64_t number) {
  Result<SqliteStatement> stmt =
      db_->Prepare(std::string("SELECT ") + kRevisionColumns + " FROM revisions WHERE number = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->BindInt64(1, number);
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) {
    return MakeError(ErrorCode::kNotFound, "no revision " + std::to_string(number),
                     "revision " + std::to_string(number));
  }
  return ReadRevision(&*stmt);
}

Result<std::vector<Revision>> SqliteStore::ListRevisions() {
  Result<SqliteStatement> stmt = db_->Prepare(std::string("SELECT ") + kRevisionColumns +
                                              " FROM revisions ORDER BY number ASC");
  if (!stmt.ok()) return stmt.error();
  std::vector<Revision> out;
  for (;;) {
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back(ReadRevision(&*stmt));
  }
  return out;
}

Status SqliteStore::VerifyChain() {
  Result<std::vector<Revision>> revs = ListRevisions();
  if (!revs.ok()) return revs.error();
  std::string parent_hash;
  int64_t expected_number = 1;
  for (const Revision& rev : *revs) {
    if (rev.number != expected_number) {
      return ChainError(rev.number, "follows revision " + std::to_string(expected_number - 1) +
                                        ": the log has a gap");
    }
    if (rev.parent_hash != parent_hash) {
      return ChainError(rev.number, "does not point at its parent's hash");
    }
    if (ComputeRevisionHash(rev) != rev.hash) {
      return ChainError(rev.number, "does not match its hash");
    }
    if (Sha256Hex(rev.spec_json) != rev.spec_hash) {
      return ChainError(rev.number, "has a spec that does not match its spec_hash");
    }
    parent_hash = rev.hash;
    ++expected_number;
  }
  return OkStatus();
}

Status SqliteStore::AppendAudit(const AuditRecord& record) {
  Result<SqliteStatement> stmt = db_->Prepare(
      "INSERT INTO audit (at_ms, actor, action, target, result) VALUES (?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  // A record without a time is stamped now; one with a time keeps it.
  WallTime at = record.at == WallTime() ? StoredNow() : record.at;
  stmt->BindInt64(1, ToUnixMillis(at))
      .BindText(2, record.actor)
      .BindText(3, record.action)
      .BindText(4, record.target)
      .BindText(5, record.result);
  return stmt->Run();
}

Result<std::vector<AuditRecord>> SqliteStore::ListAudit(int limit) {
  // A non-positive limit means every record; SQLite treats LIMIT -1 as no limit.
  Result<SqliteStatement> stmt = db_->Prepare(
      "SELECT id, at_ms, actor, action, target, result FROM audit ORDER BY id DESC LIMIT ?");
  if (!stmt.ok()) return stmt.error();
  stmt->BindInt64(1, limit > 0 ? limit : -1);
  std::vector<AuditRecord> out;
  for (;;) {
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    AuditRecord rec;
    rec.id = stmt->ColumnInt64(0);
    rec.at = FromUnixMillis(stmt->ColumnInt64(1));
    rec.actor = stmt->ColumnText(2);
    rec.action = stmt->ColumnText(3);
    rec.target = stmt->ColumnText(4);
    rec.result = stmt->ColumnText(5);
    out.push_back(std::move(rec));
  }
  return out;
}

Status SqliteStore::PutInstance(const InstanceRecord& record) {
  Result<SqliteStatement> stmt = db_->Prepare(
      "INSERT OR REPLACE INTO instances (id, service, revision, template_hash, pid, "
      "start_ticks, port, log_path, started_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, record.id)
      .BindText(2, record.service)
      .BindInt64(3, record.revision)
      .BindText(4, record.template_hash)
      .BindInt64(5, record.pid)
      // Stored as the same 64 bits; /proc start ticks never come near the sign bit.
      .BindInt64(6, static_cast<int64_t>(record.start_ticks))
      .BindInt64(7, record.port)
      .BindText(8, record.log_path)
      .BindInt64(9, ToUnixMillis(record.started_at));
  return stmt->Run();
}

Status SqliteStore::DeleteInstance(const std::string& id) {
  Result<SqliteStatement> stmt = db_->Prepare("DELETE FROM instances WHERE id = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, id);
  return stmt->Run();
}

Result<std::vector<InstanceRecord>> SqliteStore::ListInstances() {
  Result<SqliteStatement> stmt = db_->Prepare(
      "SELECT id, service, revision, template_hash, pid, start_ticks, port, log_path, "
      "started_at_ms FROM instances ORDER BY service, id");
  if (!stmt.ok()) return stmt.error();
  std::vector<InstanceRecord> out;
  for (;;) {
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    InstanceRecord rec;
    rec.id = stmt->ColumnText(0);
    rec.service = stmt->ColumnText(1);
    rec.revision = stmt->ColumnInt64(2);
    rec.template_hash = stmt->ColumnText(3);
    rec.pid = static_cast<int>(stmt->ColumnInt64(4));
    rec.start_ticks = static_cast<unsigned long long>(stmt->ColumnInt64(5));
    rec.port = static_cast<int>(stmt->ColumnInt64(6));
    rec.log_path = stmt->ColumnText(7);
    rec.started_at = FromUnixMillis(stmt->ColumnInt64(8));
    out.push_back(std::move(rec));
  }
  return out;
}

Status SqliteStore::PutMeta(const std::string& key, const std::string& value) {
  Result<SqliteStatement> stmt =
      db_->Prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, key).BindText(2, value);
  return stmt->Run();
}

Status SqliteStore::DeleteMeta(const std::string& key) {
  Result<SqliteStatement> stmt = db_->Prepare("DELETE FROM meta WHERE key = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, key);
  return stmt->Run();
}

Result<std::optional<std::string>> SqliteStore::GetMeta(const std::string& key) {
  Result<SqliteStatement> stmt = db_->Prepare("SELECT value FROM meta WHERE key = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->BindText(1, key);
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(stmt->ColumnText(0));
}

// Durability over speed: a revision acknowledged to an operator must survive power loss.
// The busy timeout only matters for outside readers (sqlite3 CLI, backups) since the data
// dir lock keeps out other cairn servers.
constexpr const char* kPragmas =
    "PRAGMA journal_mode = WAL;"
    "PRAGMA synchronous = FULL;"
    "PRAGMA foreign_keys = ON;"
    "PRAGMA busy_timeout = 5000;";

}  // namespace

Result<std::unique_ptr<StateStore>> OpenSqliteStore(const std::string& data_dir,
                                                    const Clock* clock) {
  Result<std::unique_ptr<DataDirLock>> lock = DataDirLock::Acquire(data_dir);
  if (!lock.ok()) return lock.error();
  Result<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(data_dir + "/state.db");
  if (!db.ok()) return db.error();
  Status configured = (*db)->Exec(kPragmas);
  if (!configured.ok()) return configured.error();
  Status migrated = MigrateSchema(db->get());
  if (!migrated.ok()) return migrated.error();
  return std::unique_ptr<StateStore>(std::make_unique<SqliteStore>(
      std::move(*lock), std::move(*db), clock != nullptr ? clock : SystemClock::Get()));
}

}  // namespace cairn::state
