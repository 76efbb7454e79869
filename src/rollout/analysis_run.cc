#include "rollout/analysis_run.h"

#include <array>
#include <cassert>
#include <string_view>
#include <utility>

namespace cairn::rollout {
namespace {

constexpr std::array<std::pair<AnalysisOutcome, std::string_view>, 4> kOutcomeNames = {{
    {AnalysisOutcome::kRunning, "running"},
    {AnalysisOutcome::kPassed, "passed"},
    {AnalysisOutcome::kFailed, "failed"},
    {AnalysisOutcome::kInconclusive, "inconclusive"},
}};

Error Invalid(const std::string& message) {
  return MakeError(ErrorCode::kInvalidArgument, "analysis run state: " + message);
}

}  // namespace

const char* AnalysisOutcomeName(AnalysisOutcome outcome) {
  for (const auto& [o, name] : kOutcomeNames) {
    if (o == outcome) return name.data();
  }
  return "unknown";
}

void RecordVerdict(const AnalysisLimits& limits, Verdict verdict, const std::string& summary,
                   AnalysisRunState* state) {
  assert(limits.count >= 0 && limits.failure_limit >= 0 && limits.inconclusive_limit >= 0);
  if (state->outcome != AnalysisOutcome::kRunning) return;
  switch (verdict) {
    case Verdict::kPass:
      ++state->passed;
      break;
    case Verdict::kFail:
      ++state->failed;
      break;
    case Verdict::kInconclusive:
      ++state->inconclusive;
      break;
  }
  state->reason = summary;
  if (state->failed > limits.failure_limit) {
    state->outcome = AnalysisOutcome::kFailed;
  } else if (state->inconclusive > limits.inconclusive_limit) {
    state->outcome = AnalysisOutcome::kInconclusive;
  } else if (limits.count > 0 && state->passed + state->failed >= limits.count) {
    state->outcome = AnalysisOutcome::kPassed;
  }
}

void RecordJudgement(const AnalysisLimits& limits, const Judgement& judgement,
                     AnalysisRunState* state) {
  RecordVerdict(limits, judgement.verdict, judgement.Summary(), state);
}

nlohmann::json ToJson(const AnalysisRunState& s) {
  return nlohmann::json{{"passed", s.passed},
                        {"failed", s.failed},
                        {"inconclusive", s.inconclusive},
                        {"outcome", AnalysisOutcomeName(s.outcome)},
                        {"reason", s.reason}};
}

Result<AnalysisRunState> AnalysisRunStateFromJson(const nlohmann::json& j) {
  // nlohmann reports a missing key or a wrong type by throwing; it stops here.
  try {
    AnalysisRunState s;
    s.passed = j.at("passed").get<int>();
    s.failed = j.at("failed").get<int>();
    s.inconclusive = j.at("inconclusive").get<int>();
    if (s.passed < 0 || s.failed < 0 || s.inconclusive < 0) return Invalid("negative count");
    std::string outcome = j.at("outcome").get<std::string>();
    bool known = false;
    for (const auto& [o, name] : kOutcomeNames) {
      if (name == outcome) {
        s.outcome = o;
        known = true;
      }
    }
    if (!known) return Invalid("unknown outcome \"" + outcome + "\"");
    s.reason = j.at("reason").get<std::string>();
    return s;
  } catch (const nlohmann::json::exception& e) {
    return Invalid(e.what());
  }
}

}  // namespace cairn::rollout
