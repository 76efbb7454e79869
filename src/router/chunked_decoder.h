// The chunked transfer coding (RFC 9112 section 7.1), decoded strictly, for request bodies from
// clients and response bodies from upstreams. The router never forwards chunk framing as it
// arrived: it decodes and sends the data on re-chunked in its own canonical framing. What it
// accepts must still be exactly the grammar, because a hop in front of cairn that reads a chunk
// size another way ("0x4b", "5zz", a bare LF) would see bytes cairn takes for a next request as
// chunk data, which is how a request is smuggled past that hop:
//
//   chunked-body   = *chunk last-chunk trailer-section CRLF
//   chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//   chunk-size     = 1*HEXDIG                       (and it must fit in 64 bits)
//   chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//   chunk-ext-val  = token / quoted-string
//   trailer-section = *( field-line CRLF )          (checked as header fields, then dropped)
//
// Pure and incremental: bytes may arrive split anywhere, and every split gives the same result.
#pragma once

#include <cstddef>
#include <cstdint>

#include "router/http_request.h"

namespace cairn::router {

struct ChunkedLimits {
  // Bytes of one chunk-size line with its extensions, CRLF excluded. Extensions are legal but
  // nobody sends long ones; 4 KiB is what Go's net/http allows for a whole chunk line.
  size_t max_line_bytes = 4096;
  // Bytes of the trailer section (every trailer line with its CRLF).
  size_t max_trailer_bytes = 16 * 1024;
};

class ChunkedDecoder {
 public:
  enum class State { kNeedMore, kDone, kError };

  ChunkedDecoder() = default;
  explicit ChunkedDecoder(const ChunkedLimits& limits) : limits_(limits) {}

  // Decodes buf[0, len) in place: the chunk data it held end up in buf[0, *decoded). At kDone,
  // `*leftover` bytes after the body (the next message) start at buf + *decoded. At kError,
  // `error()` says which rule was broken and nothing more may be decoded; *decoded still holds
  // the data decoded before the violation (the caller drops the connection, so it matters only
  // for what was already sent).
  State Decode(char* buf, size_t len, size_t* decoded, size_t* leftover);

  // Why decoding failed: kInvalidChunkSize, kChunkSizeOverflow, kInvalidChunkExtension,
  // kChunkLineTooLong, kInvalidChunk (framing: no CRLF after a size line or chunk data),
  // kInvalidTrailer, kTrailerTooLarge. kNone before a failure.
  HttpError error() const { return error_; }

 private:
  // The size line's steps come first: Decode tests `step_ <= kExtQuotedEnd` for them.
  enum class Step : uint8_t {
    kSizeFirst,      // the first hex digit of a chunk size
    kSize,           // more hex digits, or what may follow them
    kExtBws,         // whitespace after the size or an extension value: ";" must follow
    kExtNameStart,   // after ";" (and whitespace): the extension's name
    kExtName,        // in the name
    kExtNameBws,     // whitespace after the name: "=" or ";" must follow
    kExtValueStart,  // after "=" (and whitespace): a token or a quoted string
    kExtToken,       // in a token value
    kExtQuoted,      // in a quoted-string value
    kExtQuotedPair,  // after a backslash in a quoted string
    kExtQuotedEnd,   // after the closing quote
    kSizeLf,         // the LF that ends a size line
    kData,           // chunk data, `remaining_` bytes left
    kDataCr,         // the CRLF after chunk data
    kDataLf,
    kTrailerStart,  // a trailer line, or the CRLF that ends the body
    kTrailerName,
    kTrailerValue,
    kTrailerLf,  // the LF that ends a trailer line
    kEndLf,      // the LF of the final CRLF
    kDone,
    kError,
  };

  // Fails with `error`; returns kError for the caller's convenience.
  State Fail(HttpError error);

  ChunkedLimits limits_;
  Step step_ = Step::kSizeFirst;
  HttpError error_ = HttpError::kNone;
  uint64_t size_ = 0;       // the chunk size being read
  uint64_t remaining_ = 0;  // chunk data bytes still to come
  size_t line_bytes_ = 0;   // bytes of the current size line so far
  size_t trailer_bytes_ = 0;
};

}  // namespace cairn::router
