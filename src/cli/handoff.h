// The hand-off of a running cairn server to a next one on the same data dir, over the unix
// socket <data_dir>/handoff.sock (SOCK_SEQPACKET, mode 0600, and only a peer of this user is
// answered). The messages and their order: handoff_protocol.h; what the running server does
// at each step: handover_machine.h.
//
// HandoffListener is the running server's side, on its controller io_context: nothing in it
// blocks (every wait is asynchronous, every send is non-blocking and small). TakeoverClient is
// the next server's side, before its event loop starts: plain blocking calls with timeouts.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/fd_passing.h"
#include "cli/handoff_protocol.h"
#include "cli/handover_machine.h"
#include "core/result.h"
#include "core/units.h"
#include "router/router.h"

namespace cairn::cli {

// The socket's path in a data dir.
std::string HandoffSocketPath(const std::string& data_dir);

// What the running server does when its HandoverMachine says so; each runs on the io_context.
struct HandoverHooks {
  // The listening sockets to hand over, each with its descriptor (which stays the caller's).
  std::function<std::vector<std::pair<HandedSocket, int>>()> sockets;
  // Stop deciding and writing: the API stops accepting, the controller's loop stops, the store
  // is closed (which releases the data dir lock). The router keeps accepting.
  std::function<void()> release;
  // The next server serves: stop accepting, finish open connections, then exit.
  std::function<void()> drain;
  std::function<void(const std::string&)> log;
};

class HandoffListener {
 public:
  // Listens at `path`, replacing a file a killed server left there. REQUIRES: the caller holds
  // the data dir lock (so no other server listens there).
  static Result<std::unique_ptr<HandoffListener>> Listen(boost::asio::io_context& io,
                                                         const std::string& path,
                                                         HandoverHooks hooks);
  ~HandoffListener();
  HandoffListener(const HandoffListener&) = delete;
  HandoffListener& operator=(const HandoffListener&) = delete;

  // Stops listening. The file stays: a next server may already have put its own there.
  void Close();
  HandoverPhase phase() const { return machine_.phase(); }

  // What the listener shares with its coroutines (handoff.cc), which may outlive a Close.
  struct State;

 private:
  HandoffListener(boost::asio::io_context& io, int fd, HandoverHooks hooks);
  void Execute(int connection, const HandoverAction& action);

  HandoverHooks hooks_;
  HandoverMachine machine_;
  std::shared_ptr<State> state_;
};

// The listening sockets a running server handed over; the descriptors are the caller's.
struct HandedOver {
  int pid = 0;
  std::string version;
  std::vector<router::InheritedSocket> router;
  int api_fd = -1;  // -1 when none came
  std::string api_host;
  int api_port = 0;
};

class TakeoverClient {
 public:
  // Connects to the server listening at `path`; null when none does (none runs, or the file
  // is what a killed server left).
  static Result<std::unique_ptr<TakeoverClient>> Connect(const std::string& path);
  ~TakeoverClient();
  TakeoverClient(const TakeoverClient&) = delete;
  TakeoverClient& operator=(const TakeoverClient&) = delete;

  // Asks for the sockets, receives them and says so. The running server then releases the
  // data dir.
  Result<HandedOver> ReceiveSockets(int own_pid, const std::string& own_version, Duration timeout);
  // Waits until the running server has released the data dir.
  Status WaitReleased(Duration timeout);
  // Says this server now serves: the running one stops accepting and drains.
  Status SendServing();
  // Says this server gives up (before `received` the running one carries on as before).
  void SendRefused(const std::string& reason);

 private:
  explicit TakeoverClient(int fd) : fd_(fd) {}
  Result<FdMessage> Receive(Duration timeout);

  int fd_;
};

}  // namespace cairn::cli
