#include "api/log_stream.h"

#include <sys/stat.h>

#include <deque>
#include <fstream>
#include <sstream>

namespace cairn::api {
namespace {

std::string Prefix(const std::string& id, const std::string& text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size() - 1;
    out += id + " | " + text.substr(pos, nl - pos + 1);
    pos = nl + 1;
  }
  return out;
}

uint64_t FileSize(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_size);
}

// The last `tail` lines of `path` and the size read up to.
std::string LastLines(const std::string& path, int tail, uint64_t* size) {
  std::ifstream in(path, std::ios::binary);
  std::deque<std::string> lines;
  std::string line;
  uint64_t read = 0;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // an unterminated last line waits for its newline
    read += line.size() + 1;
    lines.push_back(line + "\n");
    if (static_cast<int>(lines.size()) > tail) lines.pop_front();
  }
  *size = read;
  std::string out;
  for (const auto& l : lines) out += l;
  return out;
}

}  // namespace

LogFollower::LogFollower(const control::Controller& controller, std::string service)
    : controller_(controller), service_(std::move(service)) {}

bool LogFollower::ServiceKnown() const {
  if (!cursors_.empty()) return true;
  for (const auto& s : controller_.Snapshot().services) {
    if (s.name == service_) return true;
  }
  return false;
}

void LogFollower::TrackInstances(bool initial, int tail, std::string* out) {
  for (const auto& s : controller_.Snapshot().services) {
    if (s.name != service_) continue;
    for (const auto& inst : s.instances) {
      if (cursors_.count(inst.id)) continue;
      Cursor cursor;
      cursor.path = inst.log_path;
      if (initial) {
        *out += Prefix(inst.id, LastLines(inst.log_path, tail, &cursor.offset));
      }
      cursors_[inst.id] = cursor;  // new instances after the start are read from their top
    }
  }
}

std::string LogFollower::Start(int tail) {
  std::string out;
  TrackInstances(true, tail, &out);
  return out;
}

std::string LogFollower::Poll() {
  std::string out;
  TrackInstances(false, 0, &out);
  for (auto& [id, cursor] : cursors_) out += ReadNew(id, cursor);
  return out;
}

std::string LogFollower::ReadNew(const std::string& id, Cursor& cursor) {
  uint64_t size = FileSize(cursor.path);
  if (size < cursor.offset) {  // rotated by copytruncate: start over at the top
    cursor.offset = 0;
    cursor.partial.clear();
  }
  if (size == cursor.offset) return "";
  std::ifstream in(cursor.path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(cursor.offset));
  std::string chunk(size - cursor.offset, '\0');
  in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  chunk.resize(static_cast<size_t>(in.gcount()));
  cursor.offset += chunk.size();
  std::string text = cursor.partial + chunk;
  size_t last_nl = text.rfind('\n');
  if (last_nl == std::string::npos) {
    cursor.partial = text;
    return "";
  }
  cursor.partial = text.substr(last_nl + 1);
  return Prefix(id, text.substr(0, last_nl + 1));
}

}  // namespace cairn::api
