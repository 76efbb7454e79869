// Small host-level helpers the controller needs: a free loopback port for each instance, and
// the processes a crashed server may have left behind.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace cairn::control {

// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it).
Result<int> AllocateLoopbackPort();

struct TaggedProcess {
  int pid = 0;
  std::string instance_id;
};

// Processes whose environment carries CAIRN_DATA_DIR=data_dir, with their CAIRN_INSTANCE.
// Finds instances started by an earlier server on this data dir whose record never reached
// the store (the server died between fork and write).
std::vector<TaggedProcess> FindProcessesTaggedWith(const std::string& data_dir);

}  // namespace cairn::control

namespace cairn::control {

// True when `command` names an executable file: as given when it contains '/', else
// through the server's PATH.
bool CommandIsExecutable(const std::string& command);

}  // namespace cairn::control
