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

// A revision pins the digest its image tag named: written only when set (every older spec
// keeps its hash), read back exactly, and part of the template (a moved tag, re-applied,
// replaces the instances).
TEST(SpecJsonTest, APinnedImageDigestRoundTripsAndChangesTheTemplate) {
  EnvironmentSpec spec = Parse("environment: demo\nservices:\n  web:\n    image: web:1\n");
  std::string unpinned = ServiceTemplateHash(spec.services.at("web"));
  EXPECT_FALSE(ServiceToJson(spec.services.at("web")).contains("image_digest"));
  spec.services.at("web").image_digest = "sha256:" + std::string(64, 'a');
  nlohmann::json json = ToJson(spec);
  EXPECT_EQ(json["services"]["web"]["image_digest"], "sha256:" + std::string(64, 'a'));
  auto back = FromJson(json);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->services.at("web").image_digest, spec.services.at("web").image_digest);
  EXPECT_NE(ServiceTemplateHash(spec.services.at("web")), unpinned);
  json["services"]["web"]["image_digest"] = "sha256:nothex";
  auto bad = FromJson(json);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().ToString(), HasSubstr("services.web.image_digest"));
}

TEST(SpecJsonTest, EnvChangeAltersTemplateHash) {
  EnvironmentSpec a =
      Parse("environment: demo\nservices:\n  web:\n    command: run\n    env: {A: x}\n");
  EnvironmentSpec b =
      Parse("environment: demo\nservices:\n  web:\n    command: run\n    env: {A: y}\n");
  EXPECT_NE(ServiceTemplateHash(a.services.at("web")), ServiceTemplateHash(b.services.at("web")));
}

constexpr const char* kStrategies = R"yaml(environment: demo
services:
  web:
    command: run
    ports: { http: { listen: 8080 } }
    strategy:
      canary:
        steps:
          - weight: 0.5
          - pause: 30s
          - weight: 25
          - analysis: { count: 5, latency_p99: "< 100ms" }
          - pause: {}
        cohort: header:X-User-Id
        replicas: 2
        analysis:
          success_rate: ">= 99.5%"
          latency_p99: "<= 250ms"
          baseline: compare
          prometheus:
            - { name: db_errors, query: "sum(rate(db_errors_total[1m]))", condition: "<= 0.5" }
  api:
    command: run
    ports: { http: { listen: 8090 } }
    strategy:
      blue_green: { preview: { http: 8091 }, auto_promote: 10m, scale_down_delay: 1m }
  worker:
    command: run
    ports: { http: { listen: 8095 } }
    strategy: { blue_green: { auto_promote: true } }
)yaml";

TEST(SpecJsonTest, StrategyShapeWritesOnlyTheStrategyInUse) {
  nlohmann::json json = ToJson(Parse(kStrategies));
  const nlohmann::json& canary = json["services"]["web"]["strategy"];
  ASSERT_EQ(canary.size(), 1u);
  EXPECT_EQ(canary["canary"]["steps"],
            nlohmann::json::parse(R"json([{"weight":0.5},{"pause":"30s"},{"weight":25},
                {"analysis":{"baseline":"compare","count":5,"failure_limit":0,
                 "inconclusive_limit":3,"interval":"5s","latency_p50":null,"latency_p90":null,
                 "latency_p95":null,"latency_p99":"< 100ms","min_requests":50,
                 "prometheus":[{"address":"http://127.0.0.1:9090","condition":"<= 0.5",
                                "name":"db_errors","query":"sum(rate(db_errors_total[1m]))"}],
                 "success_rate":">= 99.5%"}},
                {"pause":{}}])json"));
  EXPECT_EQ(canary["canary"]["cohort"], "header:x-user-id");
  EXPECT_EQ(canary["canary"]["replicas"], 2);
  EXPECT_EQ(canary["canary"]["analysis"]["latency_p99"], "<= 250ms");
  EXPECT_EQ(canary["canary"]["progress_deadline"], "5m");
  EXPECT_EQ(json["services"]["api"]["strategy"],
            nlohmann::json::parse(R"({"blue_green":{"analysis":null,"auto_promote":"10m",
                "preview":{"http":8091},"progress_deadline":"5m","scale_down_delay":"1m"}})"));
  EXPECT_EQ(json["services"]["worker"]["strategy"]["blue_green"]["auto_promote"], true);
  EXPECT_EQ(json["services"]["worker"]["strategy"]["blue_green"]["preview"],
            nlohmann::json::object());
}

TEST(SpecJsonTest, StrategyRoundTripIsExact) {
  EnvironmentSpec spec = Parse(kStrategies);
  Result<EnvironmentSpec> back = FromJson(nlohmann::json::parse(CanonicalJson(spec)));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(CanonicalJson(*back), CanonicalJson(spec));
  for (const auto& [name, service] : spec.services) {
    const ServiceSpec& read = back->services.at(name);
    EXPECT_EQ(read.strategy, service.strategy) << name;
    EXPECT_EQ(read.canary, service.canary) << name;
    EXPECT_EQ(read.blue_green, service.blue_green) << name;
  }
}

