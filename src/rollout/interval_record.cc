#include "rollout/interval_record.h"

#include <array>
#include <string_view>
#include <utility>

namespace cairn::rollout {
namespace {

using nlohmann::json;

constexpr std::array<std::pair<Verdict, std::string_view>, 3> kVerdicts = {{
    {Verdict::kPass, "pass"},
    {Verdict::kFail, "fail"},
    {Verdict::kInconclusive, "inconclusive"},
}};

Error Invalid(const std::string& message) {
  return MakeError(ErrorCode::kInvalidArgument, "interval history: " + message);
}

json SideJson(const std::optional<IntervalSide>& side) {
  if (!side) return nullptr;
  return {{"requests", side->requests},
          {"failures", side->failures},
          {"success_rate", side->success_rate},
          {"latency_samples", side->latency_samples},
          {"p99_us", side->p99_us}};
}

std::optional<IntervalSide> SideFromJson(const json& j) {
  if (j.is_null()) return std::nullopt;
  IntervalSide s;
  s.requests = j.at("requests").get<uint64_t>();
  s.failures = j.at("failures").get<uint64_t>();
  s.success_rate = j.at("success_rate").get<double>();
  s.latency_samples = j.at("latency_samples").get<uint64_t>();
  s.p99_us = j.at("p99_us").get<double>();
  return s;
}

json JudgementJson(const IntervalJudgement& v) {
  json out = {{"analysis", v.analysis},
              {"verdict", VerdictName(v.verdict)},
              {"summary", v.summary},
              {"compare_baseline", v.compare_baseline}};
  if (v.min_success_rate) out["min_success_rate"] = *v.min_success_rate;
  if (v.max_p99) out["max_p99_ms"] = v.max_p99->count();
  return out;
}

Result<IntervalJudgement> JudgementFromJson(const json& j) {
  IntervalJudgement v;
  v.analysis = j.at("analysis").get<std::string>();
  std::string verdict = j.at("verdict").get<std::string>();
  bool known = false;
  for (const auto& [value, name] : kVerdicts) {
    if (name == verdict) {
      v.verdict = value;
      known = true;
    }
  }
  if (!known) return Invalid("unknown verdict \"" + verdict + "\"");
  v.summary = j.at("summary").get<std::string>();
  v.compare_baseline = j.at("compare_baseline").get<bool>();
  if (j.contains("min_success_rate")) v.min_success_rate = j.at("min_success_rate").get<double>();
  if (j.contains("max_p99_ms")) v.max_p99 = Duration(j.at("max_p99_ms").get<int64_t>());
  return v;
}

}  // namespace

std::optional<IntervalSide> SideOf(const Window& window) {
  if (window.reset) return std::nullopt;
  VersionNumbers v = MeasureWindow(window);
  return IntervalSide{v.requests, v.failures, v.success_rate, v.latency_samples, v.p99_us};
}

IntervalJudgement JudgementOf(const std::string& analysis, const Judgement& judgement) {
  return {analysis,
          judgement.verdict,
          judgement.Summary(),
          judgement.criteria.min_success_rate,
          judgement.criteria.max_p99,
          judgement.criteria.compare_baseline};
}

void IntervalHistory::Add(IntervalRecord record) {
  record.number = ++total_;
  records_.push_back(std::move(record));
  while (records_.size() > kMaxIntervals) records_.pop_front();
}

json ToJson(const IntervalHistory& history) {
  json records = json::array();
  for (const IntervalRecord& r : history.records()) {
    json judgements = json::array();
    for (const IntervalJudgement& v : r.judgements) judgements.push_back(JudgementJson(v));
    records.push_back({{"number", r.number},
                       {"at_ms", r.at_ms},
                       {"step", r.step},
                       {"canary", SideJson(r.canary)},
                       {"baseline", SideJson(r.baseline)},
                       {"judgements", std::move(judgements)}});
  }
  return {{"total", history.total()}, {"records", std::move(records)}};
}

Result<IntervalHistory> IntervalHistoryFromJson(const json& j) {
  try {
    IntervalHistory history;
    history.total_ = j.at("total").get<uint64_t>();
    const json& records = j.at("records");
    if (!records.is_array()) return Invalid("records is not an array");
    if (records.size() > IntervalHistory::kMaxIntervals) {
      return Invalid("more than " + std::to_string(IntervalHistory::kMaxIntervals) + " records");
    }
    uint64_t last = 0;
    for (const json& item : records) {
      IntervalRecord r;
      r.number = item.at("number").get<uint64_t>();
      // Numbers rise and never pass the total: a record out of order is not ours.
      if (r.number <= last || r.number > history.total_) {
        return Invalid("record number " + std::to_string(r.number) + " out of order");
      }
      last = r.number;
      r.at_ms = item.at("at_ms").get<int64_t>();
      r.step = item.at("step").get<size_t>();
      r.canary = SideFromJson(item.at("canary"));
      r.baseline = SideFromJson(item.at("baseline"));
      if (!item.at("judgements").is_array()) return Invalid("judgements is not an array");
      for (const json& v : item.at("judgements")) {
        auto judgement = JudgementFromJson(v);
        if (!judgement.ok()) return judgement.error();
        r.judgements.push_back(std::move(*judgement));
      }
      history.records_.push_back(std::move(r));
    }
    return history;
  } catch (const json::exception& e) {
    return Invalid(e.what());
  }
}

}  // namespace cairn::rollout
