#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "spec/spec.h"

namespace cairn::spec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// Every error as "line:col: path: message", for compact assertions.
std::vector<std::string> Errors(const std::string& yaml) {
  ParseOutcome outcome = ParseSpec(yaml, "");
  EXPECT_FALSE(outcome.spec.has_value());
  std::vector<std::string> out;
  for (const SpecError& e : outcome.errors) {
    out.push_back(std::to_string(e.line) + ":" + std::to_string(e.col) + ": " + e.path + ": " +
                  e.message);
  }
  return out;
}

EnvironmentSpec ParseOk(const std::string& yaml) {
  ParseOutcome outcome = ParseSpec(yaml, "test.yaml");
  EXPECT_TRUE(outcome.errors.empty()) << ErrorsToError(outcome.errors).message;
  return outcome.spec.value_or(EnvironmentSpec{});
}

constexpr const char* kFull = R"(environment: demo
services:
  web:
    command: cairn-hello
    args: [--flag, x]
    workdir: /tmp
    env: { LOG_LEVEL: info, WORKERS: 4, DEBUG: true }
    replicas: 3
    ports:
      http: { listen: 8080, protocol: http }
      admin: { listen: 9090, protocol: tcp }
    health:
      http:
        path: /healthz
        interval: 1s
        timeout: 500ms
        healthy_after: 2
        unhealthy_after: 4
        start_grace: 5s
    resources: { memory: 256Mi, cpu: 0.5 }
    strategy:
      rolling: { max_surge: 1, max_unavailable: "25%", progress_deadline: 2m }
    stop_timeout: 20s
  db:
    image: "postgres:16"
    health:
      exec: { command: [cat, /tmp/ok], interval: 2s }
  cache:
    image: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    health:
      tcp: { timeout: 200ms }
)";

TEST(ParseSpecTest, FullValidFileParsesEveryField) {
  EnvironmentSpec spec = ParseOk(kFull);
  EXPECT_EQ(spec.environment, "demo");
  ASSERT_EQ(spec.services.size(), 3u);
  const ServiceSpec& web = spec.services.at("web");
  EXPECT_EQ(web.name, "web");
  EXPECT_EQ(web.command, "cairn-hello");
  EXPECT_EQ(web.image, "");
  EXPECT_THAT(web.args, ElementsAre("--flag", "x"));
  EXPECT_EQ(web.workdir, "/tmp");
  EXPECT_EQ(web.env, (std::map<std::string, std::string>{
                         {"LOG_LEVEL", "info"}, {"WORKERS", "4"}, {"DEBUG", "true"}}));
  EXPECT_EQ(web.replicas, 3);
  ASSERT_EQ(web.ports.size(), 2u);
  EXPECT_EQ(web.ports[0].name, "admin");  // sorted by name
  EXPECT_EQ(web.ports[0].listen, 9090);
  EXPECT_EQ(web.ports[0].protocol, Protocol::kTcp);
  EXPECT_EQ(web.ports[1].name, "http");
  EXPECT_EQ(web.ports[1].listen, 8080);
  EXPECT_EQ(web.ports[1].protocol, Protocol::kHttp);
  EXPECT_EQ(web.health.kind, HealthKind::kHttp);
  EXPECT_EQ(web.health.http_path, "/healthz");
  EXPECT_EQ(web.health.interval, 1s);
  EXPECT_EQ(web.health.timeout, 500ms);
  EXPECT_EQ(web.health.healthy_after, 2);
  EXPECT_EQ(web.health.unhealthy_after, 4);
  EXPECT_EQ(web.health.start_grace, 5s);
  EXPECT_EQ(web.resources.memory_bytes, 256u * 1024 * 1024);
  EXPECT_EQ(web.resources.cpu, 0.5);
  EXPECT_EQ(web.rolling.max_surge, (CountOrPercent{false, 1, 0}));
  EXPECT_EQ(web.rolling.max_unavailable, (CountOrPercent{true, 0, 25}));
  EXPECT_EQ(web.rolling.progress_deadline, 2min);
  EXPECT_EQ(web.stop_timeout, 20s);

  const ServiceSpec& db = spec.services.at("db");
  EXPECT_EQ(db.image, "postgres:16");
  EXPECT_EQ(db.health.kind, HealthKind::kExec);
  EXPECT_THAT(db.health.exec_command, ElementsAre("cat", "/tmp/ok"));
  EXPECT_EQ(db.health.interval, 2s);

  const ServiceSpec& cache = spec.services.at("cache");
  EXPECT_EQ(cache.health.kind, HealthKind::kTcp);
  EXPECT_EQ(cache.health.timeout, 200ms);
}

