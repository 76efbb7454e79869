// StateStore: cairn's durable state — the revision log, the audit trail, the instances the
// controller started, and small controller records. The SQLite backend is the embedded
// default; the etcd backend (cluster mode) implements the same interface.
//
// Revisions are append-only: no call updates or deletes one. Each revision carries the hash
// of its parent, so the log is a chain that VerifyChain() checks end to end.
// Implementations are not thread-safe; the controller strand owns the store.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace cairn::state {

struct Revision {
  int64_t number = 0;       // 1, 2, 3, ... without gaps
  std::string hash;         // hex SHA-256 over every other field (see revision.h)
  std::string parent_hash;  // empty for revision 1
  std::string author;
  std::string message;
  WallTime created_at;
  std::string spec_json;               // canonical JSON of the EnvironmentSpec
  std::string spec_hash;               // hex SHA-256 of spec_json
  std::optional<int64_t> rollback_of;  // set when this revision restores an earlier one
};

struct NewRevision {
  std::string spec_json;
  std::string spec_hash;
  std::string author;
  std::string message;
  std::optional<int64_t> rollback_of;
  // When set, the append fails with kConflict unless the head is this revision number
  // (0 means "no revision yet").
  std::optional<int64_t> expect_head;
};

struct AuditRecord {
  int64_t id = 0;  // assigned by the store
  WallTime at;
  std::string actor;   // who: the author / user
  std::string action;  // what: "apply", "rollback", "server.start", ...
  std::string target;  // on what: "revision 3", "service web"
  std::string result;  // "ok" or the error text
};

// An instance the controller started, persisted so a restarted server adopts it.
struct InstanceRecord {
  std::string id;
  std::string service;
  int64_t revision = 0;       // the revision whose spec it was started from
  std::string template_hash;  // spec::ServiceTemplateHash of that service
  int pid = 0;
  unsigned long long start_ticks = 0;
  int port = 0;
  std::string log_path;
  WallTime started_at;
};

// One entry of the event journal: what happened, persisted so `cairn events`, the dashboard
// and alerts see the same history after a restart. `data_json` is a JSON object of the
// event's figures ("{}" when it has none).
struct EventRecord {
  int64_t seq = 0;  // assigned by the caller (the controller's event log), increasing
  WallTime at;
  std::string type;
  std::string service;
  std::string instance;
  std::string message;
  std::string data_json = "{}";
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  // Appends a revision after the head, computing number, parent hash, time and hash.
  virtual Result<Revision> AppendRevision(const NewRevision& rev) = 0;
  // The newest revision, or nullopt when there is none.
  virtual Result<std::optional<Revision>> Head() = 0;
  virtual Result<Revision> GetRevision(int64_t number) = 0;   // kNotFound when absent
  virtual Result<std::vector<Revision>> ListRevisions() = 0;  // oldest first
  // Recomputes every hash and parent link; an error names the first bad revision.
  virtual Status VerifyChain() = 0;

  virtual Status AppendAudit(const AuditRecord& record) = 0;
  virtual Result<std::vector<AuditRecord>> ListAudit(int limit) = 0;  // newest first

  virtual Status PutInstance(const InstanceRecord& record) = 0;  // insert or replace by id
  virtual Status DeleteInstance(const std::string& id) = 0;
  virtual Result<std::vector<InstanceRecord>> ListInstances() = 0;

  // Appends events in one transaction (a tick's worth), keeping at most `keep` of the newest
  // in the journal. A seq already stored is an error and nothing of the batch is written.
  virtual Status AppendEvents(const std::vector<EventRecord>& events, int64_t keep) = 0;
  // Events with seq > after, oldest first, at most `limit`, only `service`'s when not empty.
  virtual Result<std::vector<EventRecord>> ListEvents(int64_t after, const std::string& service,
                                                      int limit) = 0;
  // The newest `limit` events, oldest first (what a restarted server keeps in memory).
  virtual Result<std::vector<EventRecord>> LastEvents(int limit) = 0;

  // Small controller records (e.g. "failed/<service>" -> revision number).
  virtual Status PutMeta(const std::string& key, const std::string& value) = 0;
  virtual Status DeleteMeta(const std::string& key) = 0;
  virtual Result<std::optional<std::string>> GetMeta(const std::string& key) = 0;
};

// Opens (creating when needed) the SQLite store in `data_dir`: WAL journal, synchronous
// commits. Takes an exclusive lock on the data dir for the life of the store; a second opener
// gets kUnavailable naming the data dir and the pid that holds it.
Result<std::unique_ptr<StateStore>> OpenSqliteStore(const std::string& data_dir,
                                                    const Clock* clock);

}  // namespace cairn::state
