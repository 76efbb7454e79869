#include "control/route_record.h"

#include <nlohmann/json.hpp>

namespace cairn::control {
namespace {

using nlohmann::json;

// Bumped when a field changes meaning; a record of another version is not served (the next
// publish writes a fresh one), rather than guessed at.
constexpr int kRecordVersion = 1;

const char* ProtocolName(router::ListenerProtocol p) {
  return p == router::ListenerProtocol::kTcp ? "tcp" : "http";
}

const char* CohortSourceName(router::CohortSource s) {
  switch (s) {
    case router::CohortSource::kHeader:
      return "header";
    case router::CohortSource::kCookie:
      return "cookie";
    case router::CohortSource::kNone:
      break;
  }
  return "none";
}

const char* BalancerName(router::BalancerKind b) {
  return b == router::BalancerKind::kRoundRobin ? "round_robin" : "least_request";
}

Error Bad(const std::string& path, const std::string& what) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "published route table record: " + path + " " + what, PublishedRoutes::kMetaKey);
}

// Checked reads of one field of an object: a missing field or one of another type is an error
// naming its path, never an exception.
class Fields {
 public:
  Fields(const json& object, std::string path) : object_(object), path_(std::move(path)) {}

  Result<std::string> String(const char* name) const {
    auto it = object_.find(name);
    if (it == object_.end() || !it->is_string()) return Bad(Path(name), "is not a string");
    return it->get<std::string>();
  }
  Result<int64_t> Integer(const char* name, int64_t min, int64_t max) const {
    auto it = object_.find(name);
    if (it == object_.end() || !it->is_number_integer()) {
      return Bad(Path(name), "is not an integer");
    }
    if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(max)) {
      return Bad(Path(name), "is out of range");
    }
    int64_t v = it->get<int64_t>();
    if (v < min || v > max) return Bad(Path(name), "is out of range");
    return v;
  }
  Result<bool> Bool(const char* name) const {
    auto it = object_.find(name);
    if (it == object_.end() || !it->is_boolean()) return Bad(Path(name), "is not a boolean");
    return it->get<bool>();
  }
  Result<const json*> Array(const char* name) const {
    auto it = object_.find(name);
    if (it == object_.end() || !it->is_array()) return Bad(Path(name), "is not an array");
    return &*it;
  }
  Result<const json*> Object(const char* name) const {
    auto it = object_.find(name);
    if (it == object_.end() || !it->is_object()) return Bad(Path(name), "is not an object");
    return &*it;
  }
  std::string Path(const char* name) const { return path_ + "." + name; }

 private:
  const json& object_;
  std::string path_;
};

#define CAIRN_TRY_ASSIGN(lhs, expr)  \
  do {                               \
    auto _r = (expr);                \
    if (!_r.ok()) return _r.error(); \
    lhs = std::move(*_r);            \
  } while (0)

Result<router::ListenerRoute> DecodeListener(const json& j, const std::string& path) {
  if (!j.is_object()) return Bad(path, "is not an object");
  Fields f(j, path);
  router::ListenerRoute l;
  CAIRN_TRY_ASSIGN(l.name, f.String("name"));
  CAIRN_TRY_ASSIGN(l.host, f.String("host"));
  CAIRN_TRY_ASSIGN(l.port, f.Integer("port", 0, 65535));
  std::string protocol;
  CAIRN_TRY_ASSIGN(protocol, f.String("protocol"));
  if (protocol != "http" && protocol != "tcp") return Bad(f.Path("protocol"), "is not http or tcp");
  l.protocol = protocol == "tcp" ? router::ListenerProtocol::kTcp : router::ListenerProtocol::kHttp;
  CAIRN_TRY_ASSIGN(l.service, f.String("service"));
  CAIRN_TRY_ASSIGN(l.access_log, f.Bool("access_log"));
  return l;
}

Result<router::Backend> DecodeBackend(const json& j, const std::string& path) {
  if (!j.is_object()) return Bad(path, "is not an object");
  Fields f(j, path);
  router::Backend b;
  CAIRN_TRY_ASSIGN(b.instance_id, f.String("instance_id"));
  CAIRN_TRY_ASSIGN(b.host, f.String("host"));
  CAIRN_TRY_ASSIGN(b.port, f.Integer("port", 1, 65535));
  CAIRN_TRY_ASSIGN(b.healthy, f.Bool("healthy"));
  return b;
}

Result<router::VersionRoute> DecodeVersion(const json& j, const std::string& path) {
  if (!j.is_object()) return Bad(path, "is not an object");
  Fields f(j, path);
  router::VersionRoute v;
  CAIRN_TRY_ASSIGN(v.version, f.String("version"));
  CAIRN_TRY_ASSIGN(v.weight_bp, f.Integer("weight_bp", 0, 10000));
  const json* backends = nullptr;
  CAIRN_TRY_ASSIGN(backends, f.Array("backends"));
  for (size_t i = 0; i < backends->size(); ++i) {
    router::Backend b;
    CAIRN_TRY_ASSIGN(
        b, DecodeBackend((*backends)[i], f.Path("backends") + "[" + std::to_string(i) + "]"));
    v.backends.push_back(std::move(b));
  }
  return v;
}

