#include "cli/handover_machine.h"

namespace cairn::cli {

HandoverAction HandoverMachine::OnMessage(const HandoffMessage& m) {
  HandoverAction a;
  std::string peer = "pid " + std::to_string(m.pid != 0 ? m.pid : peer_pid_);
  switch (m.type) {
    case HandoffType::kTakeover:
      if (phase_ == HandoverPhase::kDraining) {
        a.refuse = "this server already handed over to pid " + std::to_string(peer_pid_);
        a.close = true;
        return a;
      }
      if (phase_ == HandoverPhase::kOffered) {
        a.refuse = "a takeover by pid " + std::to_string(peer_pid_) + " is under way";
        a.close = true;
        return a;
      }
      if (m.protocol != kHandoffProtocol) {
        a.refuse = "hand-off protocol " + std::to_string(m.protocol) + " is not " +
                   std::to_string(kHandoffProtocol) + ", which this server speaks";
        a.close = true;
        a.log = "refused a takeover by " + peer + " (cairn " + m.version + "): " + a.refuse;
        return a;
      }
      peer_pid_ = m.pid;
      a.send_sockets = true;
      a.log = "handing the listening sockets to " + peer + " (cairn " + m.version + ")";
      if (phase_ == HandoverPhase::kRunning) phase_ = HandoverPhase::kOffered;
      return a;
    case HandoffType::kReceived:
      if (phase_ == HandoverPhase::kOffered) {
        a.release = true;
        a.send_released = true;
        a.log = peer + " holds the sockets; releasing the data dir to it";
        phase_ = HandoverPhase::kReleased;
        return a;
      }
      if (phase_ == HandoverPhase::kReleased && peer_pid_ != 0) {
        a.send_released = true;  // released by an earlier takeover that went away
        return a;
      }
      break;
    case HandoffType::kServing:
      if (phase_ == HandoverPhase::kReleased) {
        a.drain = true;
        a.close = true;
        a.log = peer + " serves; no longer accepting, draining open connections";
        phase_ = HandoverPhase::kDraining;
        return a;
      }
      break;
    case HandoffType::kRefused:
      a.close = true;
      a.log = "the takeover by " + peer + " gave up: " + m.reason;
      if (phase_ == HandoverPhase::kOffered) phase_ = HandoverPhase::kRunning;
      return a;
    case HandoffType::kSockets:
    case HandoffType::kReleased:
      break;
  }
  a.refuse = "unexpected hand-off message";
  a.close = true;
  if (phase_ == HandoverPhase::kOffered) phase_ = HandoverPhase::kRunning;
  return a;
}

HandoverAction HandoverMachine::OnPeerGone(const std::string& why) {
  HandoverAction a;
  a.close = true;
  std::string peer = "pid " + std::to_string(peer_pid_);
  switch (phase_) {
    case HandoverPhase::kRunning:
    case HandoverPhase::kDraining:
      break;
    case HandoverPhase::kOffered:
      phase_ = HandoverPhase::kRunning;
      a.log = "the takeover by " + peer + " gave up before it held the sockets (" + why +
              "); this server carries on";
      break;
    case HandoverPhase::kReleased:
      a.log = "the takeover by " + peer + " went away after this server released the data dir (" +
              why +
              "); this server keeps routing its last route table but manages nothing: run "
              "`cairn server --takeover` again";
      break;
  }
  return a;
}

Duration HandoverMachine::Patience() const {
  switch (phase_) {
    case HandoverPhase::kOffered:
      return Duration(10000);
    case HandoverPhase::kReleased:
      return Duration(120000);
    case HandoverPhase::kRunning:
    case HandoverPhase::kDraining:
      break;
  }
  return Duration(5000);
}

}  // namespace cairn::cli
