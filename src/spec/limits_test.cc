// Every bound of spec/limits.h, each reported at the offending key or value with the bound and
// what was found; and the messages that echo what a file holds, escaped and cut.
#include "spec/limits.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "spec/spec.h"
#include "spec/spec_errors_for_test.h"

namespace cairn::spec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> Errors(const std::string& yaml) { return RefusalsOf(yaml); }

constexpr const char* kHead = "environment: demo\nservices:\n  web:\n    command: /bin/true\n";

TEST(SpecLimitsTest, AFileOverFourMebibytesIsRefusedBeforeYaml) {
  // Over the bound by one byte, and not YAML at all: the size is the one problem named.
  std::string text(kMaxFileBytes + 1, '[');
  EXPECT_THAT(Errors(text), ElementsAre("env.yaml: the environment file is 4194305 bytes; at "
                                        "most 4194304 (4 MiB) are accepted"));
  std::string padded = std::string(kHead) + "#" + std::string(kMaxFileBytes - 60, 'x') + "\n";
  ASSERT_LE(padded.size(), kMaxFileBytes);
  EXPECT_TRUE(ParseSpec(padded, "env.yaml").errors.empty());
}

TEST(SpecLimitsTest, AnEnvValuePastMaxArgStrlenIsRefusedAtTheValue) {
  // "BIG=" + value is one string of execve's environment: 131071 bytes is the most it takes.
  std::string fits(kMaxArgStringBytes - 4, 'v');
  EXPECT_TRUE(
      ParseSpec(std::string(kHead) + "    env: { BIG: " + fits + " }\n", "f").errors.empty());
  std::string big(kMaxArgStringBytes - 3, 'v');
  EXPECT_THAT(Errors(std::string(kHead) + "    env:\n      BIG: " + big + "\n"),
              ElementsAre("env.yaml:6:12: services.web.env.BIG: the variable BIG=... is 131072 "
                          "bytes long; execve takes at most 131071 bytes for one KEY=value "
                          "(MAX_ARG_STRLEN, 128 KiB with its NUL)"));
}

TEST(SpecLimitsTest, AnArgumentPastMaxArgStrlenIsRefusedAtTheItem) {
  std::string big(kMaxArgStringBytes + 1, 'a');
  EXPECT_THAT(Errors(std::string(kHead) + "    args:\n      - ok\n      - " + big + "\n"),
              ElementsAre("env.yaml:7:9: services.web.args[1]: is 131072 bytes long; at most "
                          "131071 bytes are allowed here"));
}

TEST(SpecLimitsTest, TooManyArgumentsAreRefusedAtTheFirstPastTheBound) {
  std::string args = "    args: [";
  for (int i = 0; i <= kMaxArgs; ++i) args += (i ? ",a" : "a");
  // Item 4096 (0-based) starts after "    args: [" (11) and 4096 "a," pairs: column 8204.
  EXPECT_THAT(Errors(std::string(kHead) + args + "]\n"),
              ElementsAre("env.yaml:5:8204: services.web.args: holds 4097 items; at most 4096 "
                          "are allowed (this is the first past the limit)"));
}

TEST(SpecLimitsTest, TheWholeArgvAndEnvironmentMustFitTheExecBudget) {
  // Ten values of 120,000 bytes each fit MAX_ARG_STRLEN but not, together, the 1 MiB budget.
  std::string env = "    env:\n";
  for (int i = 0; i < 10; ++i) {
    env += "      V" + std::to_string(i) + ": " + std::string(120000, 'x') + "\n";
  }
  // 10 * (2 + 1 + 120000 + 1 + 8) + 8 for the env, 8 + (9 + 1 + 8) + 8 for argv ["/bin/true"].
  EXPECT_THAT(Errors(std::string(kHead) + env),
              ElementsAre("env.yaml:5:5: services.web.env: execve would be given 1200154 bytes "
                          "for the service's command, args and env (each string, its NUL and an "
                          "8-byte pointer); at most 1048576 are allowed, leaving room inside "
                          "ARG_MAX for the variables cairn adds at start"));
}

TEST(SpecLimitsTest, AnImageServiceIsCheckedOnItsEnvAlone) {
  std::string env = "    env:\n";
  for (int i = 0; i < 9; ++i) {
    env += "      V" + std::to_string(i) + ": " + std::string(120000, 'x') + "\n";
  }
  std::string yaml = "environment: demo\nservices:\n  web:\n    image: web:1\n" + env;
  EXPECT_THAT(Errors(yaml), ElementsAre(HasSubstr("env.yaml:5:5: services.web.env: execve would "
                                                  "be given 1080116 bytes for the service's env")));
}

TEST(SpecLimitsTest, AnExecHealthCheckCountsTheServiceEnvToo) {
  std::string env = "    env:\n";
  for (int i = 0; i < 8; ++i) {
    env += "      V" + std::to_string(i) + ": " + std::string(120000, 'x') + "\n";
  }
  std::string health =
      "    health:\n      exec:\n        command: [check, " + std::string(100000, 'y') + "]\n";
  EXPECT_THAT(Errors(std::string(kHead) + env + health),
              ElementsAre(HasSubstr("env.yaml:14:5: services.web.health: execve would be given "
                                    "1060135 bytes for the exec check's command and the "
                                    "service's env")));
}

