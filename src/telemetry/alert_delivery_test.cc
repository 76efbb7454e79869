#include "telemetry/alert_delivery.h"

#include <gtest/gtest.h>

namespace cairn::telemetry {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RetryDelayTest, DoublesFromOneSecondToOneMinute) {
  EXPECT_EQ(RetryDelay(1), seconds(1));
  EXPECT_EQ(RetryDelay(2), seconds(2));
  EXPECT_EQ(RetryDelay(3), seconds(4));
  EXPECT_EQ(RetryDelay(6), seconds(32));
  EXPECT_EQ(RetryDelay(7), seconds(60));
  EXPECT_EQ(RetryDelay(1000), seconds(60));  // no overflow however long it fails
}

TEST(RetryDelayTest, FollowsItsOptions) {
  BackoffOptions o{milliseconds(100), milliseconds(250)};
  EXPECT_EQ(RetryDelay(1, o), milliseconds(100));
  EXPECT_EQ(RetryDelay(2, o), milliseconds(200));
  EXPECT_EQ(RetryDelay(3, o), milliseconds(250));
}

TEST(ClassifyDeliveryTest, SuccessRetryOrDrop) {
  EXPECT_EQ(ClassifyDelivery(200), DeliveryOutcome::kDelivered);
  EXPECT_EQ(ClassifyDelivery(204), DeliveryOutcome::kDelivered);
  EXPECT_EQ(ClassifyDelivery(0), DeliveryOutcome::kRetry);
  EXPECT_EQ(ClassifyDelivery(500), DeliveryOutcome::kRetry);
  EXPECT_EQ(ClassifyDelivery(503), DeliveryOutcome::kRetry);
  EXPECT_EQ(ClassifyDelivery(429), DeliveryOutcome::kRetry);
  EXPECT_EQ(ClassifyDelivery(400), DeliveryOutcome::kDrop);
  EXPECT_EQ(ClassifyDelivery(404), DeliveryOutcome::kDrop);
  EXPECT_EQ(ClassifyDelivery(301), DeliveryOutcome::kDrop);
}

TEST(ParseWebhookUrlTest, HostPortAndTarget) {
  auto u = ParseWebhookUrl("http://127.0.0.1:9093/hook?x=1");
  ASSERT_TRUE(u.ok()) << u.error().ToString();
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "9093");
  EXPECT_EQ(u->target, "/hook?x=1");
  auto d = ParseWebhookUrl("http://alerts.internal");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->port, "80");
  EXPECT_EQ(d->target, "/");
  auto v6 = ParseWebhookUrl("http://[::1]:8080/a");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, "8080");
}

TEST(ParseWebhookUrlTest, RefusesHttpsWithAReason) {
  auto u = ParseWebhookUrl("https://events.pagerduty.com/x");
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.error().message.find("https"), std::string::npos);
  EXPECT_NE(u.error().message.find("use http://"), std::string::npos);
}

TEST(ParseWebhookUrlTest, RefusesMalformed) {
  for (const char* bad : {"ftp://x", "127.0.0.1:9093", "http://", "http://:80/", "http://h:0/",
                          "http://h:99999/", "http://h:abc/", "http://u:p@h/"}) {
    EXPECT_FALSE(ParseWebhookUrl(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace cairn::telemetry