TEST(ParseSpecTest, DefaultsAreFilledIn) {
  EnvironmentSpec spec = ParseOk("environment: demo\nservices:\n  web:\n    command: run\n");
  const ServiceSpec& web = spec.services.at("web");
  EXPECT_EQ(web.replicas, 1);
  EXPECT_TRUE(web.args.empty());
  EXPECT_TRUE(web.env.empty());
  EXPECT_TRUE(web.ports.empty());
  EXPECT_EQ(web.health.kind, HealthKind::kNone);
  EXPECT_EQ(web.health.http_path, "/");
  EXPECT_EQ(web.health.interval, 1s);
  EXPECT_EQ(web.health.timeout, 1s);
  EXPECT_EQ(web.health.healthy_after, 1);
  EXPECT_EQ(web.health.unhealthy_after, 3);
  EXPECT_EQ(web.health.start_grace, 0s);
  EXPECT_FALSE(web.resources.memory_bytes.has_value());
  EXPECT_FALSE(web.resources.cpu.has_value());
  EXPECT_EQ(web.rolling.max_surge, (CountOrPercent{false, 1, 0}));
  EXPECT_EQ(web.rolling.max_unavailable, (CountOrPercent{false, 0, 0}));
  EXPECT_EQ(web.rolling.progress_deadline, 5min);
  EXPECT_EQ(web.stop_timeout, 10s);
}

TEST(ParseSpecTest, DefaultPortProtocolIsHttpAndEmptyProbeMappingsAreAllowed) {
  EnvironmentSpec spec = ParseOk(
      "environment: demo\nservices:\n  web:\n    command: run\n"
      "    ports: { http: { listen: 80 } }\n    health:\n      tcp:\n");
  const ServiceSpec& web = spec.services.at("web");
  EXPECT_EQ(web.ports[0].protocol, Protocol::kHttp);
  EXPECT_EQ(web.health.kind, HealthKind::kTcp);
}

TEST(ParseSpecTest, ADriverMustAgreeWithWhatRunsAndPidsAreBounded) {
  EnvironmentSpec ok = ParseOk(
      "environment: demo\nservices:\n  web:\n    image: web:1\n    driver: oci\n"
      "    resources: { pids: 256 }\n");
  EXPECT_EQ(ok.services.at("web").resources.pids, std::optional<int64_t>(256));
  EXPECT_THAT(
      Errors("environment: demo\nservices:\n  a:\n    command: run\n    driver: oci\n"
             "  b:\n    image: web:1\n    driver: process\n"
             "  c:\n    command: run\n    driver: docker\n"
             "  d:\n    command: run\n    resources: { pids: 0 }\n"),
      ElementsAre("5:13: services.a.driver: the oci driver runs an image: give the service an "
                  "image instead of a command, or use driver: process",
                  "8:13: services.b.driver: the process driver runs a command on this host; an "
                  "image runs under the oci driver (driver: oci, or leave driver out), where "
                  "command and args replace the image's Entrypoint and Cmd",
                  "11:13: services.c.driver: expected process (runs a command) or oci (runs an "
                  "image under runc), found \"docker\"",
                  "14:24: services.d.resources.pids: must be between 1 and 4194304, found 0"));
}

