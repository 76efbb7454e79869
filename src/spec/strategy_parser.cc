// services.<name>.strategy: how a new template replaces the old — exactly one of rolling
// (the default), canary or blue_green. This file picks the one and reads rolling; the others
// live in canary_parser.cc and blue_green_parser.cc. The checks that need the service's ports
// run after the whole service is read, since `strategy` may come before `ports` in the file.
#include <optional>

#include "core/terminal_text.h"
#include "spec/parser_internal.h"
#include "spec/suggest.h"

namespace cairn::spec {
namespace {

const std::vector<std::string> kStrategies = {"rolling", "canary", "blue_green"};
const std::vector<std::string> kRollingFields = {"max_surge", "max_unavailable",
                                                 "progress_deadline"};

bool IsZero(const CountOrPercent& value) {
  return value.is_percent ? value.percent == 0 : value.count == 0;
}

void ParseRolling(YamlReader& reader, const Field& rolling_field, RollingSpec* rolling) {
  if (!reader.ExpectMap(rolling_field)) return;
  std::optional<Field> last_bound;  // the later of max_surge / max_unavailable, as written
  for (const Field& field :
       reader.KnownFields(rolling_field.value, rolling_field.path, kRollingFields)) {
    if (field.key == "max_surge" || field.key == "max_unavailable") {
      auto value = reader.CountOrPercentValue(field);
      if (!value) continue;
      (field.key == "max_surge" ? rolling->max_surge : rolling->max_unavailable) = *value;
      last_bound = field;
    } else if (field.key == "progress_deadline") {
      if (auto value = reader.DurationValue(field, Duration(1))) {
        rolling->progress_deadline = *value;
      }
    }
  }
  if (last_bound && IsZero(rolling->max_surge) && IsZero(rolling->max_unavailable)) {
    reader.Fail(*last_bound,
                "max_surge and max_unavailable cannot both be 0: the replace could never "
                "make progress");
  }
}

std::vector<std::string> PortNames(const ServiceSpec& service) {
  std::vector<std::string> names;
  for (const PortSpec& port : service.ports) names.push_back(port.name);
  return names;
}

std::string PortList(const ServiceSpec& service) {
  std::string out;
  for (const PortSpec& port : service.ports) {
    if (!out.empty()) out += ", ";
    out += port.name + " (" + (port.protocol == Protocol::kHttp ? "http" : "tcp") + ")";
  }
  return out.empty() ? "none" : out;
}

void CheckPreviewPorts(YamlReader& reader, const StrategyFields& fields, const ServiceSpec& service,
                       ListenClaims* claims) {
  for (const Field& entry : fields.preview_ports) {
    const PortSpec* port = nullptr;
    for (const PortSpec& candidate : service.ports) {
      if (candidate.name == entry.key) port = &candidate;
    }
    if (port == nullptr) {
      std::string message = "no port " + QuoteForTerminal(entry.key) + " in services." +
                            service.name + ".ports (ports: " + PortList(service) + ")";
      if (auto match = ClosestMatch(entry.key, PortNames(service))) {
        message += "; did you mean " + QuoteForTerminal(*match) + "?";
      }
      reader.Fail(entry.KeyMark(), entry.path, message);
      continue;
    }
    if (port->protocol != Protocol::kHttp) {
      reader.Fail(entry.KeyMark(), entry.path,
                  "port " + QuoteForTerminal(entry.key) +
                      " is tcp: a preview listener serves HTTP through the router; "
                      "preview an http port");
      continue;
    }
    ClaimListenPort(reader, entry, entry.path, service.blue_green.preview.at(entry.key), claims);
  }
}

}  // namespace

StrategyFields ParseStrategy(YamlReader& reader, const Field& field, ServiceSpec* service) {
  StrategyFields fields;
  if (!reader.ExpectMap(field)) return fields;
  for (const Field& strategy :
       reader.KnownFields(field.value, field.path, kStrategies, "strategy")) {
    if (fields.chosen) {
      reader.Fail(strategy.KeyMark(), strategy.path,
                  "only one strategy may be set, found both " + fields.chosen->key + " and " +
                      strategy.key + " (the others: rolling, canary, blue_green)");
      continue;
    }
    fields.chosen = strategy;
    if (strategy.key == "rolling") {
      service->strategy = StrategyKind::kRolling;
      ParseRolling(reader, strategy, &service->rolling);
    } else if (strategy.key == "canary") {
      service->strategy = StrategyKind::kCanary;
      ParseCanary(reader, strategy, &service->canary);
    } else {
      service->strategy = StrategyKind::kBlueGreen;
      ParseBlueGreen(reader, strategy, &service->blue_green, &fields);
    }
  }
  return fields;
}

void CheckStrategyAgainstPorts(YamlReader& reader, const StrategyFields& fields,
                               const ServiceSpec& service, ListenClaims* claims) {
  if (!fields.chosen) return;
  bool has_http = false;
  for (const PortSpec& port : service.ports)
    has_http = has_http || port.protocol == Protocol::kHttp;
  if (service.strategy == StrategyKind::kCanary && !has_http) {
    reader.Fail(fields.chosen->KeyMark(), fields.chosen->path,
                "a canary needs an http port: the router splits HTTP traffic between the "
                "versions (and keeps a cohort on one); services." +
                    service.name + " has ports: " + PortList(service));
  }
  if (service.strategy == StrategyKind::kBlueGreen) {
    if (service.ports.empty()) {
      reader.Fail(fields.chosen->KeyMark(), fields.chosen->path,
                  "blue_green switches the router's traffic from the old version to the new; "
                  "services." +
                      service.name + " has no ports (use rolling)");
    }
    CheckPreviewPorts(reader, fields, service, claims);
  }
}

}  // namespace cairn::spec
