// Descriptors sent between processes over a unix socket (SCM_RIGHTS), one message at a time
// on a SOCK_SEQPACKET socket, so a message and the descriptors that travel with it arrive
// together and never merge with the next one. A cairn server hands its listening sockets to
// the server that takes its place this way (cli/handoff.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace cairn::cli {

// The kernel takes at most 253 descriptors in one message (SCM_MAX_FD).
inline constexpr size_t kMaxFdsPerMessage = 253;

struct FdMessage {
  std::string data;
  std::vector<int> fds;  // the receiver's own descriptors (close-on-exec), to close when done
};

// Sends `data` with duplicates of `fds` (at most kMaxFdsPerMessage) as one message, without
// waiting: kUnavailable when the socket's buffer is full or the peer is gone.
Status SendFdMessage(int socket, std::string_view data, const std::vector<int>& fds);

// The message of ReceiveFdMessage's error when a non-blocking socket has nothing to read.
inline constexpr std::string_view kWouldBlock = "would block";

// Receives one message of at most `max_bytes`: waits only when `socket` is blocking. EOF is
// kUnavailable ("closed"); nothing to read on a non-blocking socket is kUnavailable
// (kWouldBlock); a message cut short (too long, or more descriptors than expected) is
// kInvalidArgument, with whatever descriptors came closed.
Result<FdMessage> ReceiveFdMessage(int socket, size_t max_bytes);

// Closes every descriptor of `fds` and empties it.
void CloseAll(std::vector<int>& fds);

}  // namespace cairn::cli