TEST(ParseSpecTest, EmptyServicesMappingIsValid) {
  EnvironmentSpec spec = ParseOk("environment: empty\nservices: {}\n");
  EXPECT_TRUE(spec.services.empty());
}

TEST(ParseSpecTest, UnknownFieldNamesAllowedFieldsAndSuggestsCloseMatch) {
  EXPECT_THAT(
      Errors("environment: demo\nservices:\n  web:\n    command: run\n    replica: 3\n"),
      ElementsAre("5:5: services.web.replica: unknown field \"replica\" in services.web; "
                  "allowed: command, image, driver, args, workdir, env, replicas, ports, health, "
                  "resources, strategy, stop_timeout; did you mean \"replicas\"?"));
}

TEST(ParseSpecTest, UnknownFieldWithoutCloseMatchHasNoSuggestion) {
  EXPECT_THAT(Errors("environment: demo\nservices: {}\nzzzzzz: 1\n"),
              ElementsAre("3:1: zzzzzz: unknown field \"zzzzzz\" at the top level; allowed: "
                          "environment, services"));
}

TEST(ParseSpecTest, UnknownFieldInsideProbeIsReported) {
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    command: run\n    health:\n"
                     "      tcp: { path: /x }\n"),
              ElementsAre("6:14: services.web.health.tcp.path: unknown field \"path\" in "
                          "services.web.health.tcp; allowed: interval, timeout, healthy_after, "
                          "unhealthy_after, start_grace"));
}

TEST(ParseSpecTest, WrongTypeNamesExpectedAndFound) {
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    command: run\n"
                     "    replicas: three\n"),
              ElementsAre("5:15: services.web.replicas: expected an integer, found \"three\""));
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    command: run\n"
                     "    args: { a: b }\n"),
              ElementsAre("5:11: services.web.args: expected a list of strings, found a mapping"));
  EXPECT_THAT(Errors("environment: demo\nservices: [web]\n"),
              ElementsAre("2:11: services: expected a mapping of service names to services, "
                          "found a list (write {} for none)"));
}

TEST(ParseSpecTest, AccessLogIsABooleanOnHttpPortsOnly) {
  EnvironmentSpec spec = ParseOk(
      "environment: demo\nservices:\n  web:\n    command: run\n    ports:\n"
      "      http: { listen: 8080, access_log: true }\n      admin: { listen: 9090 }\n");
  const ServiceSpec& web = spec.services.at("web");
  ASSERT_EQ(web.ports.size(), 2u);
  EXPECT_FALSE(web.ports[0].access_log);  // admin
  EXPECT_TRUE(web.ports[1].access_log);   // http
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    command: run\n    ports:\n"
                     "      http: { listen: 8080, access_log: yes }\n"),
              ElementsAre("6:41: services.web.ports.http.access_log: expected true or false, "
                          "found \"yes\""));
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    command: run\n    ports:\n"
                     "      db: { listen: 5432, protocol: tcp, access_log: true }\n"),
              ElementsAre("6:54: services.web.ports.db.access_log: access_log needs protocol: "
                          "http (a tcp port carries no requests to log)"));
}

TEST(ParseSpecTest, QuotedNumberIsNotAnInteger) {
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    command: run\n"
                     "    replicas: \"3\"\n"),
              ElementsAre("5:15: services.web.replicas: expected an integer, found the quoted "
                          "string \"3\""));
}

TEST(ParseSpecTest, OutOfRangeValuesStateTheRange) {
  EXPECT_THAT(
      Errors("environment: demo\nservices:\n  web:\n    command: run\n    replicas: 1001\n"
             "    ports: { http: { listen: 70000 } }\n"),
      ElementsAre("5:15: services.web.replicas: must be between 0 and 1000, found 1001",
                  "6:30: services.web.ports.http.listen: must be between 1 and 65535, found "
                  "70000"));
}

