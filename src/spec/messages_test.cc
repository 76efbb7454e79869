// What the parser says when a file is malformed in ways yaml-cpp words badly (nesting, NUL,
// a stray BOM), when a Prometheus address is wrong, and when a file holds control bytes or
// very long text that a message echoes: every message is positioned, escaped and cut.
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

std::vector<std::string> Errors(const std::string& yaml) { return RefusalsOf(yaml); }

std::string Repeat(const std::string& piece, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += piece;
  return out;
}

constexpr const char* kTooDeep =
    "the YAML nests mappings and lists more than 500 levels deep, which this YAML reader "
    "refuses (an environment file needs about 8); the nesting passes that depth here";

TEST(SpecMessagesTest, TenThousandOpenBracketsAreTooDeepAtTheFiveHundredth) {
  // yaml-cpp itself says "bad file" at line 1, column 1.
  EXPECT_THAT(Errors(std::string(10000, '[')),
              ElementsAre(std::string("env.yaml:1:500: ") + kTooDeep));
}

TEST(SpecMessagesTest, DeepFlowMappingsAreTooDeepWhereTheyPassTheBound) {
  std::string yaml =
      "environment: demo\nservices: " + Repeat("{a: ", 1000) + "1" + std::string(1000, '}') + "\n";
  // The top-level mapping is one level; the 499th "{" (column 11 + 4 * 498) is the 500th.
  EXPECT_THAT(Errors(yaml), ElementsAre(std::string("env.yaml:2:2003: ") + kTooDeep));
}

TEST(SpecMessagesTest, ADeepBlockMappingIsTooDeepAtTheLineYamlCppStopsAt) {
  std::string yaml;
  for (int i = 0; i < 600; ++i) yaml += std::string(i, ' ') + "a:\n";
  EXPECT_THAT(Errors(yaml), ElementsAre(std::string("env.yaml:499:501: ") + kTooDeep));
}

TEST(SpecMessagesTest, BracketsInCommentsQuotesAndPlainTextDoNotCountTowardsTheDepth) {
  // Each of the first three lines holds 600 brackets that open nothing.
  std::string many(600, '[');
  std::string yaml = "# " + many + "\na: '" + many + "'\nb: rate(x" + many +
                     ")\nc: " + std::string(10000, '[') + "\n";
  // Line 4: the mapping is one level, so its value's 499th "[" (column 4 + 498) is the 500th.
  EXPECT_THAT(Errors(yaml), ElementsAre(std::string("env.yaml:4:502: ") + kTooDeep));
}

TEST(SpecMessagesTest, ANulByteIsNamedAtItsPosition) {
  std::string yaml = "environment: demo\nservices: {}\n# a";
  yaml += '\0';
  yaml += "b\n";
  EXPECT_THAT(Errors(yaml), ElementsAre("env.yaml:3:4: the file holds a NUL byte (0x00), which "
                                        "YAML text cannot hold"));
}

TEST(SpecMessagesTest, AByteOrderMarkAfterTheFirstLineIsNamedAtItsPosition) {
  EXPECT_THAT(Errors("environment: demo\n\xef\xbb\xbfservices: {}\n"),
              ElementsAre("env.yaml:2:1: a byte-order mark (U+FEFF) inside the file; one is "
                          "allowed only as its first character (was the file concatenated from "
                          "several?)"));
}

std::string WithAddress(const std::string& address) {
  return "environment: demo\nservices:\n  web:\n    command: /bin/true\n"
         "    ports: { http: { listen: 8080 } }\n    strategy:\n      canary:\n"
         "        steps: [{weight: 5}]\n        analysis:\n          prometheus:\n"
         "            - name: q\n              query: up\n              condition: \">= 1\"\n"
         "              address: " +
         address + "\n";
}

TEST(SpecMessagesTest, PrometheusAddressesAreCheckedWhereTheyAreWritten) {
  const std::string at =
      "env.yaml:14:24: services.web.strategy.canary.analysis.prometheus[0].address: expected "
      "the Prometheus server's URL, such as http://127.0.0.1:9090, found ";
  EXPECT_THAT(Errors(WithAddress("https://prom:9443")),
              ElementsAre("env.yaml:14:24: services.web.strategy.canary.analysis.prometheus[0]."
                          "address: https Prometheus addresses are not supported by this cairn: "
                          "use http:// (a Prometheus on the same host or network), found "
                          "\"https://prom:9443\""));
  EXPECT_THAT(Errors(WithAddress("http://prom:x")),
              ElementsAre(at + "\"http://prom:x\": has an invalid port \"x\""));
  EXPECT_THAT(Errors(WithAddress("http:///api")),
              ElementsAre(at + "\"http:///api\": names no host"));
  EXPECT_THAT(Errors(WithAddress("http://user:pw@prom:9090")),
              ElementsAre(at + "\"http://user:pw@prom:9090\": must not carry credentials"));
  EXPECT_THAT(Errors(WithAddress("prom:9090")),
              ElementsAre(at + "\"prom:9090\": must start with http://"));
  EXPECT_TRUE(ParseSpec(WithAddress("http://[::1]:9090/prom"), "f").errors.empty());
}

TEST(SpecMessagesTest, ControlBytesInAFieldNameAreEscapedInPathAndMessage) {
  std::vector<std::string> errors = Errors(
      "environment: demo\nservices:\n  web:\n    command: /bin/true\n    \x1b[2Jrepl\x08icas: 1\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].find('\x1b'), std::string::npos);
  EXPECT_EQ(errors[0].find('\x08'), std::string::npos);
  EXPECT_THAT(errors[0], HasSubstr("env.yaml:5:5: services.web.\"\\e[2Jrepl\\bicas\": unknown "
                                   "field \"\\e[2Jrepl\\bicas\" in services.web; allowed: "));
}

TEST(SpecMessagesTest, ControlBytesInAValueAreEscaped) {
  EXPECT_THAT(Errors("environment: demo\nservices:\n  web:\n    command: /bin/true\n"
                     "    replicas: \"\\e]0;owned\\a\"\n"),
              ElementsAre("env.yaml:5:15: services.web.replicas: expected an integer, found the "
                          "quoted string \"\\e]0;owned\\x07\""));
}

TEST(SpecMessagesTest, LongValuesAndNamesAreCutWithTheirSize) {
  std::string name(300, 'k');
  std::vector<std::string> errors =
      Errors("environment: demo\nservices:\n  web:\n    command: /bin/true\n    " + name +
             ": 1\n    replicas: " + std::string(200, '9') + "\n");
  ASSERT_EQ(errors.size(), 2u);
  std::string cut_name = "\"" + std::string(80, 'k') + "…\" (300 bytes)";
  EXPECT_THAT(errors[0], HasSubstr("env.yaml:5:5: services.web." + cut_name + ": unknown field " +
                                   cut_name + " in services.web"));
  EXPECT_EQ(errors[1],
            "env.yaml:6:15: services.web.replicas: must be between 0 and 1000, found \"" +
                std::string(80, '9') + "…\" (200 bytes)");
}

TEST(SpecMessagesTest, ABadServiceNameIsQuotedEscaped) {
  EXPECT_THAT(Errors("environment: demo\nservices:\n  \"w\\eb\": { command: /bin/true }\n"),
              ElementsAre("env.yaml:3:3: services.\"w\\eb\": invalid service name \"w\\eb\": "
                          "must start with a lower-case letter and contain only a-z, 0-9, '_' "
                          "and '-' (at most 63 characters)"));
}

}  // namespace
}  // namespace cairn::spec
