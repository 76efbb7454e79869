// Access log: one line per HTTP request on listeners that ask for it (ListenerRoute::access_log),
// in the server's log format — text for a person, one JSON object for a machine.
//
// Cost on the request path: nothing when a listener has it off (one bool read). When on, the
// worker formats the line into its own AccessLogBuffer — no lock, no shared state — and writes
// the buffer with one write(2) when the next line would take it past flush_bytes, or when the
// worker's flush timer fires (flush_interval after the first line of a batch).
//
// Why lines never interleave across workers: every write(2) holds whole lines and at most
// flush_bytes (<= PIPE_BUF, 4096 on Linux) bytes, and every line is bounded well below that (a
// long method or target is cut and marked "..."). POSIX makes a write of at most PIPE_BUF bytes
// to a pipe atomic, and a write to a file opened O_APPEND is appended whole; a server's stderr
// is one or the other under systemd, docker or a shell redirect. On a terminal no such promise
// exists, but nobody reads a busy access log there.
//
// Threading: an AccessLogBuffer belongs to one worker and is used on its thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/units.h"

namespace cairn::router {

enum class AccessLogFormat { kText, kJson };

struct AccessLogOptions {
  // The server's log format (--log-format).
  AccessLogFormat format = AccessLogFormat::kText;
  // Where lines go (not owned): the server's stderr.
  int fd = 2;
  // A worker writes its buffer before it would pass this many bytes. At most PIPE_BUF (4096),
  // so each write is atomic on a pipe; 4096 also means ~20 lines per write(2) under load.
  size_t flush_bytes = 4096;
  // A line waits at most this long in a quiet worker's buffer. 200 ms reads as live to a person
  // tailing the log and costs five writes a second per busy worker.
  Duration flush_interval{200};
};

// One finished request. Views point at the connection's own storage; valid during the call.
struct AccessRecord {
  WallTime at;              // when the answer ended
  std::string_view client;  // client IP address
  std::string_view method;
  std::string_view target;
  int minor_version = 1;  // HTTP/1.<minor>
  int status = 0;         // the status sent; 0 when the client went away before any answer
  uint64_t bytes = 0;     // response bytes sent to the client (head and body)
  std::chrono::microseconds duration{0};  // from the request head to the end of the answer
  std::string_view service;
  std::string_view version;   // "revision 7"; empty when no version could serve
  std::string_view instance;  // the upstream instance; empty when none answered
};

// Longest method and target kept in a line; longer ones are cut and end in "...". Keeps every
// line far below PIPE_BUF whatever a client sends (the router accepts 8 KiB targets).
inline constexpr size_t kAccessLogMaxMethod = 32;
inline constexpr size_t kAccessLogMaxTarget = 1024;

// Appends one line, newline included, to `out`.
// Text: 2026-12-03T05:00:00.123Z access 127.0.0.1 "GET /x HTTP/1.1" 200 13 0.412ms web
//       "revision 7" web-7-ab12   (a missing value is "-"; odd bytes in the target are \xNN)
// JSON: {"ts":"...","level":"info","msg":"access","client":"127.0.0.1","method":"GET",
//       "target":"/x","http":"1.1","status":200,"bytes":13,"duration_ms":0.412,
//       "service":"web","version":"revision 7","instance":"web-7-ab12"}
//       (bytes outside printable ASCII are written as \u00XX escapes, so the line is always
//       valid JSON)
void AppendAccessLine(AccessLogFormat format, const AccessRecord& record, std::string* out);

class AccessLogBuffer {
 public:
  explicit AccessLogBuffer(const AccessLogOptions& options);
  ~AccessLogBuffer();  // flushes
  AccessLogBuffer(const AccessLogBuffer&) = delete;
  AccessLogBuffer& operator=(const AccessLogBuffer&) = delete;

  // Adds a line, first writing what is buffered when the line would not fit. Returns true when
  // the buffer was empty before: the caller arms its flush timer.
  bool Append(const AccessRecord& record);
  // Writes what is buffered, if anything, with one write(2).
  void Flush();
  bool empty() const { return buf_.empty(); }

 private:
  void Write(std::string_view data);

  const AccessLogOptions options_;
  std::string buf_;
  std::string line_;  // scratch for the line being formatted; keeps its capacity
};

}  // namespace cairn::router
