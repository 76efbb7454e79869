// Canonical JSON for specs, its inverse, and the hashes built on it. The JSON shape is what
// plan/ diffs field by field, so keys read as paths: "env.LOG_LEVEL", "ports.http.listen",
// "health.interval", "strategy.rolling.max_surge".
#include <algorithm>
#include <charconv>

#include "core/sha256.h"
#include "core/terminal_text.h"
#include "spec/json_internal.h"
#include "spec/spec.h"
#include "spec/threshold.h"

namespace cairn::spec {

namespace json_internal {

json CountOrPercentToJson(const CountOrPercent& value) {
  if (value.is_percent) return FormatNumber(value.percent) + "%";
  return value.count;
}

}  // namespace json_internal

namespace {

using namespace json_internal;

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
    Fail(in.PathOf("kind"), "expected none, http, tcp or exec, found " + QuoteForTerminal(kind));
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
              {"name", "image", "image_digest", "command", "args", "workdir", "env", "replicas",
               "ports", "health", "resources", "strategy", "stop_timeout"});
  ServiceSpec service;
  service.name = name;
  in.String("name", &service.name);
  if (service.name != name) {
    Fail(in.PathOf("name"),
         QuoteForTerminal(service.name) + " does not match its key " + QuoteForTerminal(name));
  }
  in.String("image", &service.image);
  in.String("image_digest", &service.image_digest);
  if (!service.image_digest.empty() && !IsSha256Digest(service.image_digest)) {
    Fail(in.PathOf("image_digest"), "expected sha256:<64 hex digits>");
  }
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
      ObjectIn port_in(json_port, in.PathOf("ports") + "." + port_name,
                       {"listen", "protocol", "access_log"});
      PortSpec port;
      port.name = port_name;
      port_in.Int("listen", &port.listen);
      std::string protocol = "http";
      port_in.String("protocol", &protocol);
      if (protocol != "http" && protocol != "tcp") {
        Fail(port_in.PathOf("protocol"),
             "expected http or tcp, found " + QuoteForTerminal(protocol));
      }
      port.protocol = protocol == "tcp" ? Protocol::kTcp : Protocol::kHttp;
      port_in.Bool("access_log", &port.access_log);
      service.ports.push_back(std::move(port));  // items() is sorted: ports stay sorted by name
    }
  }
  if (const json* health = in.Find("health")) {
    service.health = HealthFromJson(*health, in.PathOf("health"));
  }
  if (const json* resources = in.Find("resources")) {
    ObjectIn resources_in(*resources, in.PathOf("resources"), {"memory", "cpu", "pids"});
    if (const json* memory = resources_in.Find("memory"); memory && !memory->is_null()) {
      if (!memory->is_number_unsigned()) Fail(resources_in.PathOf("memory"), "expected bytes");
      service.resources.memory_bytes = memory->get<uint64_t>();
    }
    if (const json* pids = resources_in.Find("pids"); pids && !pids->is_null()) {
      if (!pids->is_number_integer()) Fail(resources_in.PathOf("pids"), "expected a number");
      service.resources.pids = pids->get<int64_t>();
    }
    if (const json* cpu = resources_in.Find("cpu"); cpu && !cpu->is_null()) {
      if (!cpu->is_number()) Fail(resources_in.PathOf("cpu"), "expected a number");
      service.resources.cpu = cpu->get<double>();
    }
  }
  if (const json* strategy = in.Find("strategy")) {
    StrategyFromJson(*strategy, in.PathOf("strategy"), &service);
  }
  in.DurationValue("stop_timeout", &service.stop_timeout);
  return service;
}

}  // namespace

json ServiceToJson(const ServiceSpec& service) {
  json ports = json::object();
  for (const PortSpec& port : service.ports) {
    ports[port.name] = {{"listen", port.listen}, {"protocol", ProtocolName(port.protocol)}};
    // Written only when on, so every spec without it keeps its hash.
    if (port.access_log) ports[port.name]["access_log"] = true;
  }
  json resources = {{"memory", nullptr}, {"cpu", nullptr}};
  if (service.resources.memory_bytes) resources["memory"] = *service.resources.memory_bytes;
  if (service.resources.cpu) resources["cpu"] = *service.resources.cpu;
  // Written only when set, so every spec without it keeps its hash.
  if (service.resources.pids) resources["pids"] = *service.resources.pids;
  json out{{"name", service.name},
           {"image", service.image},
           {"command", service.command},
           {"args", service.args},
           {"workdir", service.workdir},
           {"env", service.env.empty() ? json::object() : json(service.env)},
           {"replicas", service.replicas},
           {"ports", std::move(ports)},
           {"health", HealthToJson(service.health)},
           {"resources", std::move(resources)},
           {"strategy", StrategyToJson(service)},
           {"stop_timeout", FormatDuration(service.stop_timeout)}};
  // Written only when pinned, so every spec without an image keeps its hash.
  if (!service.image_digest.empty()) out["image_digest"] = service.image_digest;
  return out;
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
  // The access log is the router's business, not the instances': toggling it replaces nothing.
  for (auto& [name, port] : template_json["ports"].items()) port.erase("access_log");
  // The strategy is not part of what runs (see spec.h). Its slot keeps the value every
  // default service wrote before this rule, frozen here rather than computed from
  // RollingSpec{}, so a future change of the rolling defaults cannot move stored hashes.
  template_json["strategy"] = {
      {"rolling", {{"max_surge", 1}, {"max_unavailable", 0}, {"progress_deadline", "5m"}}}};
  return Sha256Hex(template_json.dump());
}

}  // namespace cairn::spec
