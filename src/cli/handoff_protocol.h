// The messages two cairn servers exchange when one takes over from the other on the same data
// dir (`cairn server --takeover`, handoff.h). One JSON object per SOCK_SEQPACKET message; the
// listening sockets travel as descriptors attached to the `sockets` messages, in the order
// the message lists them. Pure: encoding and decoding only.
//
//   next server                          running server
//   takeover {protocol, pid, version} ─▶
//                                      ◀─ sockets {pid, version, sockets, more} + descriptors
//   received ─────────────────────────▶      (it stops deciding and writing, closes the store)
//                                      ◀─ released
//   (opens the store, adopts, serves)
//   serving ──────────────────────────▶      (it stops accepting, drains, exits)
//
// Either side may instead send `refused {reason}` and close.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace cairn::cli {

// Bumped when a message changes meaning; a server refuses a takeover of another protocol.
inline constexpr int kHandoffProtocol = 1;

enum class HandoffType { kTakeover, kSockets, kReceived, kReleased, kServing, kRefused };

// One listening socket handed over: the API's ("api") or a router listener's ("router", named
// as in the route table). Several sockets of one router listener share its address: one per
// worker of the sending server.
struct HandedSocket {
  std::string kind;
  std::string name;
  std::string host;
  int port = 0;
};

struct HandoffMessage {
  HandoffType type = HandoffType::kRefused;
  int protocol = kHandoffProtocol;    // takeover
  int pid = 0;                        // takeover, sockets: the sender's process
  std::string version;                // takeover, sockets: the sender's cairn version
  std::vector<HandedSocket> sockets;  // sockets: one per attached descriptor, in order
  bool more = false;                  // sockets: another sockets message follows
  std::string reason;                 // refused
};

// The largest message either side sends or accepts (a sockets message of 253 listeners).
inline constexpr size_t kMaxHandoffMessage = 64 * 1024;

std::string EncodeHandoff(const HandoffMessage& message);
// An error naming what is wrong for anything that is not a message of this protocol.
Result<HandoffMessage> DecodeHandoff(std::string_view text);

}  // namespace cairn::cli
