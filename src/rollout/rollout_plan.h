// RolloutPlan: what a progressive rollout of one service must do, in the rollout engine's own
// terms. The controller builds it from the environment file's `strategy:` (canary or
// blue_green) and the service's replica count; the machines in rollout_machine.h only read it.
// Keeping the engine free of spec types keeps it a pure, separately tested piece.
#pragma once

#include <cstdint>
#include <vector>

#include "core/units.h"

namespace cairn::rollout {

// kRolling: the instance-by-instance replace (max_surge / max_unavailable), whose per-instance
// choices the controller's DecideService makes; its machine carries the rollout's life (pause,
// resume, abort, retry, completion), so a rolling replace is steered like any other.
enum class StrategyKind { kCanary, kBlueGreen, kRolling };

struct CanaryStep {
  enum class Kind {
    kWeight,       // send weight_bp of the traffic to the new version
    kPause,        // wait `pause`
    kManualPause,  // wait for `cairn rollout promote`
    kAnalysis,     // a judged step: the controller runs the step analysis until it ends
  };
  Kind kind = Kind::kWeight;
  uint32_t weight_bp = 0;  // basis points, 1..10000 (kWeight)
  Duration pause{0};       // kPause
};

// When a blue-green rollout switches traffic on its own.
enum class AutoPromote {
  kManual,      // only on `cairn rollout promote`
  kImmediate,   // as soon as the new version is ready (and its pre-promotion analysis passed)
  kAfterDelay,  // auto_promote_delay after it is ready (and its analysis passed)
};

struct RolloutPlan {
  StrategyKind kind = StrategyKind::kCanary;
  int replicas = 1;  // the service's instance count, for the stable and the fully promoted version

  // Canary.
  std::vector<CanaryStep> steps;
  // Canary instances: 0 scales them with the weight (ceil(replicas * weight), at least 1);
  // otherwise this many until the full promotion.
  int canary_replicas = 0;
  // A background analysis judges the canary through every step.
  bool background_analysis = false;

  // Blue-green.
  bool preview = false;  // a preview listener serves the new version before the switch
  bool prepromotion_analysis = false;  // judged on preview traffic before the switch
  AutoPromote auto_promote = AutoPromote::kManual;
  Duration auto_promote_delay{0};
  Duration scale_down_delay{30000};  // the old version stays this long after the switch
};

// Canary instances for `weight_bp` under `plan` (see RolloutPlan::canary_replicas).
int CanaryReplicasFor(const RolloutPlan& plan, uint32_t weight_bp);

}  // namespace cairn::rollout
