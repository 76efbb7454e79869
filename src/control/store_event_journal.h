// StoreEventJournal: the event log's journal in the state store (SQLite's `events` table), so
// events survive a restart. Called on the controller strand only, like the store.
#pragma once

#include "state/state_store.h"
#include "telemetry/event_log.h"

namespace cairn::control {

class StoreEventJournal : public telemetry::EventJournal {
 public:
  // `store` is not owned and must outlive the journal. The journal keeps the newest `keep`
  // events; older ones are deleted as new ones are written.
  StoreEventJournal(state::StateStore& store, int64_t keep) : store_(store), keep_(keep) {}

  Status Write(const std::vector<telemetry::Event>& events) override;
  Result<std::vector<telemetry::Event>> Read(int64_t after, const std::string& service,
                                             size_t limit) override;
  Result<std::vector<telemetry::Event>> Last(size_t limit) override;

 private:
  state::StateStore& store_;
  int64_t keep_;
};

}  // namespace cairn::control
