#include "cli/handoff.h"

// clang-format off
// Before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format on
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>

#include "cli/fd_passing.h"

namespace cairn::cli {
namespace {

namespace asio = boost::asio;
using asio::awaitable;

std::string Errno() { return std::strerror(errno); }

Result<sockaddr_un> Address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the hand-off socket's path is longer than a unix socket allows (" +
                         std::to_string(sizeof(addr.sun_path) - 1) + " bytes)",
                     path);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

Status Send(int fd, const HandoffMessage& m, const std::vector<int>& fds = {}) {
  return SendFdMessage(fd, EncodeHandoff(m), fds);
}

// Only a process of the user this server runs as may take it over.
bool PeerIsUs(int fd) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid == geteuid();
}

}  // namespace

std::string HandoffSocketPath(const std::string& data_dir) { return data_dir + "/handoff.sock"; }

// What the coroutines share with the listener: they may still be suspended when it goes.
struct HandoffListener::State {
  State(asio::io_context& io, int fd) : listening(io, fd) {}
  asio::posix::stream_descriptor listening;
  asio::posix::stream_descriptor* session = nullptr;  // the connection being served
  bool closed = false;
  // The listener's machine, fed what the session read (or that the peer went away); unset
  // once the listener is closed.
  std::function<HandoverAction(int fd, bool gone, const std::string& why,
                               const HandoffMessage& message)>
      step;
  std::function<Duration()> patience;
};

HandoffListener::HandoffListener(asio::io_context& io, int fd, HandoverHooks hooks)
    : hooks_(std::move(hooks)), state_(std::make_shared<State>(io, fd)) {}

HandoffListener::~HandoffListener() { Close(); }

void HandoffListener::Close() {
  if (state_->closed) return;
  state_->closed = true;
  state_->step = nullptr;
  state_->patience = nullptr;
  boost::system::error_code ec;
  state_->listening.close(ec);
  if (state_->session != nullptr) state_->session->cancel(ec);
}

void HandoffListener::Execute(int connection, const HandoverAction& a) {
  if (!a.log.empty() && hooks_.log) hooks_.log(a.log);
  if (a.send_sockets) {
    std::vector<std::pair<HandedSocket, int>> sockets = hooks_.sockets();
    // In pieces the kernel takes in one message; an empty list is one message too.
    size_t at = 0;
    do {
      HandoffMessage m;
      m.type = HandoffType::kSockets;
      m.pid = getpid();
      m.version = CAIRN_VERSION;
      std::vector<int> fds;
      for (; at < sockets.size() && fds.size() < kMaxFdsPerMessage; ++at) {
        m.sockets.push_back(sockets[at].first);
        fds.push_back(sockets[at].second);
      }
      m.more = at < sockets.size();
      if (auto sent = Send(connection, m, fds); !sent.ok() && hooks_.log) {
        hooks_.log("could not hand the sockets over: " + sent.error().ToString());
      }
    } while (at < sockets.size());
  }
  if (a.release && hooks_.release) hooks_.release();
  if (a.send_released) {
    HandoffMessage m;
    m.type = HandoffType::kReleased;
    (void)Send(connection, m);
  }
  if (!a.refuse.empty()) {
    HandoffMessage m;
    m.type = HandoffType::kRefused;
    m.reason = a.refuse;
    (void)Send(connection, m);
  }
  if (a.drain && hooks_.drain) hooks_.drain();
}

namespace {

awaitable<void> RunSession(std::shared_ptr<HandoffListener::State> state, int fd);

// Answers a connection that may not take over: its request is read first (at most a second),
// because closing a unix socket with a message unread resets it, and the peer would read the
// reset instead of the reason.
awaitable<void> Refuse(std::shared_ptr<HandoffListener::State> state, int fd, std::string reason) {
  asio::posix::stream_descriptor connection(state->listening.get_executor(), fd);  // closes fd
  asio::steady_timer timer(state->listening.get_executor());
  timer.expires_after(std::chrono::seconds(1));
  timer.async_wait([&connection](const boost::system::error_code& ec) {
    boost::system::error_code ignored;
    if (!ec) connection.cancel(ignored);
  });
  boost::system::error_code ec;
  co_await connection.async_wait(asio::posix::descriptor_base::wait_read,
                                 asio::redirect_error(asio::use_awaitable, ec));
  timer.cancel();
  if (!ec) {
    auto request = ReceiveFdMessage(fd, kMaxHandoffMessage);
    if (request.ok()) CloseAll(request->fds);
  }
  HandoffMessage m;
  m.type = HandoffType::kRefused;
  m.reason = std::move(reason);
  (void)Send(fd, m);
}

awaitable<void> AcceptLoop(std::shared_ptr<HandoffListener::State> state) {
  for (;;) {
    boost::system::error_code ec;
    co_await state->listening.async_wait(asio::posix::descriptor_base::wait_read,
                                         asio::redirect_error(asio::use_awaitable, ec));
    if (state->closed || ec == asio::error::operation_aborted) co_return;
    if (ec) continue;
    int fd =
        ::accept4(state->listening.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) continue;  // EAGAIN (a spurious wake-up) or the peer gave up already
    // Named, not a temporary: GCC 12 destroys a prvalue argument of a coroutine twice.
    std::string refusal;
    if (!PeerIsUs(fd)) {
      refusal = "only the user this server runs as may take it over";
    } else if (state->session != nullptr) {
      refusal = "another takeover is under way";
    }
    if (!refusal.empty()) {
      asio::co_spawn(state->listening.get_executor(), Refuse(state, fd, refusal), asio::detached);
      continue;
    }
    asio::co_spawn(state->listening.get_executor(), RunSession(state, fd), asio::detached);
  }
}

}  // namespace

