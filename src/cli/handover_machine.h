// HandoverMachine: what a running server does at each step of a takeover by a next server
// (handoff_protocol.h), as data. Pure: the socket side (handoff.h) feeds it what arrived or
// that the peer went away, and carries out the actions it returns.
//
// The order is what keeps the overlap safe. The sockets go first, while this server still
// decides, writes and accepts. Only when the next server says it holds them does this one
// release the data dir (its controller stops, its API closes, its store is closed and with it
// the data dir lock), and say so; its router keeps accepting meanwhile, so the port never
// refuses a connection. The next server then opens the store, adopts the instances and serves
// the last route table; when it says it serves, this one stops accepting and drains.
//
// A next server that goes away before `received` changes nothing here. One that goes away
// after `released` leaves this server routing its last table with nothing deciding: it says
// so in its log and stays released, ready for another takeover (which gets the sockets and
// `released` at once), since taking the store back could race what the other one wrote.
#pragma once

#include <string>

#include "cli/handoff_protocol.h"
#include "core/units.h"

namespace cairn::cli {

enum class HandoverPhase {
  kRunning,   // no takeover under way (or one gave up before `received`)
  kOffered,   // sockets sent; waiting for `received`
  kReleased,  // the data dir is released; waiting for `serving`
  kDraining,  // the next server serves; this one drains and exits
};

struct HandoverAction {
  bool send_sockets = false;   // the sockets messages, with their descriptors
  bool release = false;        // stop the controller and the API, close the store
  bool send_released = false;  // after `release`, when set with it
  bool drain = false;          // stop accepting; exit once connections are done
  std::string refuse;          // when set: send `refused` with it, then close
  bool close = false;          // end this connection
  std::string log;             // a line for the server's log, when set
};

class HandoverMachine {
 public:
  HandoverMachine() = default;

  HandoverAction OnMessage(const HandoffMessage& message);
  // The connection ended (EOF, an error, a malformed message or the wait timed out).
  HandoverAction OnPeerGone(const std::string& why);

  HandoverPhase phase() const { return phase_; }
  // How long to wait for the peer's next message before giving up on it: a request comes at
  // once; `received` once the descriptors are read; `serving` once the next server opened
  // the store (which checks the whole revision chain) and adopted every instance.
  Duration Patience() const;

 private:
  HandoverPhase phase_ = HandoverPhase::kRunning;
  int peer_pid_ = 0;
};

}  // namespace cairn::cli
