// docs/cairn.schema.json is what editors see; these tests keep its field names in step with
// the parser, reading the parser's allowed fields from its own "unknown field" messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "spec/spec.h"

namespace cairn::spec {
namespace {

nlohmann::json LoadSchema() {
  std::filesystem::path path =
      std::filesystem::path(__FILE__).parent_path() / "../../docs/cairn.schema.json";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
}

// The allowed names the parser lists when `yaml` has one unknown key.
std::set<std::string> AllowedByParser(const std::string& yaml) {
  ParseOutcome outcome = ParseSpec(yaml, "");
  EXPECT_EQ(outcome.errors.size(), 1u) << ErrorsToError(outcome.errors).message;
  if (outcome.errors.empty()) return {};
  std::string message = outcome.errors[0].message;
  size_t start = message.find("allowed: ");
  EXPECT_NE(start, std::string::npos) << message;
  if (start == std::string::npos) return {};
  std::string list = message.substr(start + 9, message.find(';', start) - start - 9);
  std::set<std::string> names;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(", ", pos);
    if (comma == std::string::npos) comma = list.size();
    names.insert(list.substr(pos, comma - pos));
    pos = comma + 2;
  }
  return names;
}

std::set<std::string> Keys(const nlohmann::json& properties) {
  std::set<std::string> keys;
  for (const auto& [key, value] : properties.items()) keys.insert(key);
  return keys;
}

constexpr const char* kService = "environment: e\nservices:\n  web:\n    command: run\n";

TEST(SchemaConsistencyTest, SchemaIsValidJsonForDraft202012) {
  nlohmann::json schema = LoadSchema();
  ASSERT_FALSE(schema.is_discarded());
  EXPECT_EQ(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
}

TEST(SchemaConsistencyTest, FieldNamesMatchTheParser) {
  nlohmann::json schema = LoadSchema();
  ASSERT_FALSE(schema.is_discarded());
  const nlohmann::json& defs = schema["$defs"];
  const nlohmann::json& service = defs["service"]["properties"];
  EXPECT_EQ(Keys(schema["properties"]), AllowedByParser("environment: e\nservices: {}\nx: 1\n"));
  EXPECT_EQ(Keys(service), AllowedByParser(std::string(kService) + "    x: 1\n"));
  EXPECT_EQ(Keys(defs["port"]["properties"]),
            AllowedByParser(std::string(kService) + "    ports: {p: {listen: 1, x: 1}}\n"));
  EXPECT_EQ(Keys(service["resources"]["properties"]),
            AllowedByParser(std::string(kService) + "    resources: {x: 1}\n"));
  EXPECT_EQ(Keys(service["health"]["properties"]),
            AllowedByParser(std::string(kService) + "    health: {x: {}}\n"));
  EXPECT_EQ(Keys(service["strategy"]["properties"]),
            AllowedByParser(std::string(kService) + "    strategy: {x: {}}\n"));
  EXPECT_EQ(Keys(service["strategy"]["properties"]["rolling"]["properties"]),
            AllowedByParser(std::string(kService) + "    strategy: {rolling: {x: 1}}\n"));
  const nlohmann::json& strategies = service["strategy"]["properties"];
  const std::string canary = std::string(kService) +
                             "    ports: {http: {listen: 80}}\n"
                             "    strategy:\n      canary:\n        steps: [{weight: 5}]\n";
  EXPECT_EQ(Keys(strategies["canary"]["properties"]), AllowedByParser(canary + "        x: 1\n"));
  EXPECT_EQ(Keys(defs["canaryStep"]["properties"]),
            AllowedByParser(std::string(kService) +
                            "    ports: {http: {listen: 80}}\n"
                            "    strategy: {canary: {steps: [{weight: 5}, {x: 1}]}}\n"));
  EXPECT_EQ(Keys(defs["analysis"]["properties"]),
            AllowedByParser(canary + "        analysis: {success_rate: '>= 1%', x: 1}\n"));
  EXPECT_EQ(Keys(defs["prometheusCheck"]["properties"]),
            AllowedByParser(canary + "        analysis: {prometheus: [{name: a, query: q, "
                                     "condition: '< 1', x: 1}]}\n"));
  EXPECT_EQ(Keys(strategies["blue_green"]["properties"]),
            AllowedByParser(std::string(kService) + "    ports: {http: {listen: 80}}\n"
                                                    "    strategy: {blue_green: {x: 1}}\n"));
  EXPECT_EQ(Keys(defs["httpProbe"]["properties"]),
            AllowedByParser(std::string(kService) + "    health: {http: {x: 1}}\n"));
  EXPECT_EQ(Keys(defs["tcpProbe"]["properties"]),
            AllowedByParser(std::string(kService) + "    health: {tcp: {x: 1}}\n"));
  EXPECT_EQ(Keys(defs["execProbe"]["properties"]),
            AllowedByParser(std::string(kService) + "    health: {exec: {command: [a], x: 1}}\n"));
}

}  // namespace
}  // namespace cairn::spec
