#include "telemetry/alert_tracker.h"

#include <gtest/gtest.h>

namespace cairn::telemetry {
namespace {

// Events happen "now" on this clock; the tests move it.
FakeClock& TestClock() {
  static FakeClock clock;
  return clock;
}

Event Ev(std::string type, std::string service, std::string instance = {},
         nlohmann::json data = nlohmann::json::object()) {
  Event e;
  e.at = TestClock().WallNow();
  e.type = std::move(type);
  e.service = std::move(service);
  e.instance = std::move(instance);
  e.message = e.type + " of " + e.service;
  e.data = std::move(data);
  return e;
}

Event Failed(const std::string& service, const std::string& cause) {
  return Ev("rollout.failed", service, "",
            {{"revision", 7}, {"stable_revision", 6}, {"cause", cause}, {"reason", "why"}});
}

Event Crashed(const std::string& service, const std::string& instance, bool looping) {
  return Ev("instance.crashed", service, instance,
            {{"revision", 7}, {"exit_code", 1}, {"crash_looping", looping}});
}

class AlertTrackerTest : public ::testing::Test {
 protected:
  FakeClock& clock_ = TestClock();
  AlertTracker tracker_;
};

TEST_F(AlertTrackerTest, AnalysisFailureFiresRolloutAbortedWithLabelsAndAnnotations) {
  auto changed = tracker_.Observe(Failed("web", "analysis"));
  ASSERT_EQ(changed.size(), 1u);
  const Alert& a = changed[0];
  EXPECT_EQ(a.name, kAlertRolloutAborted);
  EXPECT_EQ(a.status, AlertStatus::kFiring);
  EXPECT_EQ(a.labels.at("alertname"), "CairnRolloutAborted");
  EXPECT_EQ(a.labels.at("service"), "web");
  EXPECT_FALSE(a.labels.count("instance"));
  EXPECT_EQ(a.annotations.at("summary"), "rollout.failed of web");
  EXPECT_EQ(a.annotations.at("revision"), "7");
  EXPECT_EQ(a.annotations.at("description"), "why");
  EXPECT_EQ(a.annotations.at("severity"), "warning");
  EXPECT_EQ(a.starts_at, clock_.WallNow());
  EXPECT_EQ(a.event["type"], "rollout.failed");
  EXPECT_EQ(tracker_.Firing().size(), 1u);
}

TEST_F(AlertTrackerTest, PersonAbortFiresRolloutAborted) {
  auto changed = tracker_.Observe(Failed("web", "aborted"));
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].name, kAlertRolloutAborted);
}

TEST_F(AlertTrackerTest, DeadlineFiresRolloutStuck) {
  auto changed = tracker_.Observe(Failed("web", "deadline"));
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].name, kAlertRolloutStuck);
}

TEST_F(AlertTrackerTest, SecondFailureOfTheSameKindDoesNotFireAgain) {
  ASSERT_EQ(tracker_.Observe(Failed("web", "analysis")).size(), 1u);
  EXPECT_TRUE(tracker_.Observe(Failed("web", "aborted")).empty());
  // Another service is another alert.
  EXPECT_EQ(tracker_.Observe(Failed("api", "analysis")).size(), 1u);
  EXPECT_EQ(tracker_.Firing().size(), 2u);
}

TEST_F(AlertTrackerTest, RolloutCompletionResolvesAbortedAndStuckOfThatServiceOnly) {
  (void)tracker_.Observe(Failed("web", "analysis"));
  (void)tracker_.Observe(Failed("web", "deadline"));
  (void)tracker_.Observe(Failed("api", "deadline"));
  clock_.Advance(std::chrono::seconds(30));
  EXPECT_TRUE(tracker_.Observe(Ev("rollout.reverted", "web")).empty());
  auto changed = tracker_.Observe(Ev("rollout.completed", "web"));
  ASSERT_EQ(changed.size(), 2u);
  for (const Alert& a : changed) {
    EXPECT_EQ(a.status, AlertStatus::kResolved);
    EXPECT_EQ(a.service(), "web");
    EXPECT_EQ(a.ends_at, clock_.WallNow());
    EXPECT_LT(a.starts_at, a.ends_at);
    EXPECT_EQ(a.event["type"], "rollout.completed");
  }
  ASSERT_EQ(tracker_.Firing().size(), 1u);
  EXPECT_EQ(tracker_.Firing()[0].service(), "api");
  // Resolved once: completing again changes nothing.
  EXPECT_TRUE(tracker_.Observe(Ev("rollout.completed", "web")).empty());
}