TEST(SpecLimitsTest, TooManyEnvEntriesAreOneErrorAtTheFirstPastTheBound) {
  std::string env = "    env:\n";
  for (int i = 0; i < kMaxEnvEntries + 5; ++i) env += "      V" + std::to_string(i) + ": x\n";
  EXPECT_THAT(Errors(std::string(kHead) + env),
              ElementsAre("env.yaml:1006:7: services.web.env: holds 1005 variables; at most "
                          "1000 are allowed (this is the first past the limit)"));
}

TEST(SpecLimitsTest, AnEnvNameIsBoundedAndCannotHoldAnEqualsSign) {
  std::string long_name(kMaxEnvNameBytes + 1, 'A');
  std::vector<std::string> errors =
      Errors(std::string(kHead) + "    env:\n      " + long_name + ": x\n      \"A=B\": y\n");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "env.yaml:6:7: services.web.env.\"" + std::string(80, 'A') +
                           "…\" (257 bytes): variable name is 257 bytes long; at most 256 "
                           "bytes are allowed here");
  EXPECT_EQ(errors[1],
            "env.yaml:7:7: services.web.env.A=B: invalid variable name \"A=B\": must match "
            "[A-Za-z_][A-Za-z0-9_]*");
}

TEST(SpecLimitsTest, ServicesPortsAndReplicasAreBounded) {
  std::string services = "environment: demo\nservices:\n";
  for (int i = 0; i <= kMaxServices; ++i) {
    services += "  s" + std::to_string(i) + ": { command: /bin/true }\n";
  }
  EXPECT_THAT(Errors(services),
              ElementsAre("env.yaml:1003:3: services: holds 1001 services; at most 1000 are "
                          "allowed (this is the first past the limit)"));

  std::string ports = std::string(kHead) + "    ports:\n";
  for (int i = 0; i <= kMaxPorts; ++i) {
    ports += "      p" + std::to_string(i) + ": { listen: " + std::to_string(10000 + i) + " }\n";
  }
  EXPECT_THAT(Errors(ports), ElementsAre("env.yaml:70:7: services.web.ports: holds 65 ports; at "
                                         "most 64 are allowed (this is the first past the limit)"));

  EXPECT_THAT(Errors(std::string(kHead) + "    replicas: 1001\n"),
              ElementsAre("env.yaml:5:15: services.web.replicas: must be between 0 and 1000, "
                          "found 1001"));
}

TEST(SpecLimitsTest, HealthCommandStepsAndChecksAreCounted) {
  std::string command = "    health:\n      exec:\n        command: [c";
  for (int i = 0; i < kMaxHealthCommandArgs; ++i) command += ",a";
  EXPECT_THAT(Errors(std::string(kHead) + command + "]\n"),
              ElementsAre(HasSubstr("env.yaml:7:531: services.web.health.exec.command: holds "
                                    "257 items; at most 256 are allowed")));

  std::string steps = std::string(kHead) +
                      "    ports: { http: { listen: 8080 } }\n    strategy:\n      canary:\n"
                      "        steps:\n";
  for (int i = 0; i <= kMaxCanarySteps; ++i) steps += "          - weight: 5\n";
  EXPECT_THAT(Errors(steps), ElementsAre("env.yaml:109:13: services.web.strategy.canary.steps: "
                                         "holds 101 steps; at most 100 are allowed (this is the "
                                         "first past the limit)"));

  std::string checks = std::string(kHead) +
                       "    ports: { http: { listen: 8080 } }\n    strategy:\n      canary:\n"
                       "        steps: [{weight: 5}]\n        analysis:\n          prometheus:\n";
  for (int i = 0; i <= kMaxPrometheusChecks; ++i) {
    checks +=
        "            - { name: c" + std::to_string(i) + ", query: up, condition: \">= 1\" }\n";
  }
  EXPECT_THAT(Errors(checks),
              ElementsAre("env.yaml:43:15: services.web.strategy.canary.analysis.prometheus: "
                          "holds 33 checks; at most 32 are allowed (this is the first past the "
                          "limit)"));
}

TEST(SpecLimitsTest, StringsAndQueriesAreBounded) {
  EXPECT_THAT(Errors(std::string("environment: demo\nservices:\n  web:\n    command: ") +
                     std::string(kMaxStringBytes + 1, 'c') + "\n"),
              ElementsAre("env.yaml:4:14: services.web.command: is 4097 bytes long; at most "
                          "4096 bytes are allowed here"));
  std::string prefix = std::string(kHead) +
                       "    ports: { http: { listen: 8080 } }\n    strategy:\n      canary:\n"
                       "        steps: [{weight: 5}]\n        analysis:\n          prometheus:\n"
                       "            - name: q\n              condition: \">= 1\"\n"
                       "              query: ";
  // A query may be longer than other strings, up to 16 KiB.
  EXPECT_TRUE(ParseSpec(prefix + std::string(kMaxQueryBytes, 'u') + "\n", "f").errors.empty());
  EXPECT_THAT(Errors(prefix + std::string(kMaxQueryBytes + 1, 'u') + "\n"),
              ElementsAre("env.yaml:13:22: services.web.strategy.canary.analysis.prometheus[0]."
                          "query: is 16385 bytes long; at most 16384 bytes are allowed here"));
}

}  // namespace
}  // namespace cairn::spec
