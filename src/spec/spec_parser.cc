// The environment file: YAML text -> EnvironmentSpec, reporting every problem it finds.
#include <yaml-cpp/depthguard.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include "core/sha256.h"
#include "core/terminal_text.h"
#include "spec/limits.h"
#include "spec/nesting.h"
#include "spec/parser_internal.h"
#include "spec/spec.h"
#include "spec/text_check.h"
#include "spec/yaml_reader.h"

namespace cairn::spec {
namespace {

const std::vector<std::string> kTopFields = {"environment", "services"};
const std::vector<std::string> kServiceFields = {
    "command",  "image", "driver", "args",      "workdir",  "env",
    "replicas", "ports", "health", "resources", "strategy", "stop_timeout"};
const std::vector<std::string> kPortFields = {"listen", "protocol", "access_log"};
const std::vector<std::string> kResourceFields = {"memory", "cpu", "pids"};

constexpr const char* kNameRule =
    "must start with a lower-case letter and contain only a-z, 0-9, '_' and '-' (at most 63 "
    "characters)";

bool IsEnvName(const std::string& name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool IsImageReference(const std::string& image) {
  if (image.starts_with("sha256:")) return IsSha256Digest(image);
  return !image.empty() && std::none_of(image.begin(), image.end(),
                                        [](unsigned char c) { return c <= ' ' || c == 0x7f; });
}

void ParseEnv(YamlReader& reader, const Field& env_field, std::map<std::string, std::string>* env) {
  if (!reader.ExpectMap(env_field)) return;
  std::vector<Field> fields = reader.AllFields(env_field.value, env_field.path);
  if (!reader.CheckCount(env_field, fields.size(), kMaxEnvEntries, "variables")) {
    fields.resize(kMaxEnvEntries);  // the rest are not read: one error, not thousands
  }
  for (const Field& field : fields) {
    if (field.key.size() > kMaxEnvNameBytes) {
      reader.Fail(field.KeyMark(), field.path,
                  "variable name " + TooLong(field.key.size(), kMaxEnvNameBytes));
      continue;
    }
    if (!IsEnvName(field.key)) {
      reader.Fail(field.KeyMark(), field.path,
                  "invalid variable name " + QuoteForTerminal(field.key) +
                      ": must match [A-Za-z_][A-Za-z0-9_]*");
      continue;
    }
    if (field.key == "PORT") {
      reader.Fail(field.KeyMark(), field.path,
                  "PORT is reserved: cairn sets it to the port each instance must listen on");
      continue;
    }
    if (!field.value.IsScalar()) {
      reader.Fail(field, "expected a string, number or boolean, found " + Describe(field.value) +
                             "; write \"\" for an empty value");
      continue;
    }
    // execve refuses any one "KEY=value" longer than MAX_ARG_STRLEN, with E2BIG at every start.
    size_t entry_bytes = field.key.size() + 1 + field.value.Scalar().size();
    if (entry_bytes > kMaxArgStringBytes) {
      reader.Fail(field, "the variable " + field.key + "=... is " + std::to_string(entry_bytes) +
                             " bytes long; execve takes at most " +
                             std::to_string(kMaxArgStringBytes) +
                             " bytes for one KEY=value (MAX_ARG_STRLEN, 128 KiB with its NUL)");
      continue;
    }
    (*env)[field.key] = field.value.Scalar();
  }
}

// What execve counts for the strings of argv or the environment: each with its NUL and its
// pointer, and the NULL that ends the array.
size_t ExecBytes(const std::vector<std::string>& strings) {
  size_t bytes = kExecPointerBytes;
  for (const std::string& s : strings) bytes += s.size() + 1 + kExecPointerBytes;
  return bytes;
}

size_t ExecBytes(const std::map<std::string, std::string>& env) {
  size_t bytes = kExecPointerBytes;
  for (const auto& [key, value] : env)
    bytes += key.size() + 1 + value.size() + 1 + kExecPointerBytes;
  return bytes;
}

std::string ExecBudgetMessage(const std::string& what, size_t bytes) {
  return "execve would be given " + std::to_string(bytes) + " bytes for " + what +
         " (each string, its NUL and an 8-byte pointer); at most " + std::to_string(kMaxExecBytes) +
         " are allowed, leaving room inside ARG_MAX for the variables cairn adds at start";
}

// The whole argv and environment of an instance (and of its exec health check) against
// kMaxExecBytes, reported at the field that holds most of it.
void CheckExecBudget(YamlReader& reader, const ServiceSpec& service, const Field& service_field,
                     const std::optional<Field>& command_field,
                     const std::optional<Field>& args_field, const std::optional<Field>& env_field,
                     const std::optional<Field>& health_field) {
  size_t env_bytes = ExecBytes(service.env);
  size_t argv_bytes = 0;
  std::string what = "the service's env";
  if (command_field) {
    std::vector<std::string> argv = service.args;
    argv.insert(argv.begin(), service.command);
    argv_bytes = ExecBytes(argv);
    what = "the service's command, args and env";
  }
  if (env_bytes + argv_bytes > kMaxExecBytes) {
    // An image's own argv is only known at start; its env alone can be checked here.
    const std::optional<Field>& at = env_field && (env_bytes >= argv_bytes || !args_field)
                                         ? env_field
                                         : (args_field ? args_field : command_field);
    if (at) {
      reader.Fail(at->KeyMark(), at->path, ExecBudgetMessage(what, env_bytes + argv_bytes));
    } else {
      reader.Fail(service_field.KeyMark(), service_field.path,
                  ExecBudgetMessage(what, env_bytes + argv_bytes));
    }
    return;
  }
  if (service.health.kind == HealthKind::kExec && health_field) {
    size_t probe_bytes = env_bytes + ExecBytes(service.health.exec_command);
    if (probe_bytes > kMaxExecBytes) {
      reader.Fail(health_field->KeyMark(), health_field->path,
                  ExecBudgetMessage("the exec check's command and the service's env", probe_bytes));
    }
  }
}

void ParsePort(YamlReader& reader, const Field& port_field, ListenClaims* claims, PortSpec* port) {
  port->name = port_field.key;
  if (!IsName(port_field.key)) {
    reader.Fail(port_field.KeyMark(), port_field.path,
                "invalid port name " + QuoteForTerminal(port_field.key) + ": " + kNameRule);
  }
  if (!reader.ExpectMap(port_field)) return;
  bool has_listen = false;
  std::optional<Field> access_log_field;
  for (const Field& field : reader.KnownFields(port_field.value, port_field.path, kPortFields)) {
    if (field.key == "listen") {
      has_listen = true;
      auto listen = reader.Int(field, 1, 65535);
      if (!listen) continue;
      port->listen = *listen;
      ClaimListenPort(reader, field, port_field.path, *listen, claims);
    } else if (field.key == "protocol") {
      auto protocol = reader.String(field);
      if (!protocol) continue;
      if (*protocol == "http") {
        port->protocol = Protocol::kHttp;
      } else if (*protocol == "tcp") {
        port->protocol = Protocol::kTcp;
      } else {
        reader.Fail(field, "expected one of http, tcp, found " + Describe(field.value));
      }
    } else if (field.key == "access_log") {
      if (auto on = reader.Bool(field)) port->access_log = *on;
      if (port->access_log) access_log_field = field;
    }
  }
  if (access_log_field && port->protocol == Protocol::kTcp) {
    reader.Fail(*access_log_field,
                "access_log needs protocol: http (a tcp port carries no requests to log)");
  }
  if (!has_listen) {
    reader.Fail(port_field.KeyMark(), JoinPath(port_field.path, "listen"),
                "required field is missing: the router's listen port (1 to 65535)");
  }
}

void ParsePorts(YamlReader& reader, const Field& ports_field, ListenClaims* claims,
                std::vector<PortSpec>* ports) {
  if (!reader.ExpectMap(ports_field)) return;
  std::vector<Field> fields = reader.AllFields(ports_field.value, ports_field.path);
  if (!reader.CheckCount(ports_field, fields.size(), kMaxPorts, "ports")) {
    fields.resize(kMaxPorts);
  }
  for (const Field& field : fields) {
    PortSpec port;
    ParsePort(reader, field, claims, &port);
    ports->push_back(std::move(port));
  }
  std::sort(ports->begin(), ports->end(),
            [](const PortSpec& a, const PortSpec& b) { return a.name < b.name; });
}

void ParseResources(YamlReader& reader, const Field& resources_field, ResourcesSpec* resources) {
  if (!reader.ExpectMap(resources_field)) return;
  for (const Field& field :
       reader.KnownFields(resources_field.value, resources_field.path, kResourceFields)) {
    if (field.key == "memory") {
      auto bytes = reader.ByteSize(field);
      if (!bytes) continue;
      if (*bytes == 0) {
        reader.Fail(field, "must be greater than 0");
        continue;
      }
      resources->memory_bytes = *bytes;
    } else if (field.key == "cpu") {
      auto cpu = reader.Number(field);
      if (!cpu) continue;
      if (*cpu <= 0) {
        reader.Fail(field, "must be greater than 0 (cores, such as 0.5)");
        continue;
      }
      resources->cpu = *cpu;
    } else if (field.key == "pids") {
      if (auto pids = reader.Int(field, 1, 4194304)) resources->pids = *pids;
    }
  }
}

ServiceSpec ParseService(YamlReader& reader, const Field& service_field, ListenClaims* claims) {
  ServiceSpec service;
  service.name = service_field.key;
  if (!IsName(service.name)) {
    reader.Fail(service_field.KeyMark(), service_field.path,
                "invalid service name " + QuoteForTerminal(service.name) + ": " + kNameRule);
  }
  if (!reader.ExpectMap(service_field)) return service;
  std::optional<Field> command_field, image_field, args_field, driver_field, env_field,
      health_field;
  std::string driver;
  StrategyFields strategy_fields;
  for (const Field& field :
       reader.KnownFields(service_field.value, service_field.path, kServiceFields)) {
    if (field.key == "command" || field.key == "image") {
      bool is_command = field.key == "command";
      (is_command ? command_field : image_field) = field;
      auto text = reader.String(field);
      if (!text) continue;
      if (is_command) {
        if (text->empty()) reader.Fail(field, "must not be empty");
        service.command = *text;
      } else {
        if (!IsImageReference(*text)) {
          reader.Fail(field,
                      "expected an image tag such as \"web:1.4\" or a digest "
                      "\"sha256:<64 hex digits>\", found " +
                          Describe(field.value));
        }
        service.image = *text;
      }
    } else if (field.key == "driver") {
      driver_field = field;
      if (auto text = reader.String(field)) {
        driver = *text;
        if (driver != "process" && driver != "oci") {
          reader.Fail(field,
                      "expected process (runs a command) or oci (runs an image under "
                      "runc), found " +
                          Describe(field.value));
        }
      }
    } else if (field.key == "args") {
      args_field = field;
      if (auto args = reader.StringList(field, kMaxArgs, kMaxArgStringBytes)) service.args = *args;
    } else if (field.key == "workdir") {
      if (auto workdir = reader.String(field)) service.workdir = *workdir;
    } else if (field.key == "env") {
      env_field = field;
      ParseEnv(reader, field, &service.env);
    } else if (field.key == "replicas") {
      if (auto replicas = reader.Int(field, 0, kMaxReplicas)) service.replicas = *replicas;
    } else if (field.key == "ports") {
      ParsePorts(reader, field, claims, &service.ports);
    } else if (field.key == "health") {
      health_field = field;
      ParseHealth(reader, field, &service.health);
    } else if (field.key == "resources") {
      ParseResources(reader, field, &service.resources);
    } else if (field.key == "strategy") {
      strategy_fields = ParseStrategy(reader, field, &service);
    } else if (field.key == "stop_timeout") {
      if (auto timeout = reader.DurationValue(field, Duration(0))) service.stop_timeout = *timeout;
    }
  }
  CheckStrategyAgainstPorts(reader, strategy_fields, service, claims);
  CheckExecBudget(reader, service, service_field, command_field, args_field, env_field,
                  health_field);
  if (!command_field && !image_field) {
    reader.Fail(service_field.KeyMark(), service_field.path, "one of command or image is required");
  }
  // The driver follows from what runs; written out, it must agree.
  if (driver_field && driver == "oci" && command_field && !image_field) {
    reader.Fail(*driver_field,
                "the oci driver runs an image: give the service an image instead "
                "of a command, or use driver: process");
  }
  if (driver_field && driver == "process" && image_field) {
    reader.Fail(*driver_field,
                "the process driver runs a command on this host; an image runs under the oci "
                "driver (driver: oci, or leave driver out), where command and args replace "
                "the image's Entrypoint and Cmd");
  }
  return service;
}

void ParseRoot(YamlReader& reader, const YAML::Node& root, EnvironmentSpec* spec) {
  if (!root.IsDefined() || root.IsNull()) {
    reader.Fail(YAML::Mark::null_mark(), "",
                "the file is empty: expected a mapping with environment and services");
    return;
  }
  if (!root.IsMap()) {
    reader.Fail(root.Mark(), "",
                "expected a mapping with environment and services, found " + Describe(root));
    return;
  }
  bool has_environment = false, has_services = false;
  ListenClaims claims;
  for (const Field& field : reader.KnownFields(root, "", kTopFields)) {
    if (field.key == "environment") {
      has_environment = true;
      auto name = reader.String(field);
      if (!name) continue;
      if (!IsName(*name)) {
        reader.Fail(field,
                    "invalid environment name " + QuoteForTerminal(*name) + ": " + kNameRule);
      }
      spec->environment = *name;
    } else if (field.key == "services") {
      has_services = true;
      if (!field.value.IsMap()) {
        reader.Fail(field, "expected a mapping of service names to services, found " +
                               Describe(field.value) + " (write {} for none)");
        continue;
      }
      std::vector<Field> services = reader.AllFields(field.value, field.path);
      if (!reader.CheckCount(field, services.size(), kMaxServices, "services")) {
        services.resize(kMaxServices);
      }
      for (const Field& service_field : services) {
        spec->services[service_field.key] = ParseService(reader, service_field, &claims);
      }
    }
  }
  if (!has_environment) {
    reader.Fail(root.Mark(), "environment", "required field is missing: the environment's name");
  }
  if (!has_services) {
    reader.Fail(root.Mark(), "services",
                "required field is missing: a mapping of services (write {} for none)");
  }
}

}  // namespace

bool IsName(const std::string& name) {
  if (name.empty() || name.size() > 63 || name[0] < 'a' || name[0] > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

void ClaimListenPort(YamlReader& reader, const Field& field, const std::string& owner_path,
                     int port, ListenClaims* claims) {
  auto [claim, inserted] =
      claims->emplace(port, ListenClaim{owner_path, field.ValueMark().line + 1});
  if (!inserted) {
    reader.Fail(field, "listen port " + std::to_string(port) + " is already used by " +
                           claim->second.path + " (line " + std::to_string(claim->second.line) +
                           ")");
  }
}

ParseOutcome ParseSpec(const std::string& yaml_text, const std::string& file) {
  YamlReader reader(file);
  EnvironmentSpec spec;
  if (std::optional<SpecError> too_big = CheckSpecSize(yaml_text.size(), file)) {
    ParseOutcome outcome;
    outcome.errors.push_back(std::move(*too_big));
    return outcome;
  }
  if (std::optional<SpecError> bad_text = CheckSpecText(yaml_text, file)) {
    ParseOutcome outcome;
    outcome.errors.push_back(std::move(*bad_text));
    return outcome;
  }
  try {
    std::vector<YAML::Node> documents = YAML::LoadAll(yaml_text);
    if (documents.size() > 1) {
      // Applying the first and ignoring the rest would drop services without a word.
      reader.Fail(documents[1].Mark(), "",
                  "the file holds " + std::to_string(documents.size()) +
                      " YAML documents; an environment is one document (remove the \"---\" "
                      "that starts this one, or split the environments into files)");
    } else {
      ParseRoot(reader, documents.empty() ? YAML::Node() : documents[0], &spec);
    }
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp says only "bad file", and for flow collections ([[[...) at line 1, column 1.
    reader.Fail(NestingMark(yaml_text, e.mark), "",
                "the YAML nests mappings and lists more than " + std::to_string(kMaxYamlDepth) +
                    " levels deep, which this YAML reader refuses (an environment file needs "
                    "about 8); the nesting passes that depth here");
  } catch (const YAML::Exception& e) {
    // Malformed YAML: yaml-cpp stops at the first problem, so it is the only one we can report.
    reader.Fail(e.mark, "", "malformed YAML: " + e.msg);
  }
  ParseOutcome outcome;
  outcome.errors = reader.TakeErrors();
  if (outcome.errors.empty()) outcome.spec = std::move(spec);
  return outcome;
}

ParseOutcome ParseSpecFile(const std::string& path) {
  auto unreadable = [&](const std::string& why) {
    ParseOutcome outcome;
    outcome.errors.push_back(SpecError{path, 0, 0, "", "cannot read environment file: " + why});
    return outcome;
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return unreadable("it is a directory");
  // Before reading: a file of many GiB is refused without being held in memory.
  if (uintmax_t size = std::filesystem::file_size(path, ec); !ec) {
    if (std::optional<SpecError> too_big = CheckSpecSize(size, path)) {
      ParseOutcome outcome;
      outcome.errors.push_back(std::move(*too_big));
      return outcome;
    }
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return unreadable(std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return unreadable(std::strerror(errno));
  return ParseSpec(text.str(), path);
}

}  // namespace cairn::spec
