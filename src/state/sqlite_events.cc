#include "state/sqlite_events.h"

#include <algorithm>

namespace cairn::state {
namespace {

constexpr const char* kEventColumns = "seq, at_ms, type, service, instance, message, data_json";

Result<std::vector<EventRecord>> ReadAll(SqliteStatement* stmt) {
  std::vector<EventRecord> out;
  for (;;) {
    Result<bool> row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    EventRecord e;
    e.seq = stmt->ColumnInt64(0);
    e.at = FromUnixMillis(stmt->ColumnInt64(1));
    e.type = stmt->ColumnText(2);
    e.service = stmt->ColumnText(3);
    e.instance = stmt->ColumnText(4);
    e.message = stmt->ColumnText(5);
    e.data_json = stmt->ColumnText(6);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

Status AppendEventRows(SqliteDb* db, const std::vector<EventRecord>& events, int64_t keep) {
  if (events.empty()) return OkStatus();
  Result<SqliteTransaction> txn = SqliteTransaction::Begin(db);
  if (!txn.ok()) return txn.error();
  for (const EventRecord& e : events) {
    Result<SqliteStatement> stmt = db->Prepare(std::string("INSERT INTO events (") + kEventColumns +
                                               ") VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!stmt.ok()) return stmt.error();
    stmt->BindInt64(1, e.seq)
        .BindInt64(2, ToUnixMillis(e.at))
        .BindText(3, e.type)
        .BindText(4, e.service)
        .BindText(5, e.instance)
        .BindText(6, e.message)
        .BindText(7, e.data_json.empty() ? "{}" : e.data_json);
    Status ran = stmt->Run();
    if (!ran.ok()) return ran;  // the transaction rolls back: nothing of the batch is kept
  }
  if (keep > 0) {
    Result<SqliteStatement> prune = db->Prepare("DELETE FROM events WHERE seq <= ?");
    if (!prune.ok()) return prune.error();
    prune->BindInt64(1, events.back().seq - keep);
    Status pruned = prune->Run();
    if (!pruned.ok()) return pruned;
  }
  return txn->Commit();
}

Result<std::vector<EventRecord>> SelectEventsAfter(SqliteDb* db, int64_t after,
                                                   const std::string& service, int limit) {
  std::string sql = std::string("SELECT ") + kEventColumns + " FROM events WHERE seq > ?" +
                    (service.empty() ? "" : " AND service = ?") + " ORDER BY seq LIMIT ?";
  Result<SqliteStatement> stmt = db->Prepare(sql);
  if (!stmt.ok()) return stmt.error();
  int index = 1;
  stmt->BindInt64(index++, after);
  if (!service.empty()) stmt->BindText(index++, service);
  stmt->BindInt64(index, limit > 0 ? limit : -1);
  return ReadAll(&*stmt);
}

Result<std::vector<EventRecord>> SelectLastEvents(SqliteDb* db, int limit) {
  Result<SqliteStatement> stmt = db->Prepare(std::string("SELECT ") + kEventColumns +
                                             " FROM events ORDER BY seq DESC LIMIT ?");
  if (!stmt.ok()) return stmt.error();
  stmt->BindInt64(1, limit > 0 ? limit : -1);
  Result<std::vector<EventRecord>> rows = ReadAll(&*stmt);
  if (rows.ok()) std::reverse(rows->begin(), rows->end());
  return rows;
}

}  // namespace cairn::state
