// Listening sockets systemd opened for this process (socket activation: the LISTEN_PID and
// LISTEN_FDS protocol of sd_listen_fds(3), spoken directly, without libsystemd). systemd keeps
// them open while `cairn server` restarts, so connections wait in their queues instead of
// being refused; contrib/systemd/ has the units.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace cairn::cli {

// The first descriptor systemd passes (SD_LISTEN_FDS_START).
inline constexpr int kListenFdsStart = 3;

// How many descriptors were passed to process `own_pid`, from the two variables' values (null
// when unset): 0 when they are unset or name another process (a parent's, inherited). Pure.
Result<int> ListenFdCount(const char* listen_pid, const char* listen_fds, int own_pid);

struct ActivatedSocket {
  int fd = -1;
  std::string host;  // as bound: "127.0.0.1", "::"
  int port = 0;
};

// The TCP listening sockets passed to this process, made close-on-exec (instances must not
// inherit them), with LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES unset. An error names a
// descriptor that is not a listening TCP socket.
Result<std::vector<ActivatedSocket>> TakeActivatedSockets();

}  // namespace cairn::cli
