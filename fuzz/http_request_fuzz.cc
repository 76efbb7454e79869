// libFuzzer target for the router's HTTP/1 request path: arbitrary bytes go through the request
// head parser and its framing checks under three sets of limits; a head that says the body is
// chunked has the remaining bytes decoded (in one piece, byte by byte and in odd-sized pieces,
// as reads would deliver them, and judged against a plain reading of RFC 9112's grammar), and
// whatever follows the body is parsed as the next pipelined request, as the proxy does on a
// kept-alive connection. The same bytes also go through the response head parser. Every property
// below is one the proxy relies on to keep request smuggling out; a violation traps so libFuzzer
// records the input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "router/http_request.h"
#include "router/http_response.h"

namespace cairn::router {
namespace {

#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #cond); \
      __builtin_trap();                                                                   \
    }                                                                                     \
  } while (0)

// Pipelined requests followed per input; enough to cross a few bodies.
constexpr int kMaxPipelined = 4;

// Independent of http_request.cc on purpose: the checks must not share the code they check.
bool SameLower(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x + 32);
    if (x != y) return false;
  }
  return true;
}

bool IsTchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool Within(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

bool ValidError(HttpError e) {
  if (e == HttpError::kNone || e >= HttpError::kCount) return false;
  int status = HttpErrorStatus(e);
  return (status == 400 || status == 405 || status == 414 || status == 431 || status == 501) &&
         std::string_view(HttpErrorName(e)) != "unknown";
}

// An independent reading of RFC 9112's chunked-body grammar, written the plain way (find each
// line, then check it whole) so it shares nothing with the incremental decoder it judges. The
// limits are ChunkedLimits' defaults.
bool IsHex(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool SizeLineMatches(std::string_view line, uint64_t* size) {
  if (line.size() > ChunkedLimits{}.max_line_bytes) return false;
  size_t i = 0;
  uint64_t n = 0;
  while (i < line.size() && IsHex(static_cast<unsigned char>(line[i]))) {
    if (n >> 60) return false;
    char c = line[i];
    n = n * 16 + static_cast<uint64_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    ++i;
  }
  if (i == 0) return false;
  *size = n;
  auto ws = [&](size_t j) {
    while (j < line.size() && (line[j] == ' ' || line[j] == '\t')) ++j;
    return j;
  };
  auto token = [&](size_t j) {
    size_t k = j;
    while (k < line.size() && IsTchar(static_cast<unsigned char>(line[k]))) ++k;
    return k;  // == j: no token
  };
  while (i < line.size()) {  // *( BWS ";" BWS name [ BWS "=" BWS value ] )
    size_t j = ws(i);
    if (j >= line.size() || line[j] != ';') return false;
    j = ws(j + 1);
    size_t k = token(j);
    if (k == j) return false;
    i = k;
    size_t e = ws(i);
    if (e < line.size() && line[e] == '=') {
      size_t v = ws(e + 1);
      if (v < line.size() && line[v] == '"') {
        size_t q = v + 1;
        for (;;) {
          if (q >= line.size()) return false;
          unsigned char c = static_cast<unsigned char>(line[q]);
          if (c == '"') break;
          if (c == '\\') {
            if (q + 1 >= line.size()) return false;
            unsigned char d = static_cast<unsigned char>(line[q + 1]);
            if (!(d == '\t' || (d >= 0x20 && d != 0x7f))) return false;
            q += 2;
            continue;
          }
          bool qdtext = c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
                        (c >= 0x5d && c <= 0x7e) || c >= 0x80;
          if (!qdtext) return false;
          ++q;
        }
        i = q + 1;
      } else {
        size_t t = token(v);
        if (t == v) return false;
        i = t;
      }
    }
  }
  return true;
}

bool TrailerLineMatches(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  for (size_t i = 0; i < colon; ++i) {
    if (!IsTchar(static_cast<unsigned char>(line[i]))) return false;
  }
  for (size_t i = colon + 1; i < line.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (!(c == '\t' || (c >= 0x20 && c != 0x7f))) return false;
  }
  return true;
}

// Whether `in` starts with a whole, valid chunked body; if so its data and what follows it.
bool ReferenceChunked(std::string_view in, std::string* body, std::string* rest) {
  size_t pos = 0;
  body->clear();
  for (;;) {
    size_t eol = in.find("\r\n", pos);
    if (eol == std::string_view::npos) return false;
    uint64_t size = 0;
    if (!SizeLineMatches(in.substr(pos, eol - pos), &size)) return false;
    pos = eol + 2;
    if (size == 0) break;
    if (size > in.size() - pos || in.size() - pos - size < 2) return false;
    body->append(in.substr(pos, size));
    pos += size;
    if (in.substr(pos, 2) != "\r\n") return false;
    pos += 2;
  }
  size_t trailer_bytes = 0;
  for (;;) {
    size_t eol = in.find("\r\n", pos);
    if (eol == std::string_view::npos) return false;
    if (eol == pos) break;
    trailer_bytes += eol - pos + 2;
    if (trailer_bytes > ChunkedLimits{}.max_trailer_bytes) return false;
    if (!TrailerLineMatches(in.substr(pos, eol - pos))) return false;
    pos = eol + 2;
  }
  rest->assign(in.substr(pos + 2));
  return true;
}

struct Framing {
  int content_length_headers = 0;
  int transfer_encoding_headers = 0;
  bool lengths_agree = true;
  uint64_t length = 0;
};

// Content-Length / Transfer-Encoding as an independent reading of the accepted headers sees them.
Framing ReadFraming(const std::vector<HttpHeader>& headers) {
  Framing f;
  for (const HttpHeader& h : headers) {
    if (SameLower(h.name, "content-length")) {
      std::string_view v = h.value;
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
      uint64_t n = 0;
      bool digits = !v.empty() && v.size() <= 18;
      for (char c : v) {
        digits = digits && c >= '0' && c <= '9';
        if (digits) n = n * 10 + static_cast<uint64_t>(c - '0');
      }
      if (!digits || (f.content_length_headers > 0 && n != f.length)) f.lengths_agree = false;
      f.length = n;
      ++f.content_length_headers;
    } else if (SameLower(h.name, "transfer-encoding")) {
      ++f.transfer_encoding_headers;
    }
  }
  return f;
}

void CheckRequestHead(std::string_view buf, const HttpLimits& limits, const HttpRequestHead& head) {
  FUZZ_CHECK(head.head_bytes > 0 && head.head_bytes <= buf.size());
  FUZZ_CHECK(head.head_bytes <= limits.max_head_bytes);
  std::string_view raw = buf.substr(0, head.head_bytes);
  // The head ends in an empty line, and no line in it ends in a bare LF.
  FUZZ_CHECK(raw.size() >= 4 && raw.substr(raw.size() - 4) == "\r\n\r\n");
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\n') FUZZ_CHECK(i > 0 && raw[i - 1] == '\r');
  }
  FUZZ_CHECK(!head.method.empty() && Within(head.method, raw));
  for (char c : head.method) FUZZ_CHECK(IsTchar(static_cast<unsigned char>(c)));
  // Origin-form as it arrived, "/" for an absolute-form URI without a path, or OPTIONS' "*".
  FUZZ_CHECK(!head.target.empty());
  FUZZ_CHECK(Within(head.target, raw) || (head.target == "/" && !head.authority.empty()));
  FUZZ_CHECK(head.target.front() == '/' || (head.target == "*" && head.method == "OPTIONS"));
  FUZZ_CHECK(head.method != "CONNECT");
  FUZZ_CHECK(Within(head.authority, raw));
  for (unsigned char c : head.authority) FUZZ_CHECK(c > ' ' && c != 0x7f && c != '@' && c != '/');
  for (unsigned char c : head.target) FUZZ_CHECK(c > ' ' && c != 0x7f);
  FUZZ_CHECK(head.target.size() <= limits.max_target_bytes);
  // "HTTP/1.x" with any digit x; a minor version above 1 is handled as HTTP/1.1.
  FUZZ_CHECK(head.minor_version >= 0 && head.minor_version <= 9);
  FUZZ_CHECK(head.headers.size() <= limits.max_headers);
  int hosts = 0;
  for (const HttpHeader& h : head.headers) {
    FUZZ_CHECK(!h.name.empty() && Within(h.name, raw) && Within(h.value, raw));
    for (char c : h.name) FUZZ_CHECK(IsTchar(static_cast<unsigned char>(c)));
    FUZZ_CHECK(h.value.find('\r') == std::string_view::npos);
    FUZZ_CHECK(h.value.find('\n') == std::string_view::npos);
    hosts += SameLower(h.name, "host");
  }
  FUZZ_CHECK(hosts <= 1);
  if (head.minor_version >= 1) FUZZ_CHECK(hosts == 1);

  // The smuggling properties: one unambiguous body length, agreed by every header that states it.
  Framing f = ReadFraming(head.headers);
  FUZZ_CHECK(f.content_length_headers == 0 || f.transfer_encoding_headers == 0);
  FUZZ_CHECK(f.lengths_agree);
  switch (head.framing) {
    case BodyFraming::kNone:
      FUZZ_CHECK(f.transfer_encoding_headers == 0 && f.length == 0);
      FUZZ_CHECK(head.content_length == 0);
      break;
    case BodyFraming::kContentLength:
      FUZZ_CHECK(f.content_length_headers > 0 && head.content_length == f.length);
      FUZZ_CHECK(head.content_length > 0);
      break;
    case BodyFraming::kChunked:
      FUZZ_CHECK(f.transfer_encoding_headers > 0 && head.minor_version >= 1);
      break;
    case BodyFraming::kUntilClose:
      FUZZ_CHECK(false);  // a request body never runs until close
  }
  if (head.minor_version == 0) FUZZ_CHECK(!head.expect_continue);
}

// Outcome of decoding one chunked body fed in pieces of `step` bytes (0: all at once).
struct Decoded {
  ChunkedDecoder::State state = ChunkedDecoder::State::kNeedMore;
  std::string body;
  std::string rest;  // the bytes after the body, at kDone
};

Decoded DecodeChunked(std::string_view in, size_t step) {
  Decoded out;
  ChunkedDecoder decoder;
  std::string piece;
  size_t pos = 0;
  do {
    size_t n = step == 0 ? in.size() - pos : std::min(step, in.size() - pos);
    piece.assign(in.substr(pos, n));
    pos += n;
    size_t decoded = SIZE_MAX, leftover = SIZE_MAX;
    out.state = decoder.Decode(piece.data(), piece.size(), &decoded, &leftover);
    FUZZ_CHECK(decoded <= piece.size() && leftover <= piece.size() - decoded);
    if (out.state == ChunkedDecoder::State::kError) return out;
    out.body.append(piece.data(), decoded);
    if (out.state == ChunkedDecoder::State::kDone) {
      // The bytes after the body are moved to follow the decoded bytes, unchanged.
      std::string_view tail = in.substr(0, pos);
      tail.remove_prefix(tail.size() - leftover);
      FUZZ_CHECK(std::string_view(piece.data() + decoded, leftover) == tail);
      out.rest.assign(piece.data() + decoded, leftover);
      out.rest.append(in.substr(pos));
      return out;
    }
    FUZZ_CHECK(leftover == 0);
  } while (pos < in.size());
  return out;
}

// Decodes `in` as a chunked body all at once and in pieces; every way of splitting the bytes
// must give the same body, the same end and the same next message. Returns the decoding.
Decoded CheckChunkedBody(std::string_view in, size_t odd_step) {
  Decoded whole = DecodeChunked(in, 0);
  FUZZ_CHECK(whole.body.size() <= in.size());
  for (size_t step : {size_t{1}, odd_step}) {
    Decoded split = DecodeChunked(in, step);
    FUZZ_CHECK(split.state == whole.state);
    if (whole.state != ChunkedDecoder::State::kError) {
      FUZZ_CHECK(split.body == whole.body);
      FUZZ_CHECK(split.rest == whole.rest);
    }
  }
  if (whole.state == ChunkedDecoder::State::kDone) {
    FUZZ_CHECK(whole.body.size() + whole.rest.size() < in.size());
  }
  // Exactly the grammar: the decoder finishes a body where, and only where, the plain reading
  // finds one, with the same data and the same next message.
  std::string ref_body, ref_rest;
  bool ref_done = ReferenceChunked(in, &ref_body, &ref_rest);
  FUZZ_CHECK(ref_done == (whole.state == ChunkedDecoder::State::kDone));
  if (ref_done) {
    FUZZ_CHECK(ref_body == whole.body);
    FUZZ_CHECK(ref_rest == whole.rest);
  }
  return whole;
}

// Parses one request head from `buf` under `limits`, checking what any outcome promises.
ParseStatus ParseChecked(std::string_view buf, const HttpLimits& limits, HttpRequestHead* head) {
  HttpError error = HttpError::kCount;
  ParseStatus st = ParseRequestHead(buf, limits, head, &error);
  switch (st) {
    case ParseStatus::kComplete:
      FUZZ_CHECK(error == HttpError::kNone);
      CheckRequestHead(buf, limits, *head);
      break;
    case ParseStatus::kIncomplete:
      FUZZ_CHECK(error == HttpError::kNone);
      break;
    case ParseStatus::kError:
      FUZZ_CHECK(ValidError(error));
      break;
  }
  return st;
}

bool SameHead(const HttpRequestHead& a, const HttpRequestHead& b) {
  if (a.method != b.method || a.target != b.target || a.minor_version != b.minor_version ||
      a.head_bytes != b.head_bytes || a.framing != b.framing ||
      a.content_length != b.content_length || a.keep_alive != b.keep_alive ||
      a.expect_continue != b.expect_continue || a.headers.size() != b.headers.size()) {
    return false;
  }
  for (size_t i = 0; i < a.headers.size(); ++i) {
    if (a.headers[i].name != b.headers[i].name || a.headers[i].value != b.headers[i].value) {
      return false;
    }
  }
  return true;
}

// One request off the front of `buf`, then its body; returns the bytes of the next request, or
// false when the connection would end here (error, incomplete, or the body runs out).
bool OneRequest(std::string_view buf, size_t odd_step, std::string* next) {
  HttpLimits limits;
  HttpRequestHead head;
  ParseStatus st = ParseChecked(buf, limits, &head);

  // Tight limits reach the 414/431 paths with small inputs; a wide header array takes the heap
  // path. A head within the tight limits is a head within the default ones, parsed the same.
  HttpLimits tight;
  tight.max_head_bytes = 256;
  tight.max_headers = 4;
  tight.max_target_bytes = 16;
  HttpRequestHead tight_head;
  if (ParseChecked(buf, tight, &tight_head) == ParseStatus::kComplete) {
    FUZZ_CHECK(st == ParseStatus::kComplete && SameHead(head, tight_head));
    // However the head arrives, the answer is the same: no prefix of it is rejected.
    for (size_t len = 0; len < tight_head.head_bytes; ++len) {
      HttpRequestHead part;
      FUZZ_CHECK(ParseChecked(buf.substr(0, len), tight, &part) == ParseStatus::kIncomplete);
    }
  }
  HttpLimits wide;
  wide.max_headers = 300;
  HttpRequestHead wide_head;
  ParseStatus wide_st = ParseChecked(buf, wide, &wide_head);
  if (st == ParseStatus::kComplete) {
    FUZZ_CHECK(wide_st == ParseStatus::kComplete && SameHead(head, wide_head));
  }

  if (st != ParseStatus::kComplete) return false;
  // The head ends where it ends whatever follows it: the head alone parses the same, and a
  // strict prefix of it is never a whole head.
  HttpRequestHead alone;
  FUZZ_CHECK(ParseChecked(buf.substr(0, head.head_bytes), limits, &alone) ==
             ParseStatus::kComplete);
  FUZZ_CHECK(SameHead(head, alone));
  HttpRequestHead cut;
  size_t cut_at = head.head_bytes - 1 - odd_step % head.head_bytes;
  FUZZ_CHECK(ParseChecked(buf.substr(0, cut_at), limits, &cut) != ParseStatus::kComplete);

  std::string_view body = buf.substr(head.head_bytes);
  switch (head.framing) {
    case BodyFraming::kNone:
      next->assign(body);
      return true;
    case BodyFraming::kContentLength:
      if (head.content_length > body.size()) return false;
      next->assign(body.substr(head.content_length));
      return true;
    case BodyFraming::kChunked: {
      Decoded d = CheckChunkedBody(body, odd_step);
      if (d.state != ChunkedDecoder::State::kDone) return false;
      *next = std::move(d.rest);
      return true;
    }
    case BodyFraming::kUntilClose:
      break;
  }
  return false;
}

void CheckResponse(std::string_view buf, std::string_view method, size_t odd_step) {
  HttpLimits limits;
  HttpResponseHead head;
  HttpError error = HttpError::kCount;
  ParseStatus st = ParseResponseHead(buf, method, limits, &head, &error);
  if (st != ParseStatus::kComplete) {
    FUZZ_CHECK(st == ParseStatus::kIncomplete ? error == HttpError::kNone : ValidError(error));
    return;
  }
  FUZZ_CHECK(error == HttpError::kNone);
  FUZZ_CHECK(head.head_bytes > 0 && head.head_bytes <= buf.size());
  std::string_view raw = buf.substr(0, head.head_bytes);
  FUZZ_CHECK(Within(head.reason, raw));
  FUZZ_CHECK(head.status >= 0 && head.status <= 999);
  for (const HttpHeader& h : head.headers) {
    FUZZ_CHECK(!h.name.empty() && Within(h.name, raw) && Within(h.value, raw));
  }
  Framing f = ReadFraming(head.headers);
  FUZZ_CHECK(f.content_length_headers == 0 || f.transfer_encoding_headers == 0);
  FUZZ_CHECK(f.lengths_agree);
  bool bodyless = (head.status >= 100 && head.status < 200) || head.status == 204 ||
                  head.status == 304 || method == "HEAD";
  if (bodyless) FUZZ_CHECK(head.framing == BodyFraming::kNone);
  if (head.framing == BodyFraming::kUntilClose) FUZZ_CHECK(!head.keep_alive);
  if (head.framing == BodyFraming::kContentLength) FUZZ_CHECK(head.content_length == f.length);
  if (head.framing == BodyFraming::kChunked) {
    CheckChunkedBody(buf.substr(head.head_bytes), odd_step);
  }
}

}  // namespace
}  // namespace cairn::router

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn::router;
  // Each pass works on its own exact-size heap copy, so ASan sees a read past the end.
  std::string input(reinterpret_cast<const char*>(data), size);
  // A read size from the input, so splits vary with it: 2..17 bytes.
  size_t odd_step = 2 + (size == 0 ? 0 : data[size / 2] % 16);

  std::string current = input, next;
  for (int i = 0; i < kMaxPipelined; ++i) {
    std::vector<char> exact(current.begin(), current.end());
    if (!OneRequest(std::string_view(exact.data(), exact.size()), odd_step, &next)) break;
    FUZZ_CHECK(next.size() < current.size());
    current.swap(next);
  }

  std::vector<char> exact(input.begin(), input.end());
  std::string_view view(exact.data(), exact.size());
  CheckResponse(view, "GET", odd_step);
  CheckResponse(view, "HEAD", odd_step);
  return 0;
}
