#include <gtest/gtest.h>

#include "state/sqlite_db.h"
#include "state/state_store.h"
#include "state/temp_dir_for_test.h"

namespace cairn::state {
namespace {

EventRecord Ev(int64_t seq, const std::string& type, const std::string& service) {
  EventRecord e;
  e.seq = seq;
  e.at = FromUnixMillis(1'700'000'000'000 + seq);
  e.type = type;
  e.service = service;
  e.message = type + " of " + service;
  e.data_json = R"({"n":)" + std::to_string(seq) + "}";
  return e;
}

class SqliteEventsTest : public ::testing::Test {
 protected:
  std::unique_ptr<StateStore> Open() {
    auto store = OpenSqliteStore(tmp_.path(), &clock_);
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  TempDirForTest tmp_;
  FakeClock clock_;
};

TEST_F(SqliteEventsTest, EventsSurviveReopeningWithTheirFigures) {
  {
    auto store = Open();
    ASSERT_TRUE(store
                    ->AppendEvents({Ev(1, "revision.applied", ""), Ev(2, "instance.started", "web"),
                                    Ev(3, "rollout.verdict", "api")},
                                   1000)
                    .ok());
  }
  auto store = Open();
  auto all = store->ListEvents(0, "", 0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[2].type, "rollout.verdict");
  EXPECT_EQ((*all)[2].data_json, R"({"n":3})");
  EXPECT_EQ(ToUnixMillis((*all)[0].at), 1'700'000'000'001);

  auto web = store->ListEvents(0, "web", 0);
  ASSERT_TRUE(web.ok());
  ASSERT_EQ(web->size(), 1u);
  EXPECT_EQ((*web)[0].seq, 2);

  auto after = store->ListEvents(1, "", 1);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].seq, 2);
}

TEST_F(SqliteEventsTest, KeepsOnlyTheNewestAndLastEventsAreOldestFirst) {
  auto store = Open();
  std::vector<EventRecord> batch;
  for (int i = 1; i <= 10; ++i) batch.push_back(Ev(i, "instance.started", "web"));
  ASSERT_TRUE(store->AppendEvents(batch, 4).ok());
  auto all = store->ListEvents(0, "", 0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ(all->front().seq, 7);
  auto last = store->LastEvents(2);
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last->size(), 2u);
  EXPECT_EQ((*last)[0].seq, 9);
  EXPECT_EQ((*last)[1].seq, 10);
}

TEST_F(SqliteEventsTest, ADuplicateSeqWritesNothingOfItsBatch) {
  auto store = Open();
  ASSERT_TRUE(store->AppendEvents({Ev(1, "a", "web")}, 0).ok());
  Status dup = store->AppendEvents({Ev(2, "b", "web"), Ev(1, "c", "web")}, 0);
  EXPECT_FALSE(dup.ok());
  auto all = store->ListEvents(0, "", 0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].type, "a");
}

TEST_F(SqliteEventsTest, AVersionOneDatabaseGainsTheJournalAndKeepsItsRevisions) {
  {
    // What a cairn of schema version 1 left behind: a revision, no events table.
    auto db = SqliteDb::Open(tmp_.path() + "/state.db");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec(R"sql(
      CREATE TABLE revisions (number INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE,
        parent_hash TEXT NOT NULL, author TEXT NOT NULL, message TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL, spec_json TEXT NOT NULL, spec_hash TEXT NOT NULL,
        rollback_of INTEGER REFERENCES revisions(number));
      CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL,
        actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, result TEXT NOT NULL);
      CREATE TABLE instances (id TEXT PRIMARY KEY, service TEXT NOT NULL, revision INTEGER NOT NULL,
        template_hash TEXT NOT NULL, pid INTEGER NOT NULL, start_ticks INTEGER NOT NULL,
        port INTEGER NOT NULL, log_path TEXT NOT NULL, started_at_ms INTEGER NOT NULL);
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO meta VALUES ('stable/web', '1');
      PRAGMA user_version = 1;)sql")
                    .ok());
  }
  auto store = Open();
  auto meta = store->GetMeta("stable/web");
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->value_or(""), "1");
  ASSERT_TRUE(store->AppendEvents({Ev(1, "a", "web")}, 0).ok());
  auto version = SqliteDb::Open(tmp_.path() + "/state.db");
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*(*version)->QueryInt64("PRAGMA user_version"), 2);
}

}  // namespace
}  // namespace cairn::state
