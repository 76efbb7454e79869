#include "state/releasable_store.h"

namespace cairn::state {

void ReleasableStore::Release(std::string why) {
  if (!backend_) return;
  why_ = std::move(why);
  backend_.reset();
}

Result<Revision> ReleasableStore::AppendRevision(const NewRevision& rev) {
  if (!backend_) return Released();
  return backend_->AppendRevision(rev);
}

Result<std::optional<Revision>> ReleasableStore::Head() {
  if (!backend_) return Released();
  return backend_->Head();
}

Result<Revision> ReleasableStore::GetRevision(int64_t number) {
  if (!backend_) return Released();
  return backend_->GetRevision(number);
}

Result<std::vector<Revision>> ReleasableStore::ListRevisions() {
  if (!backend_) return Released();
  return backend_->ListRevisions();
}

Status ReleasableStore::VerifyChain() {
  if (!backend_) return Released();
  return backend_->VerifyChain();
}

Status ReleasableStore::AppendAudit(const AuditRecord& record) {
  if (!backend_) return Released();
  return backend_->AppendAudit(record);
}

Result<std::vector<AuditRecord>> ReleasableStore::ListAudit(int limit) {
  if (!backend_) return Released();
  return backend_->ListAudit(limit);
}

Status ReleasableStore::PutInstance(const InstanceRecord& record) {
  if (!backend_) return Released();
  return backend_->PutInstance(record);
}

Status ReleasableStore::DeleteInstance(const std::string& id) {
  if (!backend_) return Released();
  return backend_->DeleteInstance(id);
}

Result<std::vector<InstanceRecord>> ReleasableStore::ListInstances() {
  if (!backend_) return Released();
  return backend_->ListInstances();
}

Status ReleasableStore::AppendEvents(const std::vector<EventRecord>& events, int64_t keep) {
  if (!backend_) return Released();
  return backend_->AppendEvents(events, keep);
}

Result<std::vector<EventRecord>> ReleasableStore::ListEvents(int64_t after,
                                                             const std::string& service,
                                                             int limit) {
  if (!backend_) return Released();
  return backend_->ListEvents(after, service, limit);
}

Result<std::vector<EventRecord>> ReleasableStore::LastEvents(int limit) {
  if (!backend_) return Released();
  return backend_->LastEvents(limit);
}

Status ReleasableStore::PutMeta(const std::string& key, const std::string& value) {
  if (!backend_) return Released();
  return backend_->PutMeta(key, value);
}

Status ReleasableStore::DeleteMeta(const std::string& key) {
  if (!backend_) return Released();
  return backend_->DeleteMeta(key);
}

Result<std::optional<std::string>> ReleasableStore::GetMeta(const std::string& key) {
  if (!backend_) return Released();
  return backend_->GetMeta(key);
}

}  // namespace cairn::state
