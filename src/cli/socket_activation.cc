#include "cli/socket_activation.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace cairn::cli {
namespace {

Result<int> ParseCount(const char* text, const char* name) {
  std::string_view v(text);
  int n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || n < 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(name) + " is \"" + std::string(v) + "\", not a count", name);
  }
  return n;
}

}  // namespace

Result<int> ListenFdCount(const char* listen_pid, const char* listen_fds, int own_pid) {
  if (listen_pid == nullptr || listen_fds == nullptr) return 0;
  auto pid = ParseCount(listen_pid, "LISTEN_PID");
  if (!pid.ok()) return pid.error();
  if (*pid != own_pid) return 0;  // meant for another process (this one inherited them)
  auto count = ParseCount(listen_fds, "LISTEN_FDS");
  if (!count.ok()) return count.error();
  if (*count > 1024) {
    return MakeError(ErrorCode::kInvalidArgument, "LISTEN_FDS is " + std::to_string(*count) +
                                                      ", more sockets than cairn listens on");
  }
  return *count;
}

Result<std::vector<ActivatedSocket>> TakeActivatedSockets() {
  auto count = ListenFdCount(std::getenv("LISTEN_PID"), std::getenv("LISTEN_FDS"), getpid());
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  if (!count.ok()) return count.error();
  std::vector<ActivatedSocket> out;
  for (int fd = kListenFdsStart; fd < kListenFdsStart + *count; ++fd) {
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    int type = 0, listening = 0;
    socklen_t len = sizeof(type);
    bool stream = ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
    len = sizeof(listening);
    bool accepts =
        ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening != 0;
    sockaddr_storage addr{};
    len = sizeof(addr);
    char host[INET6_ADDRSTRLEN] = {0};
    int port = 0;
    if (stream && accepts && ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      if (addr.ss_family == AF_INET) {
        auto* in = reinterpret_cast<sockaddr_in*>(&addr);
        ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        port = ntohs(in->sin_port);
      } else if (addr.ss_family == AF_INET6) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
        ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        port = ntohs(in6->sin6_port);
      }
    }
    if (port == 0) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "descriptor " + std::to_string(fd) +
                           " from systemd is not a listening TCP socket (ListenStream= only)",
                       "LISTEN_FDS");
    }
    out.push_back(ActivatedSocket{fd, host, port});
  }
  return out;
}

}  // namespace cairn::cli
