#include "router/http_response.h"

#include <cstring>

#include "router/picohttpparser.h"

namespace cairn::router {

ParseStatus ParseResponseHead(std::string_view buf, std::string_view request_method,
                              const HttpLimits& limits, HttpResponseHead* head, HttpError* error) {
  constexpr size_t kMaxHeaders = 128;
  phr_header headers[kMaxHeaders];
  size_t num_headers = kMaxHeaders;
  const char* msg = nullptr;
  size_t msg_len = 0;
  int minor = 0, status = 0;
  int n = phr_parse_response(buf.data(), buf.size(), &minor, &status, &msg, &msg_len, headers,
                             &num_headers, 0);
  *error = HttpError::kNone;
  if (n == -2) {
    if (buf.size() < limits.max_head_bytes) return ParseStatus::kIncomplete;
    *error = HttpError::kHeadTooLarge;
    return ParseStatus::kError;
  }
  if (n < 0) {
    *error = HttpError::kMalformed;
    return ParseStatus::kError;
  }
  head->minor_version = minor;
  head->status = status;
  head->reason = std::string_view(msg, msg_len);
  head->head_bytes = static_cast<size_t>(n);
  head->raw = buf.substr(0, head->head_bytes);
  head->crlf_only = !HasBareLf(head->raw);
  head->headers.clear();
  head->connection_options.clear();
  bool has_length = false;
  bool close = false, keep_alive = false;
  for (size_t i = 0; i < num_headers; ++i) {
    if (headers[i].name == nullptr || headers[i].name_len == 0) {
      *error = HttpError::kMalformed;
      return ParseStatus::kError;
    }
    std::string_view name(headers[i].name, headers[i].name_len);
    std::string_view value(headers[i].value, headers[i].value_len);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (name.back() == ' ' || name.back() == '\t') {
      *error = HttpError::kWhitespaceBeforeColon;
      return ParseStatus::kError;
    }
    HeaderKind kind = ClassifyHeader(name);
    head->headers.push_back({name, value, kind});
    if (kind == HeaderKind::kConnection) {
      ReadConnectionTokens(value, &close, &keep_alive, &head->connection_options);
    }
    has_length = has_length || kind == HeaderKind::kContentLength;
  }
  head->keep_alive = minor >= 1 ? !close : (keep_alive && !close);
  *error = CheckFraming(head->headers, &head->framing, &head->content_length);
  if (*error != HttpError::kNone) return ParseStatus::kError;
  bool bodyless =
      (status >= 100 && status < 200) || status == 204 || status == 304 || request_method == "HEAD";
  if (bodyless) {
    head->framing = BodyFraming::kNone;
  } else if (head->framing == BodyFraming::kNone && head->content_length == 0) {
    // No Content-Length (or one of 0) and no Transfer-Encoding.
    if (!has_length) {
      head->framing = BodyFraming::kUntilClose;
      head->keep_alive = false;
    }
  }
  return ParseStatus::kComplete;
}

size_t WriteChunkHeader(size_t size, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  char tmp[17];
  size_t n = 0;
  do {
    tmp[n++] = kHex[size & 15];
    size >>= 4;
  } while (size != 0);
  for (size_t i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
  out[n] = '\r';
  out[n + 1] = '\n';
  return n + 2;
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 408:
      return "Request Timeout";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 501:
      return "Not Implemented";
    case 504:
      return "Gateway Timeout";
    default:
      return "Error";
  }
}

}  // namespace cairn::router
