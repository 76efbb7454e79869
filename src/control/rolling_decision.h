// The rolling-replace decision for one service: given the target template and the instances
// that exist, which to start and which to stop now. Pure: no clock, no I/O. The controller
// calls it on every tick and carries out the answer; calling it again after the world changed
// gives the next step, so a restarted server simply continues.
#pragma once

#include <string>
#include <vector>

namespace cairn::control {

enum class InstancePhase {
  kStarting,  // running, not yet healthy
  kHealthy,
  kUnhealthy,  // running, failing its health check
  kCrashed,    // exited on its own; the supervisor restarts it after a backoff
  kStopping,   // asked to stop; no longer counts for anything
};

const char* InstancePhaseName(InstancePhase phase);

struct InstanceView {
  std::string id;
  std::string template_hash;
  InstancePhase phase = InstancePhase::kStarting;
};

struct ServiceTarget {
  std::string template_hash;
  int replicas = 0;
  int max_surge = 1;        // resolved against replicas
  int max_unavailable = 0;  // resolved against replicas
};

struct ServiceDecision {
  int start = 0;                  // instances of the target template to start now
  std::vector<std::string> stop;  // instances to stop now
  bool complete = false;          // exactly `replicas` target instances, all healthy, no others
};

// `list` in the order instances are removed when there are too many: what serves nobody
// (crashed, unhealthy, starting) before what serves users; stable within a rank.
std::vector<const InstanceView*> InRemovalOrder(std::vector<const InstanceView*> list);

// Invariants kept: at most replicas + max_surge instances not stopping; healthy instances
// never drop below replicas - max_unavailable, and never to zero while some are healthy
// and replicas > 0. Non-healthy instances of an old template are removed first.
ServiceDecision DecideService(const ServiceTarget& target,
                              const std::vector<InstanceView>& instances);

}  // namespace cairn::control