TEST_F(AlertTrackerTest, CanaryCompletionResolvesToo) {
  (void)tracker_.Observe(Failed("web", "analysis"));
  auto changed = tracker_.Observe(Ev("rollout.completed", "web"));
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].status, AlertStatus::kResolved);
}

TEST_F(AlertTrackerTest, ResolvedAlertFiresAgainOnTheNextFailure) {
  (void)tracker_.Observe(Failed("web", "analysis"));
  (void)tracker_.Observe(Ev("rollout.completed", "web"));
  auto changed = tracker_.Observe(Failed("web", "analysis"));
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].status, AlertStatus::kFiring);
}

TEST_F(AlertTrackerTest, CrashWithoutLoopDoesNotFire) {
  EXPECT_TRUE(tracker_.Observe(Crashed("web", "web-1", false)).empty());
  EXPECT_TRUE(tracker_.Observe(Ev("instance.crashed", "web", "web-1")).empty());
}

TEST_F(AlertTrackerTest, CrashLoopFiresPerInstanceOnce) {
  auto changed = tracker_.Observe(Crashed("web", "web-1", true));
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].name, kAlertCrashLoop);
  EXPECT_EQ(changed[0].instance(), "web-1");
  EXPECT_EQ(changed[0].annotations.at("severity"), "critical");
  EXPECT_TRUE(tracker_.Observe(Crashed("web", "web-1", true)).empty());
  EXPECT_EQ(tracker_.Observe(Crashed("web", "web-2", true)).size(), 1u);
}

TEST_F(AlertTrackerTest, CrashLoopResolvesWhenTheInstanceIsHealthyOrStopped) {
  (void)tracker_.Observe(Crashed("web", "web-1", true));
  (void)tracker_.Observe(Crashed("web", "web-2", true));
  EXPECT_TRUE(tracker_.Observe(Ev("instance.healthy", "web", "web-3")).empty());
  auto healthy = tracker_.Observe(Ev("instance.healthy", "web", "web-1"));
  ASSERT_EQ(healthy.size(), 1u);
  EXPECT_EQ(healthy[0].instance(), "web-1");
  EXPECT_EQ(healthy[0].status, AlertStatus::kResolved);
  auto stopped = tracker_.Observe(Ev("instance.stopped", "web", "web-2"));
  ASSERT_EQ(stopped.size(), 1u);
  EXPECT_EQ(stopped[0].instance(), "web-2");
  EXPECT_TRUE(tracker_.Firing().empty());
}

TEST_F(AlertTrackerTest, DriftFiresOncePerServiceAndResolvesWhenEveryDriftedInstanceIsGone) {
  auto changed = tracker_.Observe(Ev("instance.drift", "web", "web-1"));
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].name, kAlertIntegrityDrift);
  EXPECT_FALSE(changed[0].labels.count("instance"));
  EXPECT_TRUE(tracker_.Observe(Ev("instance.drift", "web", "web-2")).empty());
  // Healthy is not gone: the drifted root is still running.
  EXPECT_TRUE(tracker_.Observe(Ev("instance.healthy", "web", "web-1")).empty());
  EXPECT_TRUE(tracker_.Observe(Ev("instance.stopped", "web", "web-1")).empty());
  auto resolved = tracker_.Observe(Ev("instance.stopped", "web", "web-2"));
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].status, AlertStatus::kResolved);
  EXPECT_EQ(resolved[0].name, kAlertIntegrityDrift);
}

