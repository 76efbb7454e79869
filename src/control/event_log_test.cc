#include "control/event_log.h"

#include <gtest/gtest.h>

namespace cairn::control {
namespace {

TEST(EventLogTest, NumbersEventsFromOneAndStampsThemWithTheClock) {
  FakeClock clock;
  EventLog log(&clock, 10, /*echo_to_stderr=*/false);
  EXPECT_EQ(log.last_seq(), 0);
  const Event& first = log.Add("revision.applied", "", "", "revision 1 applied");
  EXPECT_EQ(first.seq, 1);
  EXPECT_EQ(first.at, clock.WallNow());
  clock.Advance(std::chrono::milliseconds(1500));
  const Event& second = log.Add("instance.started", "web", "web-1", "started web-1");
  EXPECT_EQ(second.seq, 2);
  EXPECT_EQ(second.at, clock.WallNow());
  EXPECT_EQ(second.type, "instance.started");
  EXPECT_EQ(second.service, "web");
  EXPECT_EQ(second.instance, "web-1");
  EXPECT_EQ(second.message, "started web-1");
  EXPECT_EQ(log.last_seq(), 2);
}

TEST(EventLogTest, SinceReturnsLaterEventsOldestFirst) {
  FakeClock clock;
  EventLog log(&clock, 10, false);
  for (int i = 0; i < 4; ++i) log.Add("t", "", "", "m" + std::to_string(i));
  std::vector<Event> later = log.Since(2);
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(later[0].seq, 3);
  EXPECT_EQ(later[1].seq, 4);
  EXPECT_EQ(log.Since(0).size(), 4u);
  EXPECT_TRUE(log.Since(4).empty());
  EXPECT_TRUE(log.Since(99).empty());
}

TEST(EventLogTest, SinceCanKeepOneServicesEvents) {
  FakeClock clock;
  EventLog log(&clock, 10, false);
  log.Add("a", "web", "", "");
  log.Add("b", "db", "", "");
  log.Add("c", "", "", "");  // environment-wide
  log.Add("d", "web", "", "");
  std::vector<Event> web = log.Since(0, "web");
  ASSERT_EQ(web.size(), 2u);
  EXPECT_EQ(web[0].type, "a");
  EXPECT_EQ(web[1].type, "d");
  EXPECT_EQ(log.Since(1, "web").size(), 1u);
}

TEST(EventLogTest, DropsTheOldestPastCapacityButKeepsNumbering) {
  FakeClock clock;
  EventLog log(&clock, 3, false);
  for (int i = 1; i <= 5; ++i) log.Add("t", "", "", std::to_string(i));
  std::vector<Event> all = log.Since(0);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all.front().seq, 3);
  EXPECT_EQ(all.front().message, "3");
  EXPECT_EQ(all.back().seq, 5);
  EXPECT_EQ(log.last_seq(), 5);
}

}  // namespace
}  // namespace cairn::control
