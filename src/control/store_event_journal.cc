#include "control/store_event_journal.h"

namespace cairn::control {
namespace {

state::EventRecord ToRecord(const telemetry::Event& e) {
  return {e.seq, e.at, e.type, e.service, e.instance, e.message, e.data.dump()};
}

std::vector<telemetry::Event> FromRecords(std::vector<state::EventRecord> records) {
  std::vector<telemetry::Event> out;
  out.reserve(records.size());
  for (state::EventRecord& r : records) {
    // A row whose figures do not parse (written by hand) still shows its sentence.
    nlohmann::json data = nlohmann::json::parse(r.data_json, nullptr, false);
    if (data.is_discarded() || !data.is_object()) data = nlohmann::json::object();
    out.push_back({r.seq, r.at, std::move(r.type), std::move(r.service), std::move(r.instance),
                   std::move(r.message), std::move(data)});
  }
  return out;
}

}  // namespace

Status StoreEventJournal::Write(const std::vector<telemetry::Event>& events) {
  std::vector<state::EventRecord> records;
  records.reserve(events.size());
  for (const telemetry::Event& e : events) records.push_back(ToRecord(e));
  return store_.AppendEvents(records, keep_);
}

Result<std::vector<telemetry::Event>> StoreEventJournal::Read(int64_t after,
                                                              const std::string& service,
                                                              size_t limit) {
  auto records = store_.ListEvents(after, service, static_cast<int>(limit));
  if (!records.ok()) return records.error();
  return FromRecords(std::move(*records));
}

Result<std::vector<telemetry::Event>> StoreEventJournal::Last(size_t limit) {
  auto records = store_.LastEvents(static_cast<int>(limit));
  if (!records.ok()) return records.error();
  return FromRecords(std::move(*records));
}

}  // namespace cairn::control
