// Declarations of picohttpparser (https://github.com/h2o/picohttpparser), the HTTP/1 parser the
// router's hot path uses. Debian ships the parser compiled into libh2o-evloop (package
// libh2o-evloop0.13, version 2.2.5; symbols phr_*) but ships no picohttpparser.h, so the
// upstream declarations of that version are repeated here. The struct layouts must match the
// library exactly: http_request_test.cc checks them through the decoder's behaviour.
//
// Notes on this version: it accepts bare LF line endings and obsolete line folding (a header
// with name == nullptr), which the router rejects itself; it rejects empty header names and
// whitespace before the colon only as a generic parse error, which router/http_request.cc
// diagnoses again to answer each shape distinctly.
#pragma once

#include <sys/types.h>

#include <cstddef>

extern "C" {

struct phr_header {
  const char* name;
  size_t name_len;
  const char* value;
  size_t value_len;
};

// Returns the number of bytes consumed when a whole head was parsed, -1 on a parse error, -2
// when the head is incomplete. `last_len` is the length of `buf` at the previous call (0 first).
int phr_parse_request(const char* buf, size_t len, const char** method, size_t* method_len,
                      const char** path, size_t* path_len, int* minor_version,
                      struct phr_header* headers, size_t* num_headers, size_t last_len);

int phr_parse_response(const char* _buf, size_t len, int* minor_version, int* status,
                       const char** msg, size_t* msg_len, struct phr_header* headers,
                       size_t* num_headers, size_t last_len);

int phr_parse_headers(const char* buf, size_t len, struct phr_header* headers, size_t* num_headers,
                      size_t last_len);

// Should be zero-filled before use; set consume_trailer to 1 to have trailers consumed.
struct phr_chunked_decoder {
  size_t bytes_left_in_chunk;
  char consume_trailer;
  char _hex_count;
  char _state;
};

// Decodes chunked data in place: on return buf[0, *bufsz) holds the decoded bytes. Returns -2
// when more input is needed, -1 on an error, or (at the end of the body) the number of bytes
// left undecoded, which start at buf + *bufsz.
ssize_t phr_decode_chunked(struct phr_chunked_decoder* decoder, char* buf, size_t* bufsz);

// Returns whether the decoder is in the middle of chunk data.
int phr_decode_chunked_is_in_data(struct phr_chunked_decoder* decoder);

}  // extern "C"
