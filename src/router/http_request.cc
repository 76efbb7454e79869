#include "router/http_request.h"

#include <cstring>

#include "router/picohttpparser.h"

namespace cairn::router {
namespace {

bool IsTokenChar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

size_t CountLines(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (c == '\n');
  return n;
}

HttpError CheckHeaderName(std::string_view name) {
  if (name.empty()) return HttpError::kEmptyHeaderName;
  if (name.back() == ' ' || name.back() == '\t') return HttpError::kWhitespaceBeforeColon;
  for (unsigned char c : name) {
    if (!IsTokenChar(c)) return HttpError::kInvalidHeaderName;
  }
  return HttpError::kNone;
}

// picohttpparser rejects a bad header name without saying why; find the first bad line so each
// smuggling shape gets its own error. `raw` is the head without its final empty line.
HttpError DiagnoseHeaders(std::string_view raw) {
  size_t eol = raw.find('\n');
  if (eol == std::string_view::npos) return HttpError::kMalformed;
  raw.remove_prefix(eol + 1);  // the request line
  while (!raw.empty()) {
    eol = raw.find('\n');
    std::string_view line = raw.substr(0, eol);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') return HttpError::kObsoleteLineFolding;
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      if (HttpError e = CheckHeaderName(line.substr(0, colon)); e != HttpError::kNone) return e;
    }
    if (eol == std::string_view::npos) break;
    raw.remove_prefix(eol + 1);
  }
  return HttpError::kMalformed;
}

bool IsAuthorityChar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != 0 && std::strchr("-._~%!$&'()*+,;=:[]", c) != nullptr;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

// Reads the request target (RFC 9112 section 3.2): origin-form stays as it is, "*" is for
// OPTIONS only, and an absolute-form http(s) URI gives its authority (which replaces Host) and
// its path and query as the target to forward. Authority-form is CONNECT's, refused before.
HttpError ReadTarget(std::string_view method, std::string_view raw_target, std::string_view* target,
                     std::string_view* authority) {
  *authority = {};
  if (raw_target.front() == '/') {
    *target = raw_target;
    return HttpError::kNone;
  }
  if (raw_target == "*") {
    if (method != "OPTIONS") return HttpError::kInvalidTarget;
    *target = raw_target;
    return HttpError::kNone;
  }
  std::string_view rest;
  if (StartsWithIgnoreCase(raw_target, "http://")) {
    rest = raw_target.substr(7);
  } else if (StartsWithIgnoreCase(raw_target, "https://")) {
    rest = raw_target.substr(8);
  } else {
    return HttpError::kInvalidTarget;
  }
  size_t end = rest.find_first_of("/?#");
  std::string_view host = rest.substr(0, end);
  // userinfo ("user@host") is deprecated for http URIs and a recipient should treat it as an
  // error (RFC 9110 section 4.2.4); so is anything that is not an authority character.
  if (host.empty()) return HttpError::kInvalidTarget;
  for (unsigned char c : host) {
    if (!IsAuthorityChar(c)) return HttpError::kInvalidTarget;
  }
  std::string_view path = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (path.empty()) {
    path = "/";
  } else if (path.front() != '/') {
    // "http://host?q" would need a "/" added in front of the query; nobody sends it.
    return HttpError::kInvalidTarget;
  }
  *authority = host;
  *target = path;
  return HttpError::kNone;
}

}  // namespace

int HttpErrorStatus(HttpError error) {
  switch (error) {
    case HttpError::kNone:
    case HttpError::kCount:
      return 0;
    case HttpError::kHeadTooLarge:
    case HttpError::kTooManyHeaders:
      return 431;
    case HttpError::kUriTooLong:
      return 414;
    case HttpError::kConnectNotAllowed:
      return 405;
    case HttpError::kUnknownTransferCoding:
      return 501;
    default:
      return 400;
  }
}

