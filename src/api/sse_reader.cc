#include "api/sse_reader.h"

namespace cairn::api {

std::vector<SseMessage> SseReader::Feed(std::string_view bytes) {
  std::vector<SseMessage> out;
  pending_.append(bytes);
  size_t start = 0;
  for (;;) {
    size_t end = pending_.find('\n', start);
    if (end == std::string::npos) break;
    std::string_view line(pending_.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    Line(line, &out);
    start = end + 1;
  }
  pending_.erase(0, start);
  return out;
}

void SseReader::Line(std::string_view line, std::vector<SseMessage>* out) {
  if (line.empty()) {  // a blank line dispatches the message, if it had data
    if (has_data_) {
      if (current_.event.empty()) current_.event = "message";
      out->push_back(std::move(current_));
    }
    current_ = {};
    has_data_ = false;
    return;
  }
  if (line.front() == ':') return;  // a comment
  size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "data") {
    if (has_data_) current_.data += '\n';
    current_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    current_.event = value;
  } else if (field == "id") {
    current_.id = value;
  }
}

}  // namespace cairn::api