TEST(SpecJsonTest, FromJsonRefusesTwoStrategies) {
  nlohmann::json json = ToJson(Parse(kStrategies));
  json["services"]["web"]["strategy"]["rolling"] = nlohmann::json::object();
  Result<EnvironmentSpec> bad = FromJson(json);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().context, "services.web.strategy");
  json = ToJson(Parse(kStrategies));
  json["services"]["web"]["strategy"]["canary"]["steps"][1]["pause"] = "soon";
  bad = FromJson(json);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().context, "services.web.strategy.canary.steps[1].pause");
}

// Hashes computed by cairn before canary and blue_green existed (commit 25ada8a). Stored
// revisions and instance records carry them: they must never move.
TEST(SpecJsonTest, HashesOfSpecsWrittenBeforeStrategiesAreUnchanged) {
  EnvironmentSpec plain = Parse("environment: demo\nservices:\n  web:\n    command: run\n");
  EXPECT_EQ(SpecHash(plain), "bea68f75370eafb4d29ac670987f28c72e6dfd55218199b80829a88ff170037e");
  EXPECT_EQ(ServiceTemplateHash(plain.services.at("web")),
            "33a478c0fe680dc83b189064ad9900d7e954ae9e1f5cac915207ce3404fefc16");
  EnvironmentSpec rolling = Parse(
      "environment: demo\nservices:\n  web:\n    command: run\n    replicas: 3\n"
      "    ports: { http: { listen: 8080 } }\n"
      "    strategy: { rolling: { max_surge: 25%, max_unavailable: 1, progress_deadline: 90s } "
      "}\n");
  EXPECT_EQ(SpecHash(rolling), "2f5276d57e9ca47c360d87169ea0420f42eea33401ebbee318edef84c8f6df1d");
}

TEST(SpecJsonTest, StrategyChangeKeepsTemplateHash) {
  const std::string head =
      "environment: demo\nservices:\n  web:\n    command: run\n"
      "    ports: { http: { listen: 8080 } }\n";
  EnvironmentSpec plain = Parse(head);
  EnvironmentSpec rolling = Parse(head + "    strategy: { rolling: { max_surge: 3 } }\n");
  EnvironmentSpec canary = Parse(head + "    strategy: { canary: { steps: [{weight: 5}] } }\n");
  EnvironmentSpec canary2 = Parse(head + "    strategy: { canary: { steps: [{weight: 9}] } }\n");
  EnvironmentSpec blue_green = Parse(head + "    strategy: { blue_green: {} }\n");
  std::string hash = ServiceTemplateHash(plain.services.at("web"));
  for (const EnvironmentSpec* other : {&rolling, &canary, &canary2, &blue_green}) {
    EXPECT_EQ(ServiceTemplateHash(other->services.at("web")), hash);
    EXPECT_NE(SpecHash(*other), SpecHash(plain));  // still a new revision
  }
  EXPECT_NE(SpecHash(canary), SpecHash(canary2));
}

TEST(SpecJsonTest, AccessLogIsWrittenOnlyWhenOnAndKeepsTheTemplateHash) {
  const std::string head = "environment: demo\nservices:\n  web:\n    command: run\n";
  EnvironmentSpec off = Parse(head + "    ports: { http: { listen: 8080 } }\n");
  EnvironmentSpec off_explicit =
      Parse(head + "    ports: { http: { listen: 8080, access_log: false } }\n");
  EnvironmentSpec on = Parse(head + "    ports: { http: { listen: 8080, access_log: true } }\n");
  // Off is the default and is not written: every existing revision keeps its hash.
  EXPECT_EQ(CanonicalJson(off_explicit), CanonicalJson(off));
  EXPECT_EQ(CanonicalJson(off).find("access_log"), std::string::npos);
  EXPECT_NE(CanonicalJson(on).find("\"access_log\":true"), std::string::npos);
  // A new revision, but the same instances.
  EXPECT_NE(SpecHash(on), SpecHash(off));
  EXPECT_EQ(ServiceTemplateHash(on.services.at("web")),
            ServiceTemplateHash(off.services.at("web")));
  Result<EnvironmentSpec> back = FromJson(nlohmann::json::parse(CanonicalJson(on)));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_TRUE(back->services.at("web").ports.at(0).access_log);
  EXPECT_EQ(CanonicalJson(*back), CanonicalJson(on));
  nlohmann::json bad = nlohmann::json::parse(CanonicalJson(on));
  bad["services"]["web"]["ports"]["http"]["access_log"] = "yes";
  Result<EnvironmentSpec> refused = FromJson(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().ToString(), HasSubstr("expected true or false"));
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
