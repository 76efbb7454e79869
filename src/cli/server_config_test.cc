#include "cli/server_config.h"

#include <gtest/gtest.h>

namespace cairn::cli {
namespace {

using telemetry::AlertFormat;

std::string ErrorOf(const std::string& text) {
  auto config = ParseServerConfig(text, "server.yaml");
  EXPECT_FALSE(config.ok());
  return config.ok() ? "" : config.error().ToString();
}

TEST(ServerConfigTest, ReadsReceiversWithDefaults) {
  auto config = ParseServerConfig(R"(
alerts:
  receivers:
    - name: pager
      url: http://127.0.0.1:9093/hook
      format: json
      send_resolved: false
    - name: bridge
      url: http://alerts.internal/
)",
                                  "server.yaml");
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  ASSERT_EQ(config->alert_receivers.size(), 2u);
  const auto& pager = config->alert_receivers[0];
  EXPECT_EQ(pager.name, "pager");
  EXPECT_EQ(pager.url, "http://127.0.0.1:9093/hook");
  EXPECT_EQ(pager.format, AlertFormat::kJson);
  EXPECT_FALSE(pager.send_resolved);
  const auto& bridge = config->alert_receivers[1];
  EXPECT_EQ(bridge.format, AlertFormat::kAlertmanager);
  EXPECT_TRUE(bridge.send_resolved);
}

TEST(ServerConfigTest, EmptyFileConfiguresNothing) {
  auto config = ParseServerConfig("", "server.yaml");
  ASSERT_TRUE(config.ok());
  EXPECT_TRUE(config->alert_receivers.empty());
  auto no_receivers = ParseServerConfig("alerts:\n", "server.yaml");
  ASSERT_TRUE(no_receivers.ok());
}

TEST(ServerConfigTest, HttpsIsRefusedAtItsPosition) {
  EXPECT_EQ(
      ErrorOf("alerts:\n  receivers:\n    - name: p\n      url: https://x/hook\n").substr(0, 50),
      "server.yaml:4:12: alerts.receivers[0].url: webhook");
  EXPECT_NE(ErrorOf("alerts:\n  receivers:\n    - name: p\n      url: https://x/hook\n")
                .find("uses https"),
            std::string::npos);
}

TEST(ServerConfigTest, EveryProblemIsReportedWithFileLineCol) {
  std::string error = ErrorOf(R"(alerts:
  receivers:
    - name: a
      url: http://127.0.0.1:1/
      format: slack
    - name: a
      url: http://127.0.0.1:2/
      send_resolved: maybe
      colour: red
    - url: http://127.0.0.1:3/
)");
  EXPECT_NE(error.find("server.yaml:5:15: alerts.receivers[0].format: unknown format \"slack\"; "
                       "expected alertmanager or json"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("server.yaml:9:7: alerts.receivers[1].colour: unknown field; expected one "
                       "of: name, url, format, send_resolved"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("server.yaml:6:13: alerts.receivers[1].name: \"a\" names another receiver"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("server.yaml:8:22: alerts.receivers[1].send_resolved: must be true or "
                       "false, found \"maybe\""),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("server.yaml:10:7: alerts.receivers[2].name: is required"),
            std::string::npos)
      << error;
}

TEST(ServerConfigTest, UnknownTopLevelFieldAndWrongShapes) {
  EXPECT_EQ(ErrorOf("alert:\n  receivers: []\n"),
            "server.yaml:1:1: alert: unknown field; expected one of: alerts, connections");
  EXPECT_EQ(ErrorOf("alerts:\n  receivers: http://x/\n"),
            "server.yaml:2:14: alerts.receivers: must be a list of receivers");
  EXPECT_EQ(ErrorOf("- a\n- b\n"), "server.yaml:1:1: must be a mapping");
}

TEST(ServerConfigTest, ConnectionCapsAreWholeNumbersInRange) {
  auto config = ParseServerConfig("connections:\n  api: 40\n  per_listener: 0\n", "server.yaml");
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->connections.api_max_connections, 40);
  EXPECT_EQ(config->connections.router_max_connections_per_listener, 0);
  auto defaults = ParseServerConfig("", "server.yaml");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->connections.api_max_connections, 512);
  EXPECT_EQ(defaults->connections.router_max_connections_per_listener, 10000);
  EXPECT_EQ(ErrorOf("connections:\n  api: 0\n"),
            "server.yaml:2:8: connections.api: must be a whole number from 1 to 1048576, found "
            "\"0\"");
  EXPECT_EQ(ErrorOf("connections:\n  per_listener: -5\n"),
            "server.yaml:2:17: connections.per_listener: must be a whole number from 0 to "
            "16777216, found \"-5\"");
  EXPECT_EQ(ErrorOf("connections:\n  apii: 3\n"),
            "server.yaml:2:3: connections.apii: unknown field; expected one of: api, per_listener");
}

TEST(ServerConfigTest, SyntaxErrorNamesItsPosition) {
  std::string error = ErrorOf("alerts:\n  receivers: [\n");
  EXPECT_EQ(error.rfind("server.yaml:", 0), 0u) << error;
  EXPECT_NE(error.find("not valid YAML"), std::string::npos) << error;
}

TEST(ServerConfigTest, MissingFileIsAClearError) {
  auto config = LoadServerConfig("/nonexistent/cairn-server.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().ToString(),
            "/nonexistent/cairn-server.yaml: cannot read the server configuration");
}

TEST(ServerConfigTest, FlagReceiverIsAlertmanagerFormat) {
  auto receiver = ReceiverFromFlag("http://127.0.0.1:9093/", 2);
  ASSERT_TRUE(receiver.ok());
  EXPECT_EQ(receiver->name, "webhook-2");
  EXPECT_EQ(receiver->format, AlertFormat::kAlertmanager);
  EXPECT_TRUE(receiver->send_resolved);
  auto https = ReceiverFromFlag("https://x/", 1);
  ASSERT_FALSE(https.ok());
  EXPECT_EQ(https.error().context, "--alert-webhook");
}

}  // namespace
}  // namespace cairn::cli
