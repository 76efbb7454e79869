#include "telemetry/alert_payload.h"

#include <gtest/gtest.h>

namespace cairn::telemetry {
namespace {

Alert Sample(AlertStatus status) {
  Alert a;
  a.name = "CairnCrashLoop";
  a.labels = {{"alertname", "CairnCrashLoop"}, {"service", "web"}, {"instance", "web-1"}};
  a.annotations = {{"summary", "instance web-1 exited"}, {"severity", "critical"}};
  a.status = status;
  a.starts_at = FromUnixMillis(1'764'000'000'000);
  a.ends_at = FromUnixMillis(1'764'000'060'000);
  a.event = {{"seq", 12}, {"type", "instance.crashed"}};
  return a;
}

const PayloadContext kContext{"pager", "http://127.0.0.1:7400"};

TEST(AlertPayloadTest, AlertmanagerFiringHasVersion4Shape) {
  auto p = AlertPayload(AlertFormat::kAlertmanager, Sample(AlertStatus::kFiring), kContext);
  EXPECT_EQ(p["version"], "4");
  EXPECT_EQ(p["status"], "firing");
  EXPECT_EQ(p["receiver"], "pager");
  EXPECT_EQ(p["externalURL"], "http://127.0.0.1:7400");
  EXPECT_EQ(p["groupKey"],
            "{}:{alertname=\"CairnCrashLoop\", instance=\"web-1\", service=\"web\"}");
  EXPECT_EQ(p["groupLabels"]["service"], "web");
  EXPECT_EQ(p["commonLabels"]["alertname"], "CairnCrashLoop");
  EXPECT_EQ(p["commonAnnotations"]["severity"], "critical");
  ASSERT_EQ(p["alerts"].size(), 1u);
  const auto& a = p["alerts"][0];
  EXPECT_EQ(a["status"], "firing");
  EXPECT_EQ(a["labels"]["instance"], "web-1");
  EXPECT_EQ(a["annotations"]["summary"], "instance web-1 exited");
  EXPECT_EQ(a["startsAt"], "2025-11-24T16:00:00.000Z");
  EXPECT_EQ(a["endsAt"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(a["generatorURL"], "http://127.0.0.1:7400/v1/events?service=web");
  EXPECT_EQ(a["fingerprint"], AlertFingerprint(Sample(AlertStatus::kFiring).labels));
  for (const char* key : {"version", "groupKey", "status", "receiver", "groupLabels",
                          "commonLabels", "commonAnnotations", "externalURL", "alerts"}) {
    EXPECT_TRUE(p.contains(key)) << key;
  }
}

TEST(AlertPayloadTest, AlertmanagerResolvedCarriesEndsAt) {
  auto p = AlertPayload(AlertFormat::kAlertmanager, Sample(AlertStatus::kResolved), kContext);
  EXPECT_EQ(p["status"], "resolved");
  EXPECT_EQ(p["alerts"][0]["status"], "resolved");
  EXPECT_EQ(p["alerts"][0]["endsAt"], "2025-11-24T16:01:00.000Z");
}

TEST(AlertPayloadTest, PlainJsonShape) {
  auto firing = AlertPayload(AlertFormat::kJson, Sample(AlertStatus::kFiring), kContext);
  EXPECT_EQ(firing["alert"], "CairnCrashLoop");
  EXPECT_EQ(firing["status"], "firing");
  EXPECT_EQ(firing["service"], "web");
  EXPECT_EQ(firing["instance"], "web-1");
  EXPECT_EQ(firing["summary"], "instance web-1 exited");
  EXPECT_EQ(firing["started_at"], "2025-11-24T16:00:00.000Z");
  EXPECT_TRUE(firing["ended_at"].is_null());
  EXPECT_EQ(firing["labels"]["alertname"], "CairnCrashLoop");
  EXPECT_EQ(firing["event"]["seq"], 12);
  auto resolved = AlertPayload(AlertFormat::kJson, Sample(AlertStatus::kResolved), kContext);
  EXPECT_EQ(resolved["status"], "resolved");
  EXPECT_EQ(resolved["ended_at"], "2025-11-24T16:01:00.000Z");
}

TEST(AlertPayloadTest, FormatNames) {
  EXPECT_EQ(ParseAlertFormat("alertmanager"), AlertFormat::kAlertmanager);
  EXPECT_EQ(ParseAlertFormat("json"), AlertFormat::kJson);
  EXPECT_FALSE(ParseAlertFormat("slack").has_value());
  EXPECT_STREQ(AlertFormatName(AlertFormat::kJson), "json");
}

}  // namespace
}  // namespace cairn::telemetry
