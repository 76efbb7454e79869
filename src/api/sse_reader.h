// SseReader: the client side of Server-Sent Events (the text/event-stream format) for
// `cairn events -f`: bytes in, whole events out, however the network split them.
// Fields other than id, event and data are ignored, as are comments (": keepalive").
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cairn::api {

struct SseMessage {
  std::string id;
  std::string event;  // "message" when the server named none
  std::string data;   // several data lines are joined with "\n"
};

class SseReader {
 public:
  // Adds bytes; returns every message they complete, in order.
  std::vector<SseMessage> Feed(std::string_view bytes);

 private:
  void Line(std::string_view line, std::vector<SseMessage>* out);

  std::string pending_;  // an incomplete line
  SseMessage current_;
  bool has_data_ = false;
};

}  // namespace cairn::api
