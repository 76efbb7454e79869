// Helpers for the API's long-lived streaming answers (`logs -f`, the event stream): chunked
// transfer encoding and noticing that the client went away. Private to api/.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>

namespace cairn::api {

// One HTTP/1.1 chunk holding `data` (which must not be empty: an empty chunk ends the body).
std::string Chunk(const std::string& data);

// True when the peer closed its side or the socket failed; reads nothing.
bool PeerClosed(boost::asio::ip::tcp::socket& socket);

}  // namespace cairn::api
