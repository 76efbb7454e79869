#include "cli/server_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "telemetry/alert_delivery.h"

namespace cairn::cli {
namespace {

// Collects problems with their positions, like the environment file's parser does.
class Problems {
 public:
  explicit Problems(std::string file) : file_(std::move(file)) {}
  void Add(const YAML::Mark& mark, const std::string& path, const std::string& message) {
    std::string where = file_;
    if (!mark.is_null()) {
      where += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    }
    text_ +=
        (text_.empty() ? "" : "\n") + where + ": " + (path.empty() ? "" : path + ": ") + message;
  }
  bool empty() const { return text_.empty(); }
  Error ToError() const { return MakeError(ErrorCode::kInvalidArgument, text_); }

 private:
  std::string file_;
  std::string text_;
};

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Checks `node` is a mapping with only `allowed` keys; reports the rest.
bool KnownKeys(const YAML::Node& node, const std::string& path,
               const std::vector<std::string>& allowed, Problems* problems) {
  if (!node.IsMap()) {
    problems->Add(node.Mark(), path, "must be a mapping");
    return false;
  }
  std::set<std::string> seen;
  for (const auto& kv : node) {
    std::string key = kv.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      problems->Add(kv.first.Mark(), path.empty() ? key : path + "." + key,
                    "unknown field; expected one of: " + Join(allowed));
    } else if (!seen.insert(key).second) {
      problems->Add(kv.first.Mark(), path.empty() ? key : path + "." + key, "appears twice");
    }
  }
  return true;
}

// Where an error about `key` of `map` points: its value, or the key when the value is empty.
YAML::Mark MarkOf(const YAML::Node& map, const std::string& key) {
  for (const auto& kv : map) {
    if (kv.first.Scalar() != key) continue;
    return kv.second.IsNull() ? kv.first.Mark() : kv.second.Mark();
  }
  return map.Mark();
}

void ParseReceiver(const YAML::Node& node, const std::string& path, std::set<std::string>* names,
                   ServerConfig* config, Problems* problems) {
  if (!KnownKeys(node, path, {"name", "url", "format", "send_resolved"}, problems)) return;
  telemetry::AlertReceiverConfig receiver;
  bool ok = true;
  auto scalar = [&](const char* key, bool required) -> std::optional<std::string> {
    YAML::Node v = node[key];
    if (!v || v.IsNull()) {
      if (required) {
        problems->Add(v ? MarkOf(node, key) : node.Mark(), path + "." + key, "is required");
        ok = false;
      }
      return std::nullopt;
    }
    if (!v.IsScalar()) {
      problems->Add(v.Mark(), path + "." + key, "must be a single value");
      ok = false;
      return std::nullopt;
    }
    return v.Scalar();
  };
  if (auto name = scalar("name", true)) {
    receiver.name = *name;
    if (name->empty()) {
      problems->Add(MarkOf(node, "name"), path + ".name", "must not be empty");
      ok = false;
    } else if (!names->insert(*name).second) {
      problems->Add(MarkOf(node, "name"), path + ".name",
                    "\"" + *name + "\" names another receiver already");
      ok = false;
    }
  }
  if (auto url = scalar("url", true)) {
    receiver.url = *url;
    if (auto parsed = telemetry::ParseWebhookUrl(*url); !parsed.ok()) {
      problems->Add(MarkOf(node, "url"), path + ".url", parsed.error().message);
      ok = false;
    }
  }
  if (auto format = scalar("format", false)) {
    auto parsed = telemetry::ParseAlertFormat(*format);
    if (!parsed) {
      problems->Add(MarkOf(node, "format"), path + ".format",
                    "unknown format \"" + *format + "\"; expected alertmanager or json");
      ok = false;
    } else {
      receiver.format = *parsed;
    }
  }
  if (auto send = scalar("send_resolved", false)) {
    if (*send == "true") {
      receiver.send_resolved = true;
    } else if (*send == "false") {
      receiver.send_resolved = false;
    } else {
      problems->Add(MarkOf(node, "send_resolved"), path + ".send_resolved",
                    "must be true or false, found \"" + *send + "\"");
      ok = false;
    }
  }
  if (ok) config->alert_receivers.push_back(std::move(receiver));
}

// A whole number in [min, max] at `key` of `node`, or nothing (and a problem).
std::optional<int64_t> Count(const YAML::Node& node, const std::string& key,
                             const std::string& path, int64_t min, int64_t max,
                             Problems* problems) {
  YAML::Node v = node[key];
  if (!v || v.IsNull()) return std::nullopt;
  const std::string& text = v.Scalar();
  int64_t n = 0;
  bool digits = v.IsScalar() && !text.empty() && text.size() <= 18 &&
                std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) n = std::stoll(text);  // 18 digits at most: cannot throw
  if (!digits || n < min || n > max) {
    problems->Add(v.Mark(), path + "." + key,
                  "must be a whole number from " + std::to_string(min) + " to " +
                      std::to_string(max) + (v.IsScalar() ? ", found \"" + text + "\"" : ""));
    return std::nullopt;
  }
  return n;
}

void ParseConnections(const YAML::Node& node, ServerConfig* config, Problems* problems) {
  if (!KnownKeys(node, "connections", {"api", "per_listener"}, problems)) return;
  if (auto api = Count(node, "api", "connections", 1, 1 << 20, problems)) {
    config->connections.api_max_connections = *api;
  }
  if (auto per = Count(node, "per_listener", "connections", 0, 1 << 24, problems)) {
    config->connections.router_max_connections_per_listener = *per;
  }
}

}  // namespace

Result<ServerConfig> ParseServerConfig(const std::string& text, const std::string& file) {
  Problems problems(file);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    problems.Add(e.mark, "", "not valid YAML: " + e.msg);
    return problems.ToError();
  }
  ServerConfig config;
  if (!root || root.IsNull()) return config;  // an empty file configures nothing
  if (!KnownKeys(root, "", {"alerts", "connections"}, &problems)) return problems.ToError();
  if (YAML::Node connections = root["connections"]; connections && !connections.IsNull()) {
    ParseConnections(connections, &config, &problems);
  }
  if (YAML::Node alerts = root["alerts"]; alerts && !alerts.IsNull()) {
    if (KnownKeys(alerts, "alerts", {"receivers"}, &problems)) {
      YAML::Node receivers = alerts["receivers"];
      if (receivers && !receivers.IsNull() && !receivers.IsSequence()) {
        problems.Add(receivers.Mark(), "alerts.receivers", "must be a list of receivers");
      } else if (receivers) {
        std::set<std::string> names;
        for (size_t i = 0; i < receivers.size(); ++i) {
          ParseReceiver(receivers[i], "alerts.receivers[" + std::to_string(i) + "]", &names,
                        &config, &problems);
        }
      }
    }
  }
  if (!problems.empty()) return problems.ToError();
  return config;
}

Result<ServerConfig> LoadServerConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return MakeError(ErrorCode::kInvalidArgument, "cannot read the server configuration", path);
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseServerConfig(text.str(), path);
}

Result<telemetry::AlertReceiverConfig> ReceiverFromFlag(const std::string& url, int n) {
  if (auto parsed = telemetry::ParseWebhookUrl(url); !parsed.ok()) {
    Error error = parsed.error();
    error.context = "--alert-webhook";
    return error;
  }
  telemetry::AlertReceiverConfig receiver;
  receiver.name = "webhook-" + std::to_string(n);
  receiver.url = url;
  return receiver;
}

}  // namespace cairn::cli
