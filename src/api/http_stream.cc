#include "api/http_stream.h"

#include <sys/socket.h>

#include <cerrno>
#include <charconv>

namespace cairn::api {

std::string Chunk(const std::string& data) {
  char size[20];
  auto [end, ec] = std::to_chars(size, size + sizeof(size), data.size(), 16);
  (void)ec;
  return std::string(size, end) + "\r\n" + data + "\r\n";
}

bool PeerClosed(boost::asio::ip::tcp::socket& socket) {
  char byte;
  ssize_t n = recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

}  // namespace cairn::api