const char* HttpErrorName(HttpError error) {
  switch (error) {
    case HttpError::kNone:
      return "none";
    case HttpError::kMalformed:
      return "malformed";
    case HttpError::kBareLf:
      return "bare_lf";
    case HttpError::kObsoleteLineFolding:
      return "obsolete_line_folding";
    case HttpError::kEmptyHeaderName:
      return "empty_header_name";
    case HttpError::kWhitespaceBeforeColon:
      return "whitespace_before_colon";
    case HttpError::kInvalidHeaderName:
      return "invalid_header_name";
    case HttpError::kContentLengthWithTransferEncoding:
      return "content_length_with_transfer_encoding";
    case HttpError::kInvalidContentLength:
      return "invalid_content_length";
    case HttpError::kConflictingContentLength:
      return "conflicting_content_length";
    case HttpError::kUnsupportedTransferEncoding:
      return "unsupported_transfer_encoding";
    case HttpError::kTransferEncodingInHttp10:
      return "transfer_encoding_in_http10";
    case HttpError::kMissingHost:
      return "missing_host";
    case HttpError::kDuplicateHost:
      return "duplicate_host";
    case HttpError::kUnknownTransferCoding:
      return "unknown_transfer_coding";
    case HttpError::kInvalidTarget:
      return "invalid_target";
    case HttpError::kConnectNotAllowed:
      return "connect_not_allowed";
    case HttpError::kInvalidChunk:
      return "invalid_chunk";
    case HttpError::kInvalidChunkSize:
      return "invalid_chunk_size";
    case HttpError::kChunkSizeOverflow:
      return "chunk_size_overflow";
    case HttpError::kInvalidChunkExtension:
      return "invalid_chunk_extension";
    case HttpError::kChunkLineTooLong:
      return "chunk_line_too_long";
    case HttpError::kInvalidTrailer:
      return "invalid_trailer";
    case HttpError::kTrailerTooLarge:
      return "trailer_too_large";
    case HttpError::kHeadTooLarge:
      return "head_too_large";
    case HttpError::kTooManyHeaders:
      return "too_many_headers";
    case HttpError::kUriTooLong:
      return "uri_too_long";
    case HttpError::kCount:
      break;
  }
  return "unknown";
}

bool NamedIn(const std::vector<std::string_view>& options, std::string_view name) {
  for (std::string_view o : options) {
    if (EqualsIgnoreCase(o, name)) return true;
  }
  return false;
}

void ReadConnectionTokens(std::string_view value, bool* close, bool* keep_alive,
                          std::vector<std::string_view>* options) {
  ForEachToken(value, [&](std::string_view t) {
    if (EqualsIgnoreCase(t, "close")) {
      *close = true;
    } else if (EqualsIgnoreCase(t, "keep-alive")) {
      *keep_alive = true;
    } else {
      options->push_back(t);
    }
  });
}

