// HTTP/1.x request heads for the router: parsing with picohttpparser plus the framing checks
// that keep request smuggling out (RFC 9112 section 6 and the classic CL.TE / TE.CL / TE.TE
// shapes). Every rejected shape is a distinct HttpError with the status the router answers.
// Pure functions over a caller-owned buffer: the parsed head holds string_views into it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "router/http_header.h"

namespace cairn::router {

struct HttpLimits {
  // Bytes of a whole request head (request line + headers); larger is 431.
  size_t max_head_bytes = 64 * 1024;
  // Header fields per head; more is 431.
  size_t max_headers = 100;
  // Bytes of the request target; longer is 414 (nginx and most browsers use 8 KiB).
  size_t max_target_bytes = 8 * 1024;
};

enum class HttpError {
  kNone = 0,
  kMalformed,                          // 400: picohttpparser rejected the head
  kBareLf,                             // 400: a line ends in LF without CR
  kObsoleteLineFolding,                // 400: a header continued on the next line
  kEmptyHeaderName,                    // 400
  kWhitespaceBeforeColon,              // 400: "Content-Length : 5"
  kInvalidHeaderName,                  // 400: a name byte that is not a token character
  kContentLengthWithTransferEncoding,  // 400
  kInvalidContentLength,               // 400: empty or non-numeric
  kConflictingContentLength,           // 400: two different values
  kUnsupportedTransferEncoding,        // 400: last coding not chunked, or chunked twice/not last
  kUnknownTransferCoding,              // 501: a coding before chunked ("gzip, chunked")
  kTransferEncodingInHttp10,           // 400: HTTP/1.0 has no chunked framing
  kMissingHost,                        // 400: HTTP/1.1 without Host
  kDuplicateHost,                      // 400
  kInvalidTarget,                      // 400: not origin-form, absolute-form or OPTIONS *
  kConnectNotAllowed,                  // 405: the router is no forward proxy
  kInvalidChunk,                       // 400: no CRLF after a chunk-size line or chunk data
  kInvalidChunkSize,                   // 400: a chunk size that is not 1*HEXDIG
  kChunkSizeOverflow,                  // 400: a chunk size past 64 bits
  kInvalidChunkExtension,              // 400: a chunk-ext off its grammar
  kChunkLineTooLong,                   // 400: a chunk-size line longer than its limit
  kInvalidTrailer,                     // 400: a trailer line that is not a header field
  kTrailerTooLarge,                    // 400: trailers beyond their limit
  kHeadTooLarge,                       // 431
  kTooManyHeaders,                     // 431
  kUriTooLong,                         // 414
  kCount,
};

// The status the router answers for `error` (0 for kNone).
int HttpErrorStatus(HttpError error);
// A stable snake_case name for metrics and logs: "bare_lf", "uri_too_long".
const char* HttpErrorName(HttpError error);

enum class BodyFraming {
  kNone,           // no body
  kContentLength,  // exactly content_length bytes
  kChunked,        // Transfer-Encoding ending in chunked
  kUntilClose,     // responses only: the body ends when the upstream closes
};

struct HttpRequestHead {
  std::string_view method;
  // The request target in origin-form ("/path?query"), or "*" for OPTIONS. An absolute-form
  // target ("http://host/path") is given here as its path and query, with its authority below.
  std::string_view target;
  // The authority of an absolute-form target; empty for origin-form. RFC 9112 section 3.2.2:
  // it replaces the Host header, which is then ignored.
  std::string_view authority;
  int minor_version = 1;
  std::vector<HttpHeader> headers;
  size_t head_bytes = 0;  // bytes of the head including the final CRLF CRLF
  std::string_view raw;   // the whole head as parsed (head_bytes long)
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;
  // After this exchange the client connection stays open (HTTP/1.1 unless "Connection: close";
  // HTTP/1.0 only with "Connection: keep-alive").
  bool keep_alive = true;
  bool expect_continue = false;  // "Expect: 100-continue"
  // Tokens of the Connection header other than close and keep-alive: the names of more
  // hop-by-hop headers (RFC 9110 section 7.6.1). Almost always empty.
  std::vector<std::string_view> connection_options;
  // An HTTP/1.1 request to switch protocols ("Connection: upgrade" and an Upgrade header, as
  // a WebSocket handshake): the value of its Upgrade header, empty otherwise.
  std::string_view upgrade;

  // The first header named `name` (case-insensitive), empty when absent.
  std::string_view Find(std::string_view name) const;
  // GET, HEAD, OPTIONS, PUT, DELETE, TRACE: safe to send again to another backend.
  bool IsIdempotent() const;
};

enum class ParseStatus { kComplete, kIncomplete, kError };

// Parses the head at the start of `buf`. kIncomplete means read more and call again (the
// limits are already enforced on the partial head). On kError, `*error` says why.
ParseStatus ParseRequestHead(std::string_view buf, const HttpLimits& limits, HttpRequestHead* head,
                             HttpError* error);

// Whether `name` is listed in `options` (a head's connection_options).
bool NamedIn(const std::vector<std::string_view>& options, std::string_view name);
// Reads a Connection header's tokens: close and keep-alive into the flags, others into
// `options`.
void ReadConnectionTokens(std::string_view value, bool* close, bool* keep_alive,
                          std::vector<std::string_view>* options);
// Checks the framing headers (Content-Length / Transfer-Encoding) of `headers`, whose kinds
// are set, and fills
// `framing` and `content_length`; kNone when valid.
HttpError CheckFraming(const std::vector<HttpHeader>& headers, BodyFraming* framing,
                       uint64_t* content_length);

}  // namespace cairn::router
