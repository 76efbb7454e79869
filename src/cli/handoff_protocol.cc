#include "cli/handoff_protocol.h"

#include <nlohmann/json.hpp>

namespace cairn::cli {
namespace {

using nlohmann::json;

constexpr std::pair<HandoffType, const char*> kTypes[] = {
    {HandoffType::kTakeover, "takeover"}, {HandoffType::kSockets, "sockets"},
    {HandoffType::kReceived, "received"}, {HandoffType::kReleased, "released"},
    {HandoffType::kServing, "serving"},   {HandoffType::kRefused, "refused"},
};

Error Bad(const std::string& what) {
  return MakeError(ErrorCode::kInvalidArgument, "hand-off message: " + what);
}

}  // namespace

std::string EncodeHandoff(const HandoffMessage& m) {
  const char* type = "refused";
  for (const auto& [t, name] : kTypes) {
    if (t == m.type) type = name;
  }
  json j = {{"type", type}};
  switch (m.type) {
    case HandoffType::kTakeover:
      j["protocol"] = m.protocol;
      j["pid"] = m.pid;
      j["version"] = m.version;
      break;
    case HandoffType::kSockets: {
      j["pid"] = m.pid;
      j["version"] = m.version;
      j["more"] = m.more;
      json sockets = json::array();
      for (const HandedSocket& s : m.sockets) {
        sockets.push_back({{"kind", s.kind}, {"name", s.name}, {"host", s.host}, {"port", s.port}});
      }
      j["sockets"] = std::move(sockets);
      break;
    }
    case HandoffType::kRefused:
      j["reason"] = m.reason;
      break;
    case HandoffType::kReceived:
    case HandoffType::kReleased:
    case HandoffType::kServing:
      break;
  }
  return j.dump();
}

Result<HandoffMessage> DecodeHandoff(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Bad("not a JSON object");
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) return Bad("no type");
  HandoffMessage m;
  bool known = false;
  for (const auto& [t, name] : kTypes) {
    if (*type == name) {
      m.type = t;
      known = true;
    }
  }
  if (!known) return Bad("unknown type " + type->dump());
  auto integer = [&](const json& o, const char* key, int* out) -> Status {
    auto it = o.find(key);
    if (it == o.end() || !it->is_number_integer())
      return Bad(std::string(key) + " is not an integer");
    int64_t v = it->get<int64_t>();
    if (v < 0 || v > INT32_MAX) return Bad(std::string(key) + " is out of range");
    *out = static_cast<int>(v);
    return OkStatus();
  };
  auto string = [&](const json& o, const char* key, std::string* out) -> Status {
    auto it = o.find(key);
    if (it == o.end() || !it->is_string()) return Bad(std::string(key) + " is not a string");
    *out = it->get<std::string>();
    return OkStatus();
  };
  switch (m.type) {
    case HandoffType::kTakeover:
      if (auto ok = integer(j, "protocol", &m.protocol); !ok.ok()) return ok.error();
      if (auto ok = integer(j, "pid", &m.pid); !ok.ok()) return ok.error();
      if (auto ok = string(j, "version", &m.version); !ok.ok()) return ok.error();
      break;
    case HandoffType::kSockets: {
      if (auto ok = integer(j, "pid", &m.pid); !ok.ok()) return ok.error();
      if (auto ok = string(j, "version", &m.version); !ok.ok()) return ok.error();
      auto more = j.find("more");
      if (more == j.end() || !more->is_boolean()) return Bad("more is not a boolean");
      m.more = more->get<bool>();
      auto sockets = j.find("sockets");
      if (sockets == j.end() || !sockets->is_array()) return Bad("sockets is not an array");
      for (const json& s : *sockets) {
        if (!s.is_object()) return Bad("a socket is not an object");
        HandedSocket h;
        if (auto ok = string(s, "kind", &h.kind); !ok.ok()) return ok.error();
        if (h.kind != "api" && h.kind != "router") return Bad("a socket's kind is " + h.kind);
        if (auto ok = string(s, "name", &h.name); !ok.ok()) return ok.error();
        if (auto ok = string(s, "host", &h.host); !ok.ok()) return ok.error();
        if (auto ok = integer(s, "port", &h.port); !ok.ok()) return ok.error();
        if (h.port < 1 || h.port > 65535) return Bad("a socket's port is out of range");
        m.sockets.push_back(std::move(h));
      }
      break;
    }
    case HandoffType::kRefused:
      if (auto ok = string(j, "reason", &m.reason); !ok.ok()) return ok.error();
      break;
    case HandoffType::kReceived:
    case HandoffType::kReleased:
    case HandoffType::kServing:
      break;
  }
  return m;
}

}  // namespace cairn::cli
