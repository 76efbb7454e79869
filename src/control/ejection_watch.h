// EjectionWatch: turns the router's ejection counters into "this instance was just ejected".
// The router's workers eject a failing backend each on their own and only count it (no
// callback leaves the data path); the controller reads the counters now and then and asks
// this what grew since its last look. Pure: no clock, no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "router/router_stats.h"

namespace cairn::control {

struct Ejection {
  std::string service;
  std::string version;
  std::string instance;
  uint64_t count = 0;  // ejections since the previous look
  uint64_t total = 0;  // ejections since the router started
};

class EjectionWatch {
 public:
  // The instances whose ejection count grew since the previous call, by instance id. An
  // instance missing from `stats` is forgotten; a count that went down (a new router) starts
  // over from zero.
  std::vector<Ejection> Observe(const router::RouterStats& stats);

 private:
  std::map<std::string, uint64_t> seen_;  // instance id -> ejections at the previous look
};

}  // namespace cairn::control