Result<std::unique_ptr<HandoffListener>> HandoffListener::Listen(asio::io_context& io,
                                                                 const std::string& path,
                                                                 HandoverHooks hooks) {
  auto addr = Address(path);
  if (!addr.ok()) return addr.error();
  int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return MakeError(ErrorCode::kIo, "cannot create the hand-off socket: " + Errno());
  ::unlink(path.c_str());  // what a killed server left: the data dir lock says none runs
  // Only this user may connect; a peer's uid is checked as well.
  mode_t old_mask = ::umask(0177);
  int bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr));
  ::umask(old_mask);
  if (bound != 0 || ::listen(fd, 4) != 0) {
    std::string why = Errno();
    ::close(fd);
    return MakeError(ErrorCode::kIo, "cannot listen for a takeover: " + why, path);
  }
  std::unique_ptr<HandoffListener> listener(new HandoffListener(io, fd, std::move(hooks)));
  HandoffListener* self = listener.get();
  // Reset by Close, so a session still suspended then never reaches a listener that is gone.
  listener->state_->step = [self](int conn, bool gone, const std::string& why,
                                  const HandoffMessage& m) {
    HandoverAction a = gone ? self->machine_.OnPeerGone(why) : self->machine_.OnMessage(m);
    self->Execute(conn, a);
    return a;
  };
  listener->state_->patience = [self] { return self->machine_.Patience(); };
  std::shared_ptr<State> state = listener->state_;
  asio::co_spawn(io, AcceptLoop(state), asio::detached);
  return listener;
}

namespace {

awaitable<void> RunSession(std::shared_ptr<HandoffListener::State> state, int fd) {
  asio::posix::stream_descriptor connection(state->listening.get_executor(), fd);  // closes fd
  asio::steady_timer timer(state->listening.get_executor());
  state->session = &connection;
  while (!state->closed) {
    bool timed_out = false;
    timer.expires_after(state->patience());
    timer.async_wait([&timed_out, &connection](const boost::system::error_code& ec) {
      if (ec) return;
      timed_out = true;
      boost::system::error_code ignored;
      connection.cancel(ignored);
    });
    boost::system::error_code ec;
    co_await connection.async_wait(asio::posix::descriptor_base::wait_read,
                                   asio::redirect_error(asio::use_awaitable, ec));
    timer.cancel();
    if (state->closed) break;
    HandoverAction action;
    if (ec) {
      action = state->step(fd, true, timed_out ? "no answer in time" : ec.message(), {});
    } else {
      auto received = ReceiveFdMessage(fd, kMaxHandoffMessage);
      if (!received.ok() && received.error().message == kWouldBlock) continue;  // woken early
      if (!received.ok()) {
        action = state->step(fd, true, received.error().message, {});
      } else {
        CloseAll(received->fds);  // nothing sent to this side carries descriptors
        auto message = DecodeHandoff(received->data);
        action = message.ok() ? state->step(fd, false, "", *message)
                              : state->step(fd, true, message.error().message, {});
      }
    }
    if (action.close) break;
  }
  state->session = nullptr;
}

}  // namespace

Result<std::unique_ptr<TakeoverClient>> TakeoverClient::Connect(const std::string& path) {
  auto addr = Address(path);
  if (!addr.ok()) return addr.error();
  int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return MakeError(ErrorCode::kIo, "cannot create a socket: " + Errno());
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) != 0) {
    int err = errno;
    ::close(fd);
    if (err == ENOENT || err == ECONNREFUSED) return std::unique_ptr<TakeoverClient>();
    return MakeError(ErrorCode::kUnavailable,
                     std::string("cannot reach the running server: ") + std::strerror(err), path);
  }
  return std::unique_ptr<TakeoverClient>(new TakeoverClient(fd));
}

