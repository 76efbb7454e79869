// Canonical JSON for specs, its inverse, and the hashes built on it. The JSON shape is what
// plan/ diffs field by field, so keys read as paths: "env.LOG_LEVEL", "ports.http.listen",
// "health.interval", "strategy.rolling.max_surge".
#include <algorithm>
#include <charconv>

#include "core/sha256.h"
#include "spec/spec.h"

namespace cairn::spec {
namespace {

using nlohmann::json;

const char* ProtocolName(Protocol protocol) { return protocol == Protocol::kTcp ? "tcp" : "http"; }

const char* HealthKindName(HealthKind kind) {
  switch (kind) {
    case HealthKind::kNone:
      return "none";
    case HealthKind::kHttp:
      return "http";
    case HealthKind::kTcp:
      return "tcp";
    case HealthKind::kExec:
      return "exec";
  }
  return "none";
}

// Shortest text that reads back as the same double: 25 -> "25", 12.5 -> "12.5".
std::string FormatNumber(double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return ec == std::errc() ? std::string(buffer, end) : std::to_string(value);
}

json CountOrPercentToJson(const CountOrPercent& value) {
  if (value.is_percent) return FormatNumber(value.percent) + "%";
  return value.count;
}

json HealthToJson(const HealthSpec& health) {
  return json{{"kind", HealthKindName(health.kind)},
              {"path", health.http_path},
              {"command", health.exec_command},
              {"interval", FormatDuration(health.interval)},
              {"timeout", FormatDuration(health.timeout)},
              {"healthy_after", health.healthy_after},
              {"unhealthy_after", health.unhealthy_after},
              {"start_grace", FormatDuration(health.start_grace)}};
}

// ---- Reading back ----
//
// A problem deep in the tree unwinds to FromJson as a JsonShapeError, which turns it into an
// Error value; the exception never leaves this file.

struct JsonShapeError {
  std::string path;
  std::string message;
};

[[noreturn]] void Fail(const std::string& path, const std::string& message) {
  throw JsonShapeError{path, message};
}

std::string Join(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

// An object's fields: a missing one keeps its default (a stored spec from before a field
// existed still reads); an unknown one is an error (it would be lost silently).
class ObjectIn {
 public:
  ObjectIn(const json& object, std::string path, std::vector<std::string> known)
      : object_(object), path_(std::move(path)) {
    if (!object_.is_object()) Fail(path_, "expected an object, found " + object_.dump());
    for (const auto& [key, value] : object_.items()) {
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        Fail(Join(path_, key), "unknown field");
      }
    }
  }

  const json* Find(const std::string& key) const {
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }
  std::string PathOf(const std::string& key) const { return Join(path_, key); }

  void String(const std::string& key, std::string* out) const {
    if (const json* value = Find(key)) {
      if (!value->is_string()) Fail(PathOf(key), "expected a string, found " + value->dump());
      *out = value->get<std::string>();
    }
  }
  void Int(const std::string& key, int* out) const {
    if (const json* value = Find(key)) {
      if (!value->is_number_integer()) {
        Fail(PathOf(key), "expected an integer, found " + value->dump());
      }
      *out = value->get<int>();
    }
  }
  void DurationValue(const std::string& key, Duration* out) const {
    std::string text;
    String(key, &text);
    if (text.empty()) return;
    Result<Duration> parsed = ParseDuration(text);
    if (!parsed.ok()) Fail(PathOf(key), parsed.error().message);
    *out = *parsed;
  }
  void StringList(const std::string& key, std::vector<std::string>* out) const {
    const json* value = Find(key);
    if (value == nullptr) return;
    if (!value->is_array()) Fail(PathOf(key), "expected an array, found " + value->dump());
    out->clear();
    for (const json& item : *value) {
      if (!item.is_string()) Fail(PathOf(key), "expected strings, found " + item.dump());
      out->push_back(item.get<std::string>());
    }
  }
  void CountOrPercentValue(const std::string& key, CountOrPercent* out) const {
    const json* value = Find(key);
    if (value == nullptr) return;
    if (value->is_number_unsigned() || value->is_number_integer()) {
      *out = CountOrPercent{false, value->get<int>(), 0};
    } else if (value->is_string()) {
      Result<double> percent = ParsePercent(value->get<std::string>());
      if (!percent.ok()) Fail(PathOf(key), percent.error().message);
      *out = CountOrPercent{true, 0, *percent};
    } else {
      Fail(PathOf(key), "expected a count or a percentage, found " + value->dump());
    }
  }

 private:
  const json& object_;
  std::string path_;
};

HealthSpec HealthFromJson(const json& json_health, const std::string& path) {
  ObjectIn in(json_health, path,
              {"kind", "path", "command", "interval", "timeout", "healthy_after", "unhealthy_after",
               "start_grace"});
  HealthSpec health;
  std::string kind = "none";
  in.String("kind", &kind);
  if (kind == "none") {
    health.kind = HealthKind::kNone;
  } else if (kind == "http") {
    health.kind = HealthKind::kHttp;
  } else if (kind == "tcp") {
    health.kind = HealthKind::kTcp;
  } else if (kind == "exec") {
    health.kind = HealthKind::kExec;
  } else {
    Fail(in.PathOf("kind"), "expected none, http, tcp or exec, found \"" + kind + "\"");
  }
  in.String("path", &health.http_path);
  in.StringList("command", &health.exec_command);
  in.DurationValue("interval", &health.interval);
  in.DurationValue("timeout", &health.timeout);
  in.Int("healthy_after", &health.healthy_after);
  in.Int("unhealthy_after", &health.unhealthy_after);
  in.DurationValue("start_grace", &health.start_grace);
  return health;
}

ServiceSpec ServiceFromJson(const json& json_service, const std::string& name,
                            const std::string& path) {
  ObjectIn in(json_service, path,
              {"name", "image", "command", "args", "workdir", "env", "replicas", "ports", "health",
               "resources", "strategy", "stop_timeout"});
  ServiceSpec service;
  service.name = name;
  in.String("name", &service.name);
  if (service.name != name) {
    Fail(in.PathOf("name"), "\"" + service.name + "\" does not match its key \"" + name + "\"");
  }
  in.String("image", &service.image);
  in.String("command", &service.command);
  in.StringList("args", &service.args);
  in.String("workdir", &service.workdir);
  if (const json* env = in.Find("env")) {
    if (!env->is_object()) Fail(in.PathOf("env"), "expected an object");
    for (const auto& [key, value] : env->items()) {
      if (!value.is_string()) Fail(in.PathOf("env") + "." + key, "expected a string");
      service.env[key] = value.get<std::string>();
    }
  }
  in.Int("replicas", &service.replicas);
  if (const json* ports = in.Find("ports")) {
    if (!ports->is_object()) Fail(in.PathOf("ports"), "expected an object");
    for (const auto& [port_name, json_port] : ports->items()) {
      ObjectIn port_in(json_port, in.PathOf("ports") + "." + port_name, {"listen", "protocol"});
      PortSpec port;
      port.name = port_name;
      port_in.Int("listen", &port.listen);
      std::string protocol = "http";
      port_in.String("protocol", &protocol);
      if (protocol != "http" && protocol != "tcp") {
        Fail(port_in.PathOf("protocol"), "expected http or tcp, found \"" + protocol + "\"");
      }
      port.protocol = protocol == "tcp" ? Protocol::kTcp : Protocol::kHttp;
      service.ports.push_back(std::move(port));  // items() is sorted: ports stay sorted by name
    }
  }
  if (const json* health = in.Find("health")) {
    service.health = HealthFromJson(*health, in.PathOf("health"));
  }
  if (const json* resources = in.Find("resources")) {
    ObjectIn resources_in(*resources, in.PathOf("resources"), {"memory", "cpu"});
    if (const json* memory = resources_in.Find("memory"); memory && !memory->is_null()) {
      if (!memory->is_number_unsigned()) Fail(resources_in.PathOf("memory"), "expected bytes");
      service.resources.memory_bytes = memory->get<uint64_t>();
    }
    if (const json* cpu = resources_in.Find("cpu"); cpu && !cpu->is_null()) {
      if (!cpu->is_number()) Fail(resources_in.PathOf("cpu"), "expected a number");
      service.resources.cpu = cpu->get<double>();
    }
  }
  if (const json* strategy = in.Find("strategy")) {
    ObjectIn strategy_in(*strategy, in.PathOf("strategy"), {"rolling"});
    if (const json* rolling = strategy_in.Find("rolling")) {
      ObjectIn rolling_in(*rolling, strategy_in.PathOf("rolling"),
                          {"max_surge", "max_unavailable", "progress_deadline"});
      rolling_in.CountOrPercentValue("max_surge", &service.rolling.max_surge);
      rolling_in.CountOrPercentValue("max_unavailable", &service.rolling.max_unavailable);
      rolling_in.DurationValue("progress_deadline", &service.rolling.progress_deadline);
    }
  }
  in.DurationValue("stop_timeout", &service.stop_timeout);
  return service;
}

}  // namespace

json ServiceToJson(const ServiceSpec& service) {
  json ports = json::object();
  for (const PortSpec& port : service.ports) {
    ports[port.name] = {{"listen", port.listen}, {"protocol", ProtocolName(port.protocol)}};
  }
  json resources = {{"memory", nullptr}, {"cpu", nullptr}};
  if (service.resources.memory_bytes) resources["memory"] = *service.resources.memory_bytes;
  if (service.resources.cpu) resources["cpu"] = *service.resources.cpu;
  json rolling = {{"max_surge", CountOrPercentToJson(service.rolling.max_surge)},
                  {"max_unavailable", CountOrPercentToJson(service.rolling.max_unavailable)},
                  {"progress_deadline", FormatDuration(service.rolling.progress_deadline)}};
  return json{{"name", service.name},
              {"image", service.image},
              {"command", service.command},
              {"args", service.args},
              {"workdir", service.workdir},
              {"env", service.env.empty() ? json::object() : json(service.env)},
              {"replicas", service.replicas},
              {"ports", std::move(ports)},
              {"health", HealthToJson(service.health)},
              {"resources", std::move(resources)},
              {"strategy", {{"rolling", std::move(rolling)}}},
              {"stop_timeout", FormatDuration(service.stop_timeout)}};
}

json ToJson(const EnvironmentSpec& spec) {
  json services = json::object();
  for (const auto& [name, service] : spec.services) services[name] = ServiceToJson(service);
  return json{{"environment", spec.environment}, {"services", std::move(services)}};
}

Result<EnvironmentSpec> FromJson(const json& json_spec) {
  try {
    ObjectIn in(json_spec, "", {"environment", "services"});
    EnvironmentSpec spec;
    in.String("environment", &spec.environment);
    if (const json* services = in.Find("services")) {
      if (!services->is_object()) Fail("services", "expected an object");
      for (const auto& [name, json_service] : services->items()) {
        spec.services[name] = ServiceFromJson(json_service, name, "services." + name);
      }
    }
    return spec;
  } catch (const JsonShapeError& e) {
    return MakeError(ErrorCode::kInvalidArgument, "invalid spec JSON: " + e.message, e.path);
  } catch (const json::exception& e) {  // e.g. an integer too large for int
    return MakeError(ErrorCode::kInvalidArgument, std::string("invalid spec JSON: ") + e.what());
  }
}

std::string CanonicalJson(const EnvironmentSpec& spec) { return ToJson(spec).dump(); }

std::string SpecHash(const EnvironmentSpec& spec) { return Sha256Hex(CanonicalJson(spec)); }

std::string ServiceTemplateHash(const ServiceSpec& service) {
  json template_json = ServiceToJson(service);
  template_json.erase("replicas");
  return Sha256Hex(template_json.dump());
}

}  // namespace cairn::spec
