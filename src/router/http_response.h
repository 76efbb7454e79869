// HTTP/1.x response heads from upstreams, the chunk-size lines the router writes when it
// re-chunks a body, and the reason phrases of its own answers. The chunked decoder both
// directions use is chunked_decoder.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "router/chunked_decoder.h"
#include "router/http_request.h"

namespace cairn::router {

struct HttpResponseHead {
  int minor_version = 1;
  int status = 0;
  std::string_view reason;
  std::vector<HttpHeader> headers;
  size_t head_bytes = 0;
  std::string_view raw;  // the whole head as parsed (head_bytes long)
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;
  bool keep_alive = true;  // the upstream lets the connection be reused
  // Every line ends in CRLF (a bare LF is accepted from upstreams but rewritten on the way).
  bool crlf_only = true;
  // Connection tokens other than close and keep-alive (more hop-by-hop names).
  std::vector<std::string_view> connection_options;
};

// Parses the response head at the start of `buf`. `request_method` decides bodyless answers
// (HEAD). On kError the upstream connection must be closed.
ParseStatus ParseResponseHead(std::string_view buf, std::string_view request_method,
                              const HttpLimits& limits, HttpResponseHead* head, HttpError* error);

// Writes the chunk-size line for `size` ("1f\r\n") into `out` (at least 20 bytes); returns its
// length.
size_t WriteChunkHeader(size_t size, char* out);

// The reason phrase of a status the router answers on its own (400, 405, 408, 413, 414, 431,
// 501, 502, 503, 504); "Error" for any other.
const char* ReasonPhrase(int status);

}  // namespace cairn::router
