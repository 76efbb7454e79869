#include "telemetry/event_log.h"

#include <gtest/gtest.h>

namespace cairn::telemetry {
namespace {

// An in-memory journal that can be told to fail, as a full disk would.
class FakeJournal : public EventJournal {
 public:
  Status Write(const std::vector<Event>& events) override {
    ++writes;
    if (failing) return MakeError(ErrorCode::kIo, "disk full");
    stored.insert(stored.end(), events.begin(), events.end());
    return OkStatus();
  }
  Result<std::vector<Event>> Read(int64_t after, const std::string& service,
                                  size_t limit) override {
    std::vector<Event> out;
    for (const Event& e : stored) {
      if (e.seq <= after || (!service.empty() && e.service != service)) continue;
      out.push_back(e);
      if (limit && out.size() >= limit) break;
    }
    return out;
  }
  Result<std::vector<Event>> Last(size_t limit) override {
    size_t from = stored.size() > limit ? stored.size() - limit : 0;
    return std::vector<Event>(stored.begin() + from, stored.end());
  }
  std::vector<Event> stored;
  bool failing = false;
  int writes = 0;
};

EventLogOptions Capacity(size_t n) {
  EventLogOptions o;
  o.memory_capacity = n;
  return o;
}

TEST(EventLogTest, NumbersEventsFromOneAndStampsThemWithTheClock) {
  FakeClock clock;
  EventLog log(&clock);
  EXPECT_EQ(log.last_seq(), 0);
  const Event& first = log.Add("revision.applied", "", "", "revision 1 applied", {{"revision", 1}});
  EXPECT_EQ(first.seq, 1);
  EXPECT_EQ(first.at, clock.WallNow());
  EXPECT_EQ(first.data["revision"], 1);
  clock.Advance(std::chrono::milliseconds(1500));
  const Event& second = log.Add("instance.started", "web", "web-1", "started web-1");
  EXPECT_EQ(second.seq, 2);
  EXPECT_EQ(second.at, clock.WallNow());
  EXPECT_EQ(second.service, "web");
  EXPECT_EQ(second.instance, "web-1");
  EXPECT_TRUE(second.data.is_object());
  EXPECT_TRUE(second.data.empty());
}

TEST(EventLogTest, SinceFiltersByServiceAndLimit) {
  FakeClock clock;
  EventLog log(&clock);
  log.Add("a", "web", "", "");
  log.Add("b", "db", "", "");
  log.Add("c", "", "", "");
  log.Add("d", "web", "", "");
  std::vector<Event> web = log.Since(0, "web");
  ASSERT_EQ(web.size(), 2u);
  EXPECT_EQ(web[1].type, "d");
  EXPECT_EQ(log.Since(1, "web").size(), 1u);
  EXPECT_EQ(log.Since(0, "", 3).size(), 3u);
  EXPECT_TRUE(log.Since(4).empty());
}

TEST(EventLogTest, ListenersSeeEveryEventUntilTheyUnsubscribe) {
  FakeClock clock;
  EventLog log(&clock);
  std::vector<std::string> seen;
  {
    EventSubscription subscription = log.Subscribe([&](const Event& e) { seen.push_back(e.type); });
    log.Add("a", "", "", "");
    log.Add("b", "", "", "");
  }
  log.Add("c", "", "", "");
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));
}

TEST(EventLogTest, ASubscriptionMayOutliveItsLog) {
  FakeClock clock;
  EventSubscription subscription;
  {
    EventLog log(&clock);
    subscription = log.Subscribe([](const Event&) {});
  }
  subscription.Cancel();  // the log is gone: nothing to do, and no crash
}

TEST(EventLogTest, LastGivesTheNewestOldestFirstAndReachesIntoTheJournal) {
  FakeClock clock;
  FakeJournal journal;
  EventLog log(&clock, Capacity(3));
  ASSERT_TRUE(log.Attach(&journal).ok());
  log.Add("t", "db", "", "1");
  for (int i = 2; i <= 6; ++i) log.Add("t", "web", "", std::to_string(i));
  ASSERT_TRUE(log.Flush().ok());
  std::vector<Event> last = log.Last(2);
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(last[0].seq, 5);
  EXPECT_EQ(last[1].seq, 6);
  std::vector<Event> db = log.Last(5, "db");
  ASSERT_EQ(db.size(), 1u);
  EXPECT_EQ(db[0].seq, 1);
}