TEST_F(AlertTrackerTest, DriftResolvesWhenTheReplacementCompletes) {
  (void)tracker_.Observe(Ev("instance.drift", "web", "web-1"));
  auto resolved = tracker_.Observe(Ev("rollout.completed", "web"));
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].name, kAlertIntegrityDrift);
}

TEST_F(AlertTrackerTest, ServiceRemovalResolvesEveryAlertOfTheService) {
  (void)tracker_.Observe(Failed("web", "deadline"));
  (void)tracker_.Observe(Crashed("web", "web-1", true));
  (void)tracker_.Observe(Ev("instance.drift", "web", "web-2"));
  (void)tracker_.Observe(Crashed("api", "api-1", true));
  EXPECT_EQ(tracker_.Observe(Ev("service.removed", "web")).size(), 3u);
  ASSERT_EQ(tracker_.Firing().size(), 1u);
  EXPECT_EQ(tracker_.Firing()[0].service(), "api");
}

TEST_F(AlertTrackerTest, UnrelatedEventsChangeNothing) {
  EXPECT_TRUE(tracker_.Observe(Ev("revision.applied", "")).empty());
  EXPECT_TRUE(tracker_.Observe(Ev("rollout.started", "web")).empty());
  EXPECT_TRUE(tracker_.Observe(Ev("instance.stopped", "web", "web-1")).empty());
}

TEST(AlertFingerprintTest, SameLabelsSameFingerprintOtherLabelsOther) {
  std::map<std::string, std::string> a{{"alertname", "X"}, {"service", "web"}};
  std::map<std::string, std::string> b{{"alertname", "X"}, {"service", "api"}};
  EXPECT_EQ(AlertFingerprint(a), AlertFingerprint(a));
  EXPECT_NE(AlertFingerprint(a), AlertFingerprint(b));
  EXPECT_EQ(AlertFingerprint(a).size(), 16u);
  // Keys and values are kept apart: "ab"="" differs from "a"="b".
  EXPECT_NE(AlertFingerprint({{"ab", ""}}), AlertFingerprint({{"a", "b"}}));
}

TEST_F(AlertTrackerTest, TheEnvironmentOfTheNewestRevisionBecomesALabel) {
  auto before = tracker_.Observe(Failed("api", "analysis"));
  ASSERT_EQ(before.size(), 1u);
  EXPECT_FALSE(before[0].labels.count("environment")) << "no revision yet";

  (void)tracker_.Observe(
      Ev("revision.applied", "", "", {{"revision", 1}, {"environment", "shop"}}));
  auto changed = tracker_.Observe(Failed("web", "analysis"));
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].labels.at("environment"), "shop");

  // Renamed: the alert fired as "shop" still resolves, with the labels it was fired with.
  (void)tracker_.Observe(
      Ev("revision.applied", "", "", {{"revision", 2}, {"environment", "store"}}));
  EXPECT_TRUE(tracker_.Observe(Failed("web", "aborted")).empty()) << "already firing";
  auto resolved = tracker_.Observe(Ev("rollout.completed", "web"));
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].labels.at("environment"), "shop");
  EXPECT_EQ(AlertFingerprint(resolved[0].labels), AlertFingerprint(changed[0].labels));
}

TEST_F(AlertTrackerTest, ReplayingTheSameEventsLaterGivesTheSameAlerts) {
  std::vector<Event> history = {Failed("web", "analysis"), Crashed("web", "web-1", true)};
  std::vector<Alert> first;
  for (const Event& e : history) {
    for (Alert& a : tracker_.Observe(e)) first.push_back(std::move(a));
  }
  clock_.Advance(std::chrono::hours(2));  // a server restarted much later replays them
  AlertTracker replayed;
  for (const Event& e : history) (void)replayed.Observe(e);
  ASSERT_EQ(replayed.Firing().size(), 2u);
  auto firing = tracker_.Firing();
  for (size_t i = 0; i < firing.size(); ++i) {
    EXPECT_EQ(replayed.Firing()[i].labels, firing[i].labels);
    EXPECT_EQ(replayed.Firing()[i].starts_at, firing[i].starts_at) << "the event's time, not now";
  }
}

}  // namespace
}  // namespace cairn::telemetry