HttpError CheckFraming(const std::vector<HttpHeader>& headers, BodyFraming* framing,
                       uint64_t* content_length) {
  bool have_length = false;
  uint64_t length = 0;
  bool have_te = false;
  bool last_is_chunked = false;
  int chunked_count = 0;
  int other_codings = 0;
  bool bad_coding = false;
  for (const HttpHeader& h : headers) {
    if (h.kind == HeaderKind::kContentLength) {
      std::string_view v = TrimOws(h.value);
      if (v.empty() || v.size() > 18) return HttpError::kInvalidContentLength;
      uint64_t n = 0;
      for (char c : v) {
        if (c < '0' || c > '9') return HttpError::kInvalidContentLength;
        n = n * 10 + static_cast<uint64_t>(c - '0');
      }
      if (have_length && n != length) return HttpError::kConflictingContentLength;
      have_length = true;
      length = n;
    } else if (h.kind == HeaderKind::kTransferEncoding) {
      have_te = true;
      ForEachToken(h.value, [&](std::string_view t) {
        last_is_chunked = EqualsIgnoreCase(t, "chunked");
        chunked_count += last_is_chunked;
        if (!last_is_chunked) {
          // A coding with parameters ("gzip;q=1") is still a coding the router does not
          // decode; anything that is not even a token is malformed.
          std::string_view name = TrimOws(t.substr(0, t.find(';')));
          bad_coding = bad_coding || !IsToken(name);
          ++other_codings;
        }
      });
    }
  }
  if (have_te && have_length) return HttpError::kContentLengthWithTransferEncoding;
  if (have_te) {
    if (!last_is_chunked || chunked_count != 1 || bad_coding) {
      return HttpError::kUnsupportedTransferEncoding;
    }
    // "gzip, chunked" or "identity, chunked": the router decodes only chunked, and forwarding
    // a coding it cannot check would leave the body's meaning to the next hop (RFC 9112
    // section 6.1: 501 for a coding the server does not understand).
    if (other_codings > 0) return HttpError::kUnknownTransferCoding;
    *framing = BodyFraming::kChunked;
    *content_length = 0;
  } else if (have_length) {
    *framing = length == 0 ? BodyFraming::kNone : BodyFraming::kContentLength;
    *content_length = length;
  } else {
    *framing = BodyFraming::kNone;
    *content_length = 0;
  }
  return HttpError::kNone;
}

std::string_view HttpRequestHead::Find(std::string_view name) const {
  for (const HttpHeader& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) return h.value;
  }
  return {};
}

bool HttpRequestHead::IsIdempotent() const {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" ||
         method == "DELETE" || method == "TRACE";
}