TEST(EventLogTest, AListenerMayUnsubscribeItselfWhileCalled) {
  FakeClock clock;
  EventLog log(&clock);
  int calls = 0;
  EventSubscription subscription;
  subscription = log.Subscribe([&](const Event&) {
    ++calls;
    subscription.Cancel();
  });
  log.Add("a", "", "", "");
  log.Add("b", "", "", "");
  EXPECT_EQ(calls, 1);
}

TEST(EventLogTest, FlushWritesEachEventOnceInOrder) {
  FakeClock clock;
  FakeJournal journal;
  EventLog log(&clock);
  ASSERT_TRUE(log.Attach(&journal).ok());
  log.Add("a", "", "", "");
  log.Add("b", "", "", "");
  ASSERT_TRUE(log.Flush().ok());
  ASSERT_TRUE(log.Flush().ok());  // nothing new: no write
  EXPECT_EQ(journal.writes, 1);
  log.Add("c", "", "", "");
  ASSERT_TRUE(log.Flush().ok());
  ASSERT_EQ(journal.stored.size(), 3u);
  EXPECT_EQ(journal.stored[2].seq, 3);
}

TEST(EventLogTest, AFailedFlushKeepsTheEventsForTheNextOne) {
  FakeClock clock;
  FakeJournal journal;
  EventLog log(&clock);
  ASSERT_TRUE(log.Attach(&journal).ok());
  journal.failing = true;
  log.Add("a", "", "", "");
  EXPECT_FALSE(log.Flush().ok());
  journal.failing = false;
  log.Add("b", "", "", "");
  ASSERT_TRUE(log.Flush().ok());
  ASSERT_EQ(journal.stored.size(), 2u);
  EXPECT_EQ(journal.stored[0].type, "a");
}

TEST(EventLogTest, UnwrittenEventsAreBoundedWhenTheJournalKeepsFailing) {
  FakeClock clock;
  FakeJournal journal;
  EventLogOptions options;
  options.max_unwritten = 3;
  EventLog log(&clock, options);
  ASSERT_TRUE(log.Attach(&journal).ok());
  journal.failing = true;
  for (int i = 0; i < 5; ++i) log.Add("t", "", "", std::to_string(i));
  EXPECT_EQ(log.dropped(), 2u);
  journal.failing = false;
  ASSERT_TRUE(log.Flush().ok());
  ASSERT_EQ(journal.stored.size(), 3u);
  EXPECT_EQ(journal.stored[0].message, "2");
}

TEST(EventLogTest, ASecondLogOnTheSameJournalContinuesTheNumbering) {
  FakeClock clock;
  FakeJournal journal;
  {
    EventLog first(&clock);
    ASSERT_TRUE(first.Attach(&journal).ok());
    for (int i = 0; i < 5; ++i) first.Add("t", "web", "", std::to_string(i));
    ASSERT_TRUE(first.Flush().ok());
  }
  EventLog second(&clock, Capacity(3));
  second.Add("early", "", "", "added before the journal was attached");
  ASSERT_TRUE(second.Attach(&journal).ok());
  EXPECT_EQ(second.last_seq(), 6);
  EXPECT_EQ(second.Since(5).front().type, "early");
  const Event& next = second.Add("later", "", "", "");
  EXPECT_EQ(next.seq, 7);
  ASSERT_TRUE(second.Flush().ok());
  ASSERT_EQ(journal.stored.size(), 7u);
  EXPECT_EQ(journal.stored[5].seq, 6);
  EXPECT_EQ(journal.stored[5].type, "early");
}

TEST(EventLogTest, SinceReadsTheJournalForWhatMemoryNoLongerHolds) {
  FakeClock clock;
  FakeJournal journal;
  EventLog log(&clock, Capacity(3));
  ASSERT_TRUE(log.Attach(&journal).ok());
  for (int i = 1; i <= 6; ++i) log.Add("t", i % 2 ? "web" : "db", "", std::to_string(i));
  ASSERT_TRUE(log.Flush().ok());
  log.Add("t", "web", "", "7");  // not yet written: memory has it, the journal does not
  std::vector<Event> all = log.Since(0);
  ASSERT_EQ(all.size(), 7u);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(all[i].seq, i + 1);
  std::vector<Event> web = log.Since(0, "web");
  ASSERT_EQ(web.size(), 4u);
  EXPECT_EQ(web.back().seq, 7);
  std::vector<Event> two = log.Since(1, "", 2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].seq, 2);
}

}  // namespace
}  // namespace cairn::telemetry
