#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "spec/spec.h"

namespace cairn::spec {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

EnvironmentSpec Parse(const std::string& yaml) {
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
    env: { LOG_LEVEL: info }
    replicas: 3
    ports:
      http: { listen: 8080, protocol: http }
      raw: { listen: 9000, protocol: tcp }
    health:
      http: { path: /healthz, interval: 1500ms, timeout: 500ms, healthy_after: 2, start_grace: 5s }
    resources: { memory: 256Mi, cpu: 0.5 }
    strategy:
      rolling: { max_surge: 1, max_unavailable: "12.5%", progress_deadline: 90s }
    stop_timeout: 10s
  db:
    image: "postgres:16"
    health:
      exec: { command: [pg_isready] }
)";

TEST(SpecJsonTest, CanonicalShapeWritesEveryFieldWithDefaults) {
  nlohmann::json json = ToJson(Parse(kFull));
  EXPECT_EQ(json["environment"], "demo");
  const nlohmann::json& web = json["services"]["web"];
  EXPECT_EQ(web["env"]["LOG_LEVEL"], "info");
  EXPECT_EQ(web["ports"]["http"]["listen"], 8080);
  EXPECT_EQ(web["ports"]["raw"]["protocol"], "tcp");
  EXPECT_EQ(web["health"]["kind"], "http");
  EXPECT_EQ(web["health"]["interval"], "1.5s");
  EXPECT_EQ(web["health"]["unhealthy_after"], 3);
  EXPECT_EQ(web["resources"]["memory"], 268435456u);
  EXPECT_EQ(web["resources"]["cpu"], 0.5);
  EXPECT_EQ(web["strategy"]["rolling"]["max_surge"], 1);
  EXPECT_EQ(web["strategy"]["rolling"]["max_unavailable"], "12.5%");
  EXPECT_EQ(web["strategy"]["rolling"]["progress_deadline"], "1m30s");
  EXPECT_EQ(web["stop_timeout"], "10s");

  const nlohmann::json& db = json["services"]["db"];
  EXPECT_EQ(db["command"], "");
  EXPECT_EQ(db["args"], nlohmann::json::array());
  EXPECT_EQ(db["env"], nlohmann::json::object());
  EXPECT_EQ(db["ports"], nlohmann::json::object());
  EXPECT_EQ(db["replicas"], 1);
  EXPECT_EQ(db["health"]["command"], nlohmann::json::array({"pg_isready"}));
  EXPECT_TRUE(db["resources"]["memory"].is_null());
  EXPECT_TRUE(db["resources"]["cpu"].is_null());
}

TEST(SpecJsonTest, RoundTripIsExact) {
  EnvironmentSpec spec = Parse(kFull);
  nlohmann::json json = ToJson(spec);
  Result<EnvironmentSpec> back = FromJson(json);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(ToJson(*back), json);
  EXPECT_EQ(CanonicalJson(*back), CanonicalJson(spec));
  const ServiceSpec& web = back->services.at("web");
  EXPECT_EQ(web.health.interval, 1500ms);
  EXPECT_EQ(web.rolling.max_unavailable, (CountOrPercent{true, 0, 12.5}));
  EXPECT_EQ(web.resources.memory_bytes, 268435456u);
  ASSERT_EQ(web.ports.size(), 2u);
  EXPECT_EQ(web.ports[1].protocol, Protocol::kTcp);
}

TEST(SpecJsonTest, RoundTripOfTextDump) {
  EnvironmentSpec spec = Parse(kFull);
  Result<EnvironmentSpec> back = FromJson(nlohmann::json::parse(CanonicalJson(spec)));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(SpecHash(*back), SpecHash(spec));
}

TEST(SpecJsonTest, FromJsonRejectsWrongShapesWithAPath) {
  nlohmann::json json = ToJson(Parse(kFull));
  json["services"]["web"]["replicas"] = "three";
  Result<EnvironmentSpec> bad = FromJson(json);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().context, "services.web.replicas");

  json = ToJson(Parse(kFull));
  json["services"]["web"]["health"]["bogus"] = 1;
  bad = FromJson(json);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().context, "services.web.health.bogus");

  EXPECT_FALSE(FromJson(nlohmann::json::array()).ok());
}

TEST(SpecJsonTest, SameMeaningHasSameHash) {
  EnvironmentSpec a = Parse(
      "environment: demo\nservices:\n  web:\n    command: run\n    env: {B: 2, A: 1}\n"
      "    ports: { http: { listen: 80 } }\n");
  EnvironmentSpec b = Parse(
      "services:\n"
      "  web:\n"
      "    ports:\n"
      "      http:\n"
      "        protocol: http\n"
      "        listen: 80\n"
      "    env:\n"
      "      A: \"1\"\n"
      "      B: '2'\n"
      "    replicas: 1\n"
      "    stop_timeout: 10000ms\n"
      "    strategy: { rolling: { max_surge: 1, max_unavailable: 0, progress_deadline: 300s } }\n"
      "    command:    run\n"
      "environment:   demo\n");
  EXPECT_EQ(CanonicalJson(a), CanonicalJson(b));
  EXPECT_EQ(SpecHash(a), SpecHash(b));
  EXPECT_EQ(SpecHash(a).size(), 64u);
}

TEST(SpecJsonTest, DifferentSpecsHaveDifferentHashes) {
  EnvironmentSpec a = Parse("environment: demo\nservices:\n  web:\n    command: run\n");
  EnvironmentSpec b = Parse("environment: demo\nservices:\n  web:\n    command: run2\n");
  EXPECT_NE(SpecHash(a), SpecHash(b));
}

TEST(SpecJsonTest, ReplicaChangeKeepsTemplateHash) {
  EnvironmentSpec a = Parse("environment: demo\nservices:\n  web:\n    command: run\n");
  EnvironmentSpec b =
      Parse("environment: demo\nservices:\n  web:\n    command: run\n    replicas: 5\n");
  EXPECT_EQ(ServiceTemplateHash(a.services.at("web")), ServiceTemplateHash(b.services.at("web")));
  EXPECT_NE(SpecHash(a), SpecHash(b));
}

TEST(SpecJsonTest, EnvChangeAltersTemplateHash) {
  EnvironmentSpec a =
      Parse("environment: demo\nservices:\n  web:\n    command: run\n    env: {A: x}\n");
  EnvironmentSpec b =
      Parse("environment: demo\nservices:\n  web:\n    command: run\n    env: {A: y}\n");
  EXPECT_NE(ServiceTemplateHash(a.services.at("web")), ServiceTemplateHash(b.services.at("web")));
}

TEST(SpecJsonTest, ServiceJsonWritesEveryField) {
  nlohmann::json json = ServiceToJson(ServiceSpec{});
  for (const char* key : {"name", "image", "command", "args", "workdir", "env", "replicas", "ports",
                          "health", "resources", "strategy", "stop_timeout"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  EXPECT_EQ(json["health"]["kind"], "none");
}

}  // namespace
}  // namespace cairn::spec
