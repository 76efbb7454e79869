// The instance decision of a progressive rollout (canary, blue-green) for one service: the
// rollout machine (src/rollout) says how many instances of the new template and of the stable
// template it wants; this says which to start and which to stop now. Pure, like DecideService.
//
// Unlike a rolling replace, the two templates live side by side on purpose, so each is sized
// on its own: missing instances are started, surplus ones stopped (what serves nobody first),
// and instances of any third template (an older canary, a superseded apply) are stopped.
#pragma once

#include <string>
#include <vector>

#include "control/rolling_decision.h"

namespace cairn::control {

struct ProgressiveTarget {
  std::string new_template;
  int new_replicas = 0;
  std::string stable_template;
  int stable_replicas = 0;
};

struct ProgressiveDecision {
  int start_new = 0;
  int start_stable = 0;
  std::vector<std::string> stop;
  int new_healthy = 0;     // healthy instances of the new template, for the rollout machine
  int stable_healthy = 0;  // and of the stable one
};

ProgressiveDecision DecideProgressive(const ProgressiveTarget& target,
                                      const std::vector<InstanceView>& instances);

}  // namespace cairn::control