TEST(ParseSpecTest, DuplicateListenPortAcrossServicesPointsAtTheFirst) {
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    command: run\n"
                     "    ports:\n      http: { listen: 8080 }\n"
                     "  api:\n    command: run\n    ports:\n      main:\n        listen: 8080\n"),
              ElementsAre("11:17: services.api.ports.main.listen: listen port 8080 is already "
                          "used by services.web.ports.http (line 6)"));
}

TEST(ParseSpecTest, DuplicateYamlKeyIsAnError) {
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    command: run\n    replicas: 2\n"
                     "    replicas: 3\n"),
              ElementsAre("6:5: services.web.replicas: duplicate key \"replicas\"; first "
                          "defined at line 5"));
}

TEST(ParseSpecTest, OneOfCommandOrImageIsRequired) {
  EXPECT_THAT(Errors("environment: demo\nservices:\n  api:\n    replicas: 1\n"),
              ElementsAre("3:3: services.api: one of command or image is required"));
}

// As Kubernetes' command and args: with an image, command replaces its Entrypoint and args
// its Cmd (applied at start, control/controller_loop.cc).
TEST(ParseSpecTest, CommandAndArgsOverrideAnImagesEntrypointAndCmd) {
  EnvironmentSpec spec = ParseOk(
      "environment: demo\nservices:\n  web:\n    image: a:1\n    command: /bin/web\n"
      "    args: [--port, \"80\"]\n  api:\n    image: a:1\n    args: [serve]\n");
  EXPECT_EQ(spec.services.at("web").image, "a:1");
  EXPECT_EQ(spec.services.at("web").command, "/bin/web");
  EXPECT_EQ(spec.services.at("web").args, (std::vector<std::string>{"--port", "80"}));
  EXPECT_EQ(spec.services.at("api").command, "");
  EXPECT_EQ(spec.services.at("api").args, std::vector<std::string>{"serve"});
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    image: a:1\n    command: \"\"\n"),
              ElementsAre("5:14: services.web.command: must not be empty"));
}

TEST(ParseSpecTest, BadImageDigestIsRejected) {
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    image: sha256:abc\n"),
              ElementsAre(HasSubstr("4:12: services.web.image: expected an image tag")));
}

TEST(ParseSpecTest, NamesAreValidated) {
  EXPECT_THAT(
      Errors("environment: Demo\nservices:\n  Web:\n    command: run\n"
             "    env: { 1BAD: x, PORT: 80 }\n    ports: { HTTP: { listen: 80 } }\n"),
      ElementsAre(HasSubstr("1:14: environment: invalid environment name \"Demo\""),
                  HasSubstr("3:3: services.Web: invalid service name \"Web\""),
                  "5:12: services.Web.env.1BAD: invalid variable name \"1BAD\": must match "
                  "[A-Za-z_][A-Za-z0-9_]*",
                  "5:21: services.Web.env.PORT: PORT is reserved: cairn sets it to the port each "
                  "instance must listen on",
                  HasSubstr("6:14: services.Web.ports.HTTP: invalid port name \"HTTP\"")));
}

TEST(ParseSpecTest, EnvValuesMustBeScalars) {
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    command: run\n    env:\n"
                     "      A: [1]\n      B:\n"),
              ElementsAre("6:10: services.web.env.A: expected a string, number or boolean, found "
                          "a list; write \"\" for an empty value",
                          "7:7: services.web.env.B: expected a string, number or boolean, found "
                          "null; write \"\" for an empty value"));
}

TEST(ParseSpecTest, OnlyOneProbeKind) {
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    command: run\n    health:\n"
                     "      http: {}\n      tcp: {}\n"),
              ElementsAre("7:7: services.web.health.tcp: only one probe may be set, found both "
                          "http and tcp"));
}

TEST(ParseSpecTest, UnknownProbeKindNamesAllowedKinds) {
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    command: run\n    health:\n"
                     "      grpc: {}\n"),
              ElementsAre("6:7: services.web.health.grpc: unknown probe \"grpc\" in "
                          "services.web.health; allowed: http, tcp, exec"));
}