Result<router::ServiceRoute> DecodeService(const json& j, const std::string& path) {
  if (!j.is_object()) return Bad(path, "is not an object");
  Fields f(j, path);
  router::ServiceRoute s;
  CAIRN_TRY_ASSIGN(s.service, f.String("service"));
  const json* versions = nullptr;
  CAIRN_TRY_ASSIGN(versions, f.Array("versions"));
  for (size_t i = 0; i < versions->size(); ++i) {
    router::VersionRoute v;
    CAIRN_TRY_ASSIGN(
        v, DecodeVersion((*versions)[i], f.Path("versions") + "[" + std::to_string(i) + "]"));
    s.versions.push_back(std::move(v));
  }
  const json* cohort = nullptr;
  CAIRN_TRY_ASSIGN(cohort, f.Object("cohort"));
  Fields c(*cohort, f.Path("cohort"));
  std::string source;
  CAIRN_TRY_ASSIGN(source, c.String("source"));
  if (source == "header") {
    s.cohort.source = router::CohortSource::kHeader;
  } else if (source == "cookie") {
    s.cohort.source = router::CohortSource::kCookie;
  } else if (source != "none") {
    return Bad(c.Path("source"), "is not none, header or cookie");
  }
  CAIRN_TRY_ASSIGN(s.cohort.name, c.String("name"));
  std::string balancer;
  CAIRN_TRY_ASSIGN(balancer, f.String("balancer"));
  if (balancer == "round_robin") {
    s.balancer = router::BalancerKind::kRoundRobin;
  } else if (balancer != "least_request") {
    return Bad(f.Path("balancer"), "is not least_request or round_robin");
  }
  return s;
}

}  // namespace

std::string EncodeRouteTable(const router::RouteTable& table) {
  json listeners = json::array();
  for (const auto& l : table.listeners) {
    listeners.push_back({{"name", l.name},
                         {"host", l.host},
                         {"port", l.port},
                         {"protocol", ProtocolName(l.protocol)},
                         {"service", l.service},
                         {"access_log", l.access_log}});
  }
  json services = json::array();
  for (const auto& s : table.services) {
    json versions = json::array();
    for (const auto& v : s.versions) {
      json backends = json::array();
      for (const auto& b : v.backends) {
        backends.push_back({{"instance_id", b.instance_id},
                            {"host", b.host},
                            {"port", b.port},
                            {"healthy", b.healthy}});
      }
      versions.push_back(
          {{"version", v.version}, {"weight_bp", v.weight_bp}, {"backends", std::move(backends)}});
    }
    services.push_back(
        {{"service", s.service},
         {"versions", std::move(versions)},
         {"cohort", {{"source", CohortSourceName(s.cohort.source)}, {"name", s.cohort.name}}},
         {"balancer", BalancerName(s.balancer)}});
  }
  json record = {{"version", kRecordVersion},
                 {"generation", table.generation},
                 {"listeners", std::move(listeners)},
                 {"services", std::move(services)}};
  return record.dump();
}

Result<router::RouteTable> DecodeRouteTable(std::string_view text) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Bad("the record", "is not a JSON object");
  Fields f(doc, "");
  int64_t version = 0;
  CAIRN_TRY_ASSIGN(version, f.Integer("version", 0, INT64_MAX));
  if (version != kRecordVersion) {
    return Bad(".version", "is " + std::to_string(version) + ", not " +
                               std::to_string(kRecordVersion) + " (written by another cairn)");
  }
  router::RouteTable table;
  int64_t generation = 0;
  CAIRN_TRY_ASSIGN(generation, f.Integer("generation", 0, INT64_MAX));
  table.generation = static_cast<uint64_t>(generation);
  const json* listeners = nullptr;
  CAIRN_TRY_ASSIGN(listeners, f.Array("listeners"));
  for (size_t i = 0; i < listeners->size(); ++i) {
    router::ListenerRoute l;
    CAIRN_TRY_ASSIGN(l, DecodeListener((*listeners)[i], ".listeners[" + std::to_string(i) + "]"));
    table.listeners.push_back(std::move(l));
  }
  const json* services = nullptr;
  CAIRN_TRY_ASSIGN(services, f.Array("services"));
  for (size_t i = 0; i < services->size(); ++i) {
    router::ServiceRoute s;
    CAIRN_TRY_ASSIGN(s, DecodeService((*services)[i], ".services[" + std::to_string(i) + "]"));
    table.services.push_back(std::move(s));
  }
  return table;
}

#undef CAIRN_TRY_ASSIGN

router::RouteTable RestrictToAlive(router::RouteTable table,
                                   const std::map<std::string, int>& alive) {
  for (auto& service : table.services) {
    for (auto& version : service.versions) {
      std::erase_if(version.backends, [&](const router::Backend& b) {
        auto it = alive.find(b.instance_id);
        return it == alive.end() || it->second != b.port;
      });
    }
  }
  return table;
}

std::map<std::string, int> RoutedInstances(const router::RouteTable& table) {
  std::map<std::string, int> routed;
  for (const auto& service : table.services) {
    for (const auto& version : service.versions) {
      for (const auto& b : version.backends) routed[b.instance_id] = b.port;
    }
  }
  return routed;
}

Status PublishedRoutes::Save(const router::RouteTable& table) {
  return store_.PutMeta(kMetaKey, EncodeRouteTable(table));
}

Result<std::optional<router::RouteTable>> PublishedRoutes::Load() {
  auto stored = store_.GetMeta(kMetaKey);
  if (!stored.ok()) return stored.error();
  if (!stored->has_value()) return std::optional<router::RouteTable>();
  auto table = DecodeRouteTable(**stored);
  if (!table.ok()) return table.error();
  return std::optional<router::RouteTable>(std::move(*table));
}

}  // namespace cairn::control
