// ReleasableStore: a StateStore whose backend can be let go while the object lives on, for a
// server that hands its data dir over to a next one (cli/handoff.h). Release closes the
// backend (the SQLite connection and with it the data dir lock); every call after it fails
// with kUnavailable saying why, so nothing this process still runs (an API request in
// progress, a last event flush, a drift check) can write a store the next server owns.
// Not thread-safe, like every StateStore: the controller strand owns it.
#pragma once

#include <memory>
#include <string>

#include "state/state_store.h"

namespace cairn::state {

class ReleasableStore final : public StateStore {
 public:
  explicit ReleasableStore(std::unique_ptr<StateStore> backend) : backend_(std::move(backend)) {}

  // Closes the backend; `why` is the message of every later call's error. Idempotent.
  void Release(std::string why);
  bool released() const { return backend_ == nullptr; }

  Result<Revision> AppendRevision(const NewRevision& rev) override;
  Result<std::optional<Revision>> Head() override;
  Result<Revision> GetRevision(int64_t number) override;
  Result<std::vector<Revision>> ListRevisions() override;
  Status VerifyChain() override;
  Status AppendAudit(const AuditRecord& record) override;
  Result<std::vector<AuditRecord>> ListAudit(int limit) override;
  Status PutInstance(const InstanceRecord& record) override;
  Status DeleteInstance(const std::string& id) override;
  Result<std::vector<InstanceRecord>> ListInstances() override;
  Status AppendEvents(const std::vector<EventRecord>& events, int64_t keep) override;
  Result<std::vector<EventRecord>> ListEvents(int64_t after, const std::string& service,
                                              int limit) override;
  Result<std::vector<EventRecord>> LastEvents(int limit) override;
  Status PutMeta(const std::string& key, const std::string& value) override;
  Status DeleteMeta(const std::string& key) override;
  Result<std::optional<std::string>> GetMeta(const std::string& key) override;

 private:
  Error Released() const { return MakeError(ErrorCode::kUnavailable, why_); }

  std::unique_ptr<StateStore> backend_;
  std::string why_;
};

}  // namespace cairn::state