ParseStatus ParseRequestHead(std::string_view buf, const HttpLimits& limits, HttpRequestHead* head,
                             HttpError* error) {
  constexpr size_t kStackHeaders = 128;
  phr_header stack_headers[kStackHeaders];
  std::vector<phr_header> heap_headers;
  phr_header* headers = stack_headers;
  size_t capacity = limits.max_headers;
  if (capacity > kStackHeaders) {
    heap_headers.resize(capacity);
    headers = heap_headers.data();
  }
  const char* method = nullptr;
  const char* path = nullptr;
  size_t method_len = 0, path_len = 0, num_headers = capacity;
  int minor = 0;
  int n = phr_parse_request(buf.data(), buf.size(), &method, &method_len, &path, &path_len, &minor,
                            headers, &num_headers, 0);
  *error = HttpError::kNone;
  if (n == -2) {
    // picohttpparser skips one empty line before the request line (RFC 9112 section 2.2); so do
    // the limits, or a head would count one line more while arriving than once complete.
    std::string_view lines_buf = buf;
    if (lines_buf.starts_with("\r\n")) {
      lines_buf.remove_prefix(2);
    } else if (lines_buf.starts_with('\n')) {
      lines_buf.remove_prefix(1);
    }
    if (buf.size() >= limits.max_head_bytes) {
      *error = HttpError::kHeadTooLarge;
    } else if (size_t lines = CountLines(lines_buf); lines == 0) {
      // Still in the request line: 414 only once the target seen so far (after the method's
      // space, up to the version's) is certain to be too long, so a head gets the same answer
      // however it is split into reads. A long method is the head-size limit's business.
      if (size_t space = lines_buf.find(' '); space != std::string_view::npos) {
        std::string_view target = lines_buf.substr(space + 1);
        target = target.substr(0, target.find(' '));
        if (target.size() > limits.max_target_bytes) *error = HttpError::kUriTooLong;
      }
    } else if (lines > limits.max_headers + 1) {
      *error = HttpError::kTooManyHeaders;
    }
    return *error == HttpError::kNone ? ParseStatus::kIncomplete : ParseStatus::kError;
  }
  if (n < 0) {
    // picohttpparser reports a full header array as a parse error: tell the two apart.
    size_t end = buf.find("\r\n\r\n");
    if (end == std::string_view::npos) end = buf.find("\n\n");
    std::string_view raw = buf.substr(0, end);
    if (CountLines(raw) > limits.max_headers) {
      *error = HttpError::kTooManyHeaders;
    } else if (raw.size() + 4 > limits.max_head_bytes) {
      *error = HttpError::kHeadTooLarge;
    } else {
      *error = DiagnoseHeaders(raw);
    }
    return ParseStatus::kError;
  }
  size_t head_bytes = static_cast<size_t>(n);
  if (head_bytes > limits.max_head_bytes) {
    *error = HttpError::kHeadTooLarge;
    return ParseStatus::kError;
  }
  if (path_len > limits.max_target_bytes) {
    *error = HttpError::kUriTooLong;
    return ParseStatus::kError;
  }
  if (HasBareLf(buf.substr(0, head_bytes))) {
    *error = HttpError::kBareLf;
    return ParseStatus::kError;
  }
  // This picohttpparser takes "GET  HTTP/1.1" (two spaces) as an empty target and any
  // non-space bytes as a method; RFC 9112 wants a token and a non-empty target, and an upstream
  // could read either line another way.
  if (!IsToken(std::string_view(method, method_len)) || path_len == 0) {
    *error = HttpError::kMalformed;
    return ParseStatus::kError;
  }
  head->method = std::string_view(method, method_len);
  // A forward proxy's tunnel is no business of the router's (RFC 9110 section 9.3.6).
  if (head->method == "CONNECT") {
    *error = HttpError::kConnectNotAllowed;
    return ParseStatus::kError;
  }
  *error =
      ReadTarget(head->method, std::string_view(path, path_len), &head->target, &head->authority);
  if (*error != HttpError::kNone) return ParseStatus::kError;
  head->minor_version = minor;
  head->head_bytes = head_bytes;
  head->raw = buf.substr(0, head_bytes);
  head->headers.clear();
  head->expect_continue = false;
  head->connection_options.clear();
  head->upgrade = {};
  std::string_view upgrade;
  bool close = false, keep_alive = false;
  int hosts = 0;
  for (size_t i = 0; i < num_headers; ++i) {
    if (headers[i].name == nullptr) {
      *error = HttpError::kObsoleteLineFolding;
      return ParseStatus::kError;
    }
    std::string_view name(headers[i].name, headers[i].name_len);
    std::string_view value = TrimOws(std::string_view(headers[i].value, headers[i].value_len));
    if (HttpError e = CheckHeaderName(name); e != HttpError::kNone) {
      *error = e;
      return ParseStatus::kError;
    }
    HeaderKind kind = ClassifyHeader(name);
    head->headers.push_back({name, value, kind});
    if (kind == HeaderKind::kConnection) {
      ReadConnectionTokens(value, &close, &keep_alive, &head->connection_options);
    } else if (kind == HeaderKind::kHost) {
      ++hosts;
    } else if (kind == HeaderKind::kExpect) {
      head->expect_continue = EqualsIgnoreCase(value, "100-continue");
    } else if (kind == HeaderKind::kUpgrade) {
      upgrade = value;
    }
  }
  if (hosts > 1) {
    *error = HttpError::kDuplicateHost;
    return ParseStatus::kError;
  }
  if (minor >= 1 && hosts == 0) {
    *error = HttpError::kMissingHost;
    return ParseStatus::kError;
  }
  *error = CheckFraming(head->headers, &head->framing, &head->content_length);
  if (*error != HttpError::kNone) return ParseStatus::kError;
  if (minor == 0 && head->framing == BodyFraming::kChunked) {
    *error = HttpError::kTransferEncodingInHttp10;
    return ParseStatus::kError;
  }
  head->keep_alive = minor >= 1 ? !close : (keep_alive && !close);
  if (minor == 0) head->expect_continue = false;
  if (minor >= 1 && !upgrade.empty() && NamedIn(head->connection_options, "upgrade")) {
    head->upgrade = upgrade;
  }
  return ParseStatus::kComplete;
}

}  // namespace cairn::router