TEST(ParseSpecTest, ProbeTimingIsValidated) {
  EXPECT_THAT(
      Errors("environment: demo\nservices:\n  web:\n    command: run\n    health:\n"
             "      http:\n        path: healthz\n        interval: 1s\n        timeout: 2s\n"
             "        healthy_after: 0\n        start_grace: soon\n"),
      ElementsAre("7:15: services.web.health.http.path: must start with \"/\", found \"healthz\"",
                  "9:18: services.web.health.http.timeout: timeout (2s) must not exceed "
                  "interval (1s)",
                  "10:24: services.web.health.http.healthy_after: must be between 1 and 100, "
                  "found 0",
                  "11:22: services.web.health.http.start_grace: invalid value \"soon\": expected "
                  "a duration such as 500ms, 30s, 5m or 1h30m"));
}

TEST(ParseSpecTest, ZeroIntervalIsRejected) {
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    command: run\n    health:\n"
                     "      tcp: { interval: 0 }\n"),
              ElementsAre("6:24: services.web.health.tcp.interval: must be at least 1ms, found 0"));
}

TEST(ParseSpecTest, ExecProbeNeedsCommand) {
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    command: run\n    health:\n"
                     "      exec: { interval: 1s }\n      \n"),
              ElementsAre("6:7: services.web.health.exec.command: required field is missing: "
                          "the program to run, as a list"));
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    command: run\n    health:\n"
                     "      exec: { command: [] }\n"),
              ElementsAre("6:24: services.web.health.exec.command: must not be empty: give the "
                          "program and its arguments"));
}

TEST(ParseSpecTest, UnknownStrategyNamesAllowedOnes) {
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    command: run\n    strategy:\n"
                     "      recreate: {}\n"),
              ElementsAre("6:7: services.web.strategy.recreate: unknown strategy \"recreate\" in "
                          "services.web.strategy; allowed: rolling, canary, blue_green"));
}

TEST(ParseSpecTest, RollingBoundsCannotBothBeZero) {
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    command: run\n    strategy:\n"
                     "      rolling: { max_surge: 0, max_unavailable: 0% }\n"),
              ElementsAre("6:49: services.web.strategy.rolling.max_unavailable: max_surge and "
                          "max_unavailable cannot both be 0: the replace could never make "
                          "progress"));
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    command: run\n    strategy:\n"
                     "      rolling: { max_surge: -1, max_unavailable: 200% }\n"),
              ElementsAre("6:29: services.web.strategy.rolling.max_surge: expected an integer >= "
                          "0 or a percentage such as \"25%\" (at most 1000), found \"-1\"",
                          "6:50: services.web.strategy.rolling.max_unavailable: invalid value "
                          "\"200%\": expected a percentage between 0% and 100%, such as 25% or "
                          "0.5%"));
}

TEST(ParseSpecTest, ResourcesAreValidated) {
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    command: run\n"
                     "    resources: { memory: lots, cpu: 0 }\n"),
              ElementsAre(HasSubstr("5:26: services.web.resources.memory: invalid value \"lots\""),
                          "5:37: services.web.resources.cpu: must be greater than 0 (cores, such "
                          "as 0.5)"));
}

TEST(ParseSpecTest, MissingRequiredTopLevelFields) {
  EXPECT_THAT(Errors("services: {}\n"),
              ElementsAre("1:1: environment: required field is missing: the environment's name"));
  EXPECT_THAT(Errors("environment: demo\n"),
              ElementsAre("1:1: services: required field is missing: a mapping of services "
                          "(write {} for none)"));
}

TEST(ParseSpecTest, EmptyAndNonMappingFiles) {
  EXPECT_THAT(Errors(""), ElementsAre("0:0: : the file is empty: expected a mapping with "
                                      "environment and services"));
  EXPECT_THAT(Errors("- a\n- b\n"), ElementsAre("1:1: : expected a mapping with environment and "
                                                "services, found a list"));
}

