#include "cli/fd_passing.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cairn::cli {

Status SendFdMessage(int socket, std::string_view data, const std::vector<int>& fds) {
  if (fds.size() > kMaxFdsPerMessage) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "at most " + std::to_string(kMaxFdsPerMessage) + " descriptors a message");
  }
  // A message needs a byte to carry ancillary data.
  char empty = 0;
  iovec iov{data.empty() ? &empty : const_cast<char*>(data.data()), data.empty() ? 1 : data.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control;
  if (!fds.empty()) {
    control.resize(CMSG_SPACE(sizeof(int) * fds.size()));
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t n;
  do {
    n = ::sendmsg(socket, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    return MakeError(ErrorCode::kUnavailable, std::string("cannot send: ") + std::strerror(errno));
  }
  return OkStatus();
}

Result<FdMessage> ReceiveFdMessage(int socket, size_t max_bytes) {
  FdMessage out;
  std::string buffer(max_bytes + 1, '\0');
  iovec iov{buffer.data(), buffer.size()};
  std::vector<char> control(CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage));
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  ssize_t n;
  do {
    n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    return MakeError(ErrorCode::kUnavailable, std::string(kWouldBlock));
  }
  if (n < 0) {
    return MakeError(ErrorCode::kUnavailable,
                     std::string("cannot receive: ") + std::strerror(errno));
  }
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      out.fds.push_back(fd);
    }
  }
  if (n == 0 && out.fds.empty()) return MakeError(ErrorCode::kUnavailable, "closed");
  if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 || static_cast<size_t>(n) > max_bytes) {
    CloseAll(out.fds);
    return MakeError(ErrorCode::kInvalidArgument, "a message was cut short");
  }
  out.data.assign(buffer.data(), static_cast<size_t>(n));
  return out;
}

void CloseAll(std::vector<int>& fds) {
  for (int fd : fds) ::close(fd);
  fds.clear();
}

}  // namespace cairn::cli
