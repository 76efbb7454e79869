// AlertNotifier from event log to real loopback receivers.
#include "telemetry/alert_notifier.h"

#include <gtest/gtest.h>

#include "telemetry/alert_receiver_for_test.h"

namespace cairn::telemetry {
namespace {

using std::chrono::milliseconds;

class AlertNotifierTest : public ::testing::Test {
 protected:
  AlertNotifierTest() : events_(&clock_) {}

  Result<std::unique_ptr<AlertNotifier>> Make(std::vector<AlertReceiverConfig> receivers) {
    AlertNotifierOptions o;
    o.receivers = std::move(receivers);
    o.external_url = "http://127.0.0.1:7400";
    o.sender.backoff = {milliseconds(10), milliseconds(40)};
    return AlertNotifier::Create(io_, events_, o, &clock_, nullptr);
  }
  void RunUntil(const std::function<bool()>& done) {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < end) io_.run_for(milliseconds(10));
  }

  boost::asio::io_context io_;
  FakeClock clock_;
  EventLog events_;
};

TEST_F(AlertNotifierTest, FiringGoesToEveryReceiverResolvedOnlyWhereWanted) {
  Receiver am(io_, {200});
  Receiver plain(io_, {200});
  auto notifier = Make({{"am", am.url(), AlertFormat::kAlertmanager, true},
                        {"plain", plain.url(), AlertFormat::kJson, false}});
  ASSERT_TRUE(notifier.ok()) << notifier.error().ToString();
  events_.Add("rollout.failed", "web", "", "rollout of web failed",
              {{"revision", 3}, {"cause", "analysis"}, {"reason", "success rate 80%"}});
  events_.Add("rollout.completed", "web", "", "web complete");
  // A notification is queued when its event is added, and leaves its sender's queue once the
  // receiver answered: empty queues mean every notification there will be has arrived.
  RunUntil([&] {
    return am.bodies.size() == 2 && plain.bodies.size() == 1 &&
           (*notifier)->sender(0).queued() == 0 && (*notifier)->sender(1).queued() == 0;
  });
  EXPECT_EQ((*notifier)->sender(0).queued(), 0u);
  EXPECT_EQ((*notifier)->sender(1).queued(), 0u);
  EXPECT_EQ((*notifier)->sender(1).stats().attempts, 1u) << "plain wants no resolved";
  ASSERT_EQ(am.bodies.size(), 2u);
  auto fired = nlohmann::json::parse(am.bodies[0]);
  EXPECT_EQ(fired["status"], "firing");
  EXPECT_EQ(fired["receiver"], "am");
  EXPECT_EQ(fired["commonLabels"]["alertname"], "CairnRolloutAborted");
  EXPECT_EQ(nlohmann::json::parse(am.bodies[1])["status"], "resolved");
  ASSERT_EQ(plain.bodies.size(), 1u);
  auto flat = nlohmann::json::parse(plain.bodies[0]);
  EXPECT_EQ(flat["alert"], "CairnRolloutAborted");
  EXPECT_EQ(flat["status"], "firing");
  EXPECT_EQ(flat["event"]["type"], "rollout.failed");
  EXPECT_TRUE((*notifier)->tracker().Firing().empty());
}

TEST_F(AlertNotifierTest, AfterARestartAnAlertFiredBeforeItIsResolvedNotFiredAgain) {
  // What the journal holds when a server starts: the environment and a failed rollout.
  events_.Add("revision.applied", "", "", "revision 3 applied",
              {{"revision", 3}, {"environment", "shop"}});
  const Event failed = events_.Add("rollout.failed", "web", "", "rollout of web failed",
                                   {{"revision", 3}, {"cause", "analysis"}, {"reason", "5xx"}});
  clock_.Advance(std::chrono::minutes(10));
  Receiver am(io_, {200});
  auto notifier = Make({{"am", am.url(), AlertFormat::kAlertmanager, true}});
  ASSERT_TRUE(notifier.ok()) << notifier.error().ToString();
  events_.Add("instance.adopted", "web", "web-1", "adopted running instance web-1");
  ASSERT_EQ((*notifier)->tracker().Firing().size(), 1u) << "found again in the history";
  // Notifying queues at once, so an empty queue now means replaying notified nobody.
  EXPECT_EQ((*notifier)->sender(0).queued(), 0u) << "replaying history notifies nobody";
  EXPECT_EQ((*notifier)->sender(0).stats().attempts, 0u);

  events_.Add("rollout.completed", "web", "", "web complete");
  RunUntil([&] { return am.bodies.size() == 1; });
  ASSERT_EQ(am.bodies.size(), 1u);
  auto resolved = nlohmann::json::parse(am.bodies[0]);
  EXPECT_EQ(resolved["status"], "resolved");
  EXPECT_EQ(resolved["commonLabels"]["environment"], "shop");
  EXPECT_EQ(resolved["alerts"][0]["startsAt"], FormatWallTime(failed.at))
      << "started when the rollout failed, before the restart";
}

TEST_F(AlertNotifierTest, RefusesAnHttpsReceiverNamingIt) {
  auto notifier = Make({{"pager", "https://example.com/", AlertFormat::kAlertmanager, true}});
  ASSERT_FALSE(notifier.ok());
  EXPECT_EQ(notifier.error().context, "alert receiver pager");
}

}  // namespace
}  // namespace cairn::telemetry