TEST(ParseSpecTest, ReportsEveryErrorInFileOrder) {
  std::vector<std::string> errors = Errors(
      "environment: demo\nservices:\n  web:\n    command: run\n    replicas: x\n"
      "    stop_timeout: forever\n  api:\n    image: a:1\n    replicsa: 2\n"
      "    ports: { p: { listen: 0 } }\n");
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_THAT(errors[0], HasSubstr("5:15: services.web.replicas"));
  EXPECT_THAT(errors[1], HasSubstr("6:19: services.web.stop_timeout"));
  EXPECT_THAT(errors[2], HasSubstr("9:5: services.api.replicsa: unknown field"));
  EXPECT_THAT(errors[2], HasSubstr("did you mean \"replicas\"?"));
  EXPECT_THAT(errors[3], HasSubstr("10:27: services.api.ports.p.listen: must be between 1"));
}

TEST(ParseSpecTest, MalformedYamlIsOneErrorWithPosition) {
  ParseOutcome outcome = ParseSpec("environment: demo\nservices: [a, b\nx: 1\n", "env.yaml");
  ASSERT_EQ(outcome.errors.size(), 1u);
  const SpecError& error = outcome.errors[0];
  EXPECT_EQ(error.file, "env.yaml");
  EXPECT_EQ(error.line, 3);
  EXPECT_EQ(error.col, 2);
  EXPECT_THAT(error.message, HasSubstr("malformed YAML"));
  EXPECT_EQ(error.ToString().rfind("env.yaml:3:2: malformed YAML: ", 0), 0u) << error.ToString();
}

TEST(ParseSpecFileTest, UnreadableFileIsOneErrorNamingThePath) {
  ParseOutcome outcome = ParseSpecFile("/nonexistent/cairn/env.yaml");
  ASSERT_EQ(outcome.errors.size(), 1u);
  EXPECT_FALSE(outcome.spec.has_value());
  EXPECT_EQ(outcome.errors[0].ToString(),
            "/nonexistent/cairn/env.yaml: cannot read environment file: No such file or "
            "directory");
  outcome = ParseSpecFile("/tmp");
  ASSERT_EQ(outcome.errors.size(), 1u);
  EXPECT_THAT(outcome.errors[0].message, HasSubstr("is a directory"));
}

TEST(ParseSpecFileTest, ReadsAndParsesAFile) {
  std::string path = ::testing::TempDir() + "cairn_spec_file_test.yaml";
  {
    std::ofstream out(path);
    out << "environment: demo\nservices:\n  web:\n    command: run\n    replicas: nope\n";
  }
  ParseOutcome outcome = ParseSpecFile(path);
  ASSERT_EQ(outcome.errors.size(), 1u);
  EXPECT_EQ(outcome.errors[0].ToString(),
            path + ":5:15: services.web.replicas: expected an integer, found \"nope\"");
  std::remove(path.c_str());
}

TEST(ParseSpecTest, OddYamlNeverCrashes) {
  for (const char* yaml :
       {"base: &b {command: x}\nenvironment: e\nservices: {web: *b}\n", "? [a, b]\n: c\n",
        "environment: [x]\nservices: {a: [1]}\n",
        "environment: e\nservices: {web: {<<: {command: x}}}\n",
        "environment: e\nservices:\n  web:\n    health: []\n",
        "environment: e\nservices:\n  web:\n    env:\n      ? [a]\n      : b\n", "--- !!map\n",
        "\t", "environment: e\nservices: {web: {args: [[1]]}}\n"}) {
    ParseOutcome outcome = ParseSpec(yaml, "odd.yaml");
    EXPECT_EQ(outcome.spec.has_value(), outcome.errors.empty()) << yaml;
  }
}

}  // namespace
}  // namespace cairn::spec
