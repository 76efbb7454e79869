// AnalysisRun: the verdicts of one analysis, interval after interval, summed into an outcome.
// The controller judges each interval (judge.h), records the verdict here, and persists the
// state (a plain value, ToJson) so a restarted server carries on with the same counts.
//
// The limits follow Argo Rollouts' AnalysisRun, which operators already know:
// - failure_limit is how many failed intervals are tolerated: the one beyond it fails the run
//   (Argo: Failed > failureLimit). Default 0: the first failed interval rolls back.
// - inconclusive_limit is how many inconclusive intervals are tolerated, counted in total, not
//   in a row (as Argo counts them: a canary that flaps between quiet and busy still ends). The
//   one beyond it ends the run as kInconclusive, which, as in Argo, neither promotes nor rolls
//   back: the controller pauses the rollout and a person decides (`cairn rollout promote` or
//   `abort`). Not a failure, because "too little traffic to tell" says nothing against the new
//   version; never a pass, because it says nothing for it either.
// - count is how many judged intervals a run needs to pass. Unlike Argo, an inconclusive
//   interval does not count towards it: only a pass or a fail does, so a run never passes on
//   intervals that could not be judged. A run therefore ends within
//   count + failure_limit + inconclusive_limit + 1 intervals.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/result.h"
#include "rollout/judge.h"

namespace cairn::rollout {

struct AnalysisLimits {
  // Judged (pass or fail) intervals for the run to pass. 0: the run never passes on its own
  // (a background analysis, which runs until the controller stops it at the last step).
  int count = 0;
  // Failed intervals tolerated. Default 0, as in Argo: one failed interval rolls back.
  int failure_limit = 0;
  // Inconclusive intervals tolerated. Default 3, where Argo's is 0: right after a weight change
  // a 5% canary often serves fewer than min_requests in its first interval or two, and a
  // person should not be paged for that; inconclusive intervals never make a run pass, so
  // tolerating a few is safe.
  int inconclusive_limit = 3;
};

enum class AnalysisOutcome {
  kRunning,
  kPassed,        // `count` judged intervals with at most `failure_limit` failures
  kFailed,        // more than `failure_limit` failed intervals: roll back
  kInconclusive,  // more than `inconclusive_limit` inconclusive intervals: pause for a person
};
const char* AnalysisOutcomeName(AnalysisOutcome outcome);  // "running", "passed", ...

struct AnalysisRunState {
  int passed = 0;
  int failed = 0;
  int inconclusive = 0;
  AnalysisOutcome outcome = AnalysisOutcome::kRunning;
  // The Summary() of the last verdict recorded; once the run has ended, of the one that ended
  // it (for the event and the rollout's abort reason).
  std::string reason;
};

// Counts one interval's verdict and decides the outcome: failures first, then inconclusives,
// then `count`. A run that has ended stays as it is: later verdicts are ignored.
// REQUIRES: every limit >= 0.
void RecordVerdict(const AnalysisLimits& limits, Verdict verdict, const std::string& summary,
                   AnalysisRunState* state);
// The same, from a Judgement.
void RecordJudgement(const AnalysisLimits& limits, const Judgement& judgement,
                     AnalysisRunState* state);

nlohmann::json ToJson(const AnalysisRunState& state);
Result<AnalysisRunState> AnalysisRunStateFromJson(const nlohmann::json& json);

}  // namespace cairn::rollout