TakeoverClient::~TakeoverClient() { ::close(fd_); }

Result<FdMessage> TakeoverClient::Receive(Duration timeout) {
  pollfd p{fd_, POLLIN, 0};
  int ready;
  do {
    ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  } while (ready < 0 && errno == EINTR);
  if (ready == 0) {
    return MakeError(ErrorCode::kUnavailable,
                     "the running server did not answer within " + FormatDuration(timeout));
  }
  auto m = ReceiveFdMessage(fd_, kMaxHandoffMessage);
  if (!m.ok() && m.error().message == "closed") {
    return MakeError(ErrorCode::kUnavailable, "the running server closed the hand-off");
  }
  return m;
}

namespace {

// A `refused` message as the error it is.
Status RefusalOrUnexpected(const HandoffMessage& m, const char* expected) {
  if (m.type == HandoffType::kRefused) {
    return MakeError(ErrorCode::kUnavailable, "the running server refused: " + m.reason);
  }
  return MakeError(ErrorCode::kInternal,
                   std::string("the running server sent something else than ") + expected);
}

}  // namespace

Result<HandedOver> TakeoverClient::ReceiveSockets(int own_pid, const std::string& own_version,
                                                  Duration timeout) {
  HandoffMessage request;
  request.type = HandoffType::kTakeover;
  request.pid = own_pid;
  request.version = own_version;
  if (auto sent = Send(fd_, request); !sent.ok()) {
    // A server that refuses at once may have closed before the request went: its reason is
    // what the person needs.
    auto answer = Receive(Duration(1000));
    if (answer.ok()) {
      CloseAll(answer->fds);
      auto m = DecodeHandoff(answer->data);
      if (m.ok() && m->type == HandoffType::kRefused) return RefusalOrUnexpected(*m, "").error();
    }
    return sent.error();
  }
  HandedOver out;
  // Descriptors are owned here until returned: an error path closes what came.
  std::vector<int> owned;
  auto fail = [&](Error e) {
    CloseAll(owned);
    return e;
  };
  for (bool more = true; more;) {
    auto received = Receive(timeout);
    if (!received.ok()) return fail(received.error());
    for (int fd : received->fds) owned.push_back(fd);
    auto m = DecodeHandoff(received->data);
    if (!m.ok()) return fail(m.error());
    if (m->type != HandoffType::kSockets) return fail(RefusalOrUnexpected(*m, "sockets").error());
    if (m->sockets.size() != received->fds.size()) {
      return fail(MakeError(ErrorCode::kInternal, "the running server's sockets message lists " +
                                                      std::to_string(m->sockets.size()) +
                                                      " sockets but carries " +
                                                      std::to_string(received->fds.size())));
    }
    out.pid = m->pid;
    out.version = m->version;
    for (size_t i = 0; i < m->sockets.size(); ++i) {
      const HandedSocket& s = m->sockets[i];
      int fd = received->fds[i];
      if (s.kind == "api" && out.api_fd < 0) {
        out.api_fd = fd;
        out.api_host = s.host;
        out.api_port = s.port;
      } else if (s.kind == "router") {
        out.router.push_back(router::InheritedSocket{s.host, s.port, fd});
      } else {
        continue;  // a second API socket: stays in `owned`, closed below
      }
      std::erase(owned, fd);
    }
    more = m->more;
  }
  CloseAll(owned);
  HandoffMessage received;
  received.type = HandoffType::kReceived;
  if (auto sent = Send(fd_, received); !sent.ok()) {
    if (out.api_fd >= 0) ::close(out.api_fd);
    for (auto& s : out.router) ::close(s.fd);
    return sent.error();
  }
  return out;
}

Status TakeoverClient::WaitReleased(Duration timeout) {
  auto received = Receive(timeout);
  if (!received.ok()) return received.error();
  CloseAll(received->fds);
  auto m = DecodeHandoff(received->data);
  if (!m.ok()) return m.error();
  if (m->type != HandoffType::kReleased) return RefusalOrUnexpected(*m, "released");
  return OkStatus();
}

Status TakeoverClient::SendServing() {
  HandoffMessage m;
  m.type = HandoffType::kServing;
  return Send(fd_, m);
}

void TakeoverClient::SendRefused(const std::string& reason) {
  HandoffMessage m;
  m.type = HandoffType::kRefused;
  m.reason = reason;
  (void)Send(fd_, m);
}

}  // namespace cairn::cli
