#include "router/access_log.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>

namespace cairn::router {
namespace {

// "2026-12-03T05:00:00.123Z" without an allocation.
void AppendTime(WallTime at, std::string* out) {
  int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  time_t seconds = static_cast<time_t>(ms / 1000);
  tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  int n = std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                        parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
                        parts.tm_min, parts.tm_sec, static_cast<int>(ms % 1000));
  out->append(text, static_cast<size_t>(n));
}

void AppendHex(unsigned char c, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back(kHex[c >> 4]);
  out->push_back(kHex[c & 15]);
}

// A JSON string body: printable ASCII as is, '"' and '\' escaped, everything else \u00XX.
void AppendJsonEscaped(std::string_view s, size_t max, std::string* out) {
  bool cut = s.size() > max;
  if (cut) s = s.substr(0, max);
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(ch);
    } else if (c < 0x20 || c >= 0x7f) {
      out->append("\\u00");
      AppendHex(c, out);
    } else {
      out->push_back(ch);
    }
  }
  if (cut) out->append("...");
}

// Text: printable ASCII as is except '"' and '\', which like every other byte become \xNN,
// so a field never breaks the line's quoting. `keep_spaces` for a quoted field ("revision 7").
void AppendTextEscaped(std::string_view s, size_t max, std::string* out, bool keep_spaces = false) {
  if (s.empty()) {
    out->push_back('-');
    return;
  }
  bool cut = s.size() > max;
  if (cut) s = s.substr(0, max);
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if ((c == ' ' && keep_spaces) || (c > 0x20 && c < 0x7f && c != '"' && c != '\\')) {
      out->push_back(ch);
    } else {
      out->append("\\x");
      AppendHex(c, out);
    }
  }
  if (cut) out->append("...");
}

// Names from the route table (service, version, instance ids) are short.
constexpr size_t kMaxName = 256;

void AppendMillis(std::chrono::microseconds d, std::string* out) {
  char text[32];
  int64_t us = d.count() < 0 ? 0 : d.count();
  int n = std::snprintf(text, sizeof(text), "%lld.%03lld", static_cast<long long>(us / 1000),
                        static_cast<long long>(us % 1000));
  out->append(text, static_cast<size_t>(n));
}

}  // namespace

void AppendAccessLine(AccessLogFormat format, const AccessRecord& r, std::string* out) {
  if (format == AccessLogFormat::kJson) {
    out->append("{\"ts\":\"");
    AppendTime(r.at, out);
    out->append("\",\"level\":\"info\",\"msg\":\"access\",\"client\":\"");
    AppendJsonEscaped(r.client, kMaxName, out);
    out->append("\",\"method\":\"");
    AppendJsonEscaped(r.method, kAccessLogMaxMethod, out);
    out->append("\",\"target\":\"");
    AppendJsonEscaped(r.target, kAccessLogMaxTarget, out);
    out->append("\",\"http\":\"1.").append(std::to_string(r.minor_version));
    out->append("\",\"status\":").append(std::to_string(r.status));
    out->append(",\"bytes\":").append(std::to_string(r.bytes));
    out->append(",\"duration_ms\":");
    AppendMillis(r.duration, out);
    out->append(",\"service\":\"");
    AppendJsonEscaped(r.service, kMaxName, out);
    out->append("\",\"version\":\"");
    AppendJsonEscaped(r.version, kMaxName, out);
    out->append("\",\"instance\":\"");
    AppendJsonEscaped(r.instance, kMaxName, out);
    out->append("\"}\n");
    return;
  }
  AppendTime(r.at, out);
  out->append(" access ");
  AppendTextEscaped(r.client, kMaxName, out);
  out->append(" \"");
  AppendTextEscaped(r.method, kAccessLogMaxMethod, out);
  out->push_back(' ');
  AppendTextEscaped(r.target, kAccessLogMaxTarget, out);
  out->append(" HTTP/1.").append(std::to_string(r.minor_version)).append("\" ");
  out->append(std::to_string(r.status)).push_back(' ');
  out->append(std::to_string(r.bytes)).push_back(' ');
  AppendMillis(r.duration, out);
  out->append("ms ");
  AppendTextEscaped(r.service, kMaxName, out);
  out->append(" \"");
  AppendTextEscaped(r.version, kMaxName, out, /*keep_spaces=*/true);
  out->append("\" ");
  AppendTextEscaped(r.instance, kMaxName, out);
  out->push_back('\n');
}

AccessLogBuffer::AccessLogBuffer(const AccessLogOptions& options) : options_(options) {
  buf_.reserve(options_.flush_bytes);
}

AccessLogBuffer::~AccessLogBuffer() { Flush(); }

bool AccessLogBuffer::Append(const AccessRecord& record) {
  line_.clear();
  AppendAccessLine(options_.format, record, &line_);
  bool was_empty = buf_.empty();
  if (!was_empty && buf_.size() + line_.size() > options_.flush_bytes) {
    Flush();
    was_empty = true;
  }
  buf_.append(line_);
  // Only when flush_bytes is set below one line: write it alone rather than hold it.
  if (buf_.size() >= options_.flush_bytes) {
    Flush();
    return false;
  }
  return was_empty;
}

void AccessLogBuffer::Flush() {
  if (buf_.empty()) return;
  Write(buf_);
  buf_.clear();
}

void AccessLogBuffer::Write(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(options_.fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr is gone or full in non-blocking mode: drop, never stall
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace cairn::router
