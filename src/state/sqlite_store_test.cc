#include <gtest/gtest.h>
#include <unistd.h>

#include "core/sha256.h"
#include "state/revision.h"
#include "state/sqlite_db.h"
#include "state/sqlite_schema.h"
#include "state/state_store.h"
#include "state/temp_dir_for_test.h"

namespace cairn::state {
namespace {

NewRevision Rev(const std::string& spec_json, const std::string& message) {
  NewRevision rev;
  rev.spec_json = spec_json;
  rev.spec_hash = Sha256Hex(spec_json);
  rev.author = "ana";
  rev.message = message;
  return rev;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<StateStore> Open() {
    auto store = OpenSqliteStore(tmp_.path(), &clock_);
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  // A second, raw connection to the same file, as a person with the sqlite3 CLI would have.
  std::unique_ptr<SqliteDb> Raw() {
    auto db = SqliteDb::Open(tmp_.path() + "/state.db");
    EXPECT_TRUE(db.ok());
    return db.ok() ? std::move(*db) : nullptr;
  }
  void AppendThree(StateStore* store) {
    ASSERT_TRUE(store->AppendRevision(Rev(R"({"v":1})", "first")).ok());
    clock_.Advance(std::chrono::seconds(1));
    ASSERT_TRUE(store->AppendRevision(Rev(R"({"v":2})", "second")).ok());
    clock_.Advance(std::chrono::seconds(1));
    ASSERT_TRUE(store->AppendRevision(Rev(R"({"v":3})", "third")).ok());
  }

  TempDirForTest tmp_;
  FakeClock clock_;
};

TEST_F(SqliteStoreTest, EmptyStoreHasNoHeadAndAValidChain) {
  auto store = Open();
  auto head = store->Head();
  ASSERT_TRUE(head.ok());
  EXPECT_FALSE(head->has_value());
  EXPECT_TRUE(store->VerifyChain().ok());
  auto missing = store->GetRevision(1);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(SqliteStoreTest, ChainOfThreeRevisionsVerifies) {
  auto store = Open();
  AppendThree(store.get());
  auto revs = store->ListRevisions();
  ASSERT_TRUE(revs.ok());
  ASSERT_EQ(revs->size(), 3u);
  EXPECT_EQ((*revs)[0].number, 1);
  EXPECT_EQ((*revs)[0].parent_hash, "");
  EXPECT_EQ((*revs)[1].parent_hash, (*revs)[0].hash);
  EXPECT_EQ((*revs)[2].parent_hash, (*revs)[1].hash);
  EXPECT_EQ((*revs)[2].message, "third");
  EXPECT_EQ((*revs)[2].created_at, clock_.WallNow());
  EXPECT_EQ((*revs)[1].created_at, clock_.WallNow() - std::chrono::seconds(1));
  for (const Revision& rev : *revs) EXPECT_EQ(ComputeRevisionHash(rev), rev.hash);
  EXPECT_TRUE(store->VerifyChain().ok());
  auto head = store->Head();
  ASSERT_TRUE(head.ok() && head->has_value());
  EXPECT_EQ((*head)->number, 3);
  auto second = store->GetRevision(2);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->spec_json, R"({"v":2})");
}

TEST_F(SqliteStoreTest, ExpectHeadConflictLeavesHeadUnchanged) {
  auto store = Open();
  AppendThree(store.get());
  NewRevision stale = Rev(R"({"v":4})", "stale");
  stale.expect_head = 2;
  auto result = store->AppendRevision(stale);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kConflict);
  EXPECT_EQ(result.error().message, "head is revision 3, expected 2; run plan again");
  EXPECT_EQ((*store->Head())->number, 3);

  stale.expect_head = 3;
  auto ok = store->AppendRevision(stale);
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
  EXPECT_EQ(ok->number, 4);
}

TEST_F(SqliteStoreTest, ExpectHeadZeroMeansEmpty) {
  auto store = Open();
  NewRevision first = Rev("{}", "first");
  first.expect_head = 0;
  ASSERT_TRUE(store->AppendRevision(first).ok());
  auto again = store->AppendRevision(first);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
}

TEST_F(SqliteStoreTest, RollbackOfIsPersisted) {
  auto store = Open();
  AppendThree(store.get());
  NewRevision rollback = Rev(R"({"v":1})", "roll back to 1");
  rollback.rollback_of = 1;
  auto appended = store->AppendRevision(rollback);
  ASSERT_TRUE(appended.ok());
  EXPECT_EQ(appended->rollback_of, 1);
  auto read = store->GetRevision(4);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->rollback_of, 1);
  EXPECT_EQ((*store->GetRevision(3)).rollback_of, std::nullopt);
  EXPECT_TRUE(store->VerifyChain().ok());
}

TEST_F(SqliteStoreTest, RollbackToUnknownRevisionIsRefused) {
  auto store = Open();
  AppendThree(store.get());
  NewRevision rollback = Rev("{}", "bad");
  rollback.rollback_of = 9;
  auto result = store->AppendRevision(rollback);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
  EXPECT_EQ((*store->Head())->number, 3);
}

TEST_F(SqliteStoreTest, SpecHashMustMatchSpecJson) {
  auto store = Open();
  NewRevision rev = Rev("{}", "x");
  rev.spec_hash = Sha256Hex("other");
  auto result = store->AppendRevision(rev);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(SqliteStoreTest, RawUpdateAndDeleteOfRevisionsFail) {
  auto store = Open();
  AppendThree(store.get());
  auto raw = Raw();
  Status update = raw->Exec("UPDATE revisions SET message = 'rewritten' WHERE number = 2");
  ASSERT_FALSE(update.ok());
  EXPECT_EQ(update.error().code, ErrorCode::kIo);
  EXPECT_NE(update.error().message.find("append-only"), std::string::npos);
  Status del = raw->Exec("DELETE FROM revisions WHERE number = 3");
  ASSERT_FALSE(del.ok());
  EXPECT_NE(del.error().message.find("append-only"), std::string::npos);
  EXPECT_EQ((*store->GetRevision(2)).message, "second");
  EXPECT_TRUE(store->VerifyChain().ok());
}

TEST_F(SqliteStoreTest, TamperingIsFoundByVerifyChainNamingTheRevision) {
  {
    auto store = Open();
    AppendThree(store.get());
  }
  {
    auto raw = Raw();
    ASSERT_TRUE(raw->Exec("DROP TRIGGER revisions_no_update").ok());
    ASSERT_TRUE(raw->Exec("UPDATE revisions SET message = 'rewritten' WHERE number = 2").ok());
  }
  auto store = Open();
  Status verified = store->VerifyChain();
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().context, "revision 2");
  EXPECT_NE(verified.error().message.find("revision 2 "), std::string::npos)
      << verified.error().message;
}

TEST_F(SqliteStoreTest, TamperedParentLinkIsFound) {
  auto store = Open();
  AppendThree(store.get());
  auto raw = Raw();
  ASSERT_TRUE(raw->Exec("DROP TRIGGER revisions_no_update").ok());
  ASSERT_TRUE(raw->Exec("UPDATE revisions SET parent_hash = 'x' WHERE number = 3").ok());
  Status verified = store->VerifyChain();
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().context, "revision 3");
}

TEST_F(SqliteStoreTest, ReopeningKeepsEverything) {
  {
    auto store = Open();
    AppendThree(store.get());
    ASSERT_TRUE(store->AppendAudit({0, clock_.WallNow(), "ana", "apply", "revision 3", "ok"}).ok());
    ASSERT_TRUE(store->PutMeta("failed/web", "3").ok());
    InstanceRecord inst;
    inst.id = "web-1";
    inst.service = "web";
    inst.revision = 3;
    ASSERT_TRUE(store->PutInstance(inst).ok());
  }
  auto store = Open();
  EXPECT_EQ((*store->Head())->number, 3);
  EXPECT_TRUE(store->VerifyChain().ok());
  EXPECT_EQ(store->ListAudit(10)->size(), 1u);
  EXPECT_EQ(*store->GetMeta("failed/web"), std::optional<std::string>("3"));
  EXPECT_EQ(store->ListInstances()->size(), 1u);
  auto next = store->AppendRevision(Rev("{}", "fourth"));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->number, 4);
  EXPECT_TRUE(store->VerifyChain().ok());
}

TEST_F(SqliteStoreTest, SecondOpenRefusedWhileFirstIsAlive) {
  auto first = Open();
  auto second = OpenSqliteStore(tmp_.path(), &clock_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(second.error().message.find("pid " + std::to_string(getpid())), std::string::npos);
  EXPECT_NE(second.error().message.find(tmp_.path()), std::string::npos);
  first.reset();
  auto third = OpenSqliteStore(tmp_.path(), &clock_);
  EXPECT_TRUE(third.ok());
}

TEST_F(SqliteStoreTest, CreatesMissingDataDir) {
  std::string dir = tmp_.path() + "/nested/data";
  auto store = OpenSqliteStore(dir, &clock_);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_TRUE(std::filesystem::exists(dir + "/state.db"));
}

TEST_F(SqliteStoreTest, UsesWalAndSchemaVersion) {
  auto store = Open();
  auto raw = Raw();
  EXPECT_EQ(*raw->QueryInt64("PRAGMA user_version"), kSchemaVersion);
  auto mode = raw->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  ASSERT_TRUE(*mode->Step());
  EXPECT_EQ(mode->ColumnText(0), "wal");
}

TEST_F(SqliteStoreTest, NewerSchemaIsRefused) {
  { auto store = Open(); }
  ASSERT_TRUE(Raw()->Exec("PRAGMA user_version = 99").ok());
  auto store = OpenSqliteStore(tmp_.path(), &clock_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, ErrorCode::kUnavailable);
}

TEST_F(SqliteStoreTest, AuditIsListedNewestFirstWithLimit) {
  auto store = Open();
  for (const char* action : {"apply", "rollback", "server.start"}) {
    AuditRecord rec;
    rec.actor = "ana";
    rec.action = action;
    rec.target = "revision 1";
    rec.result = "ok";
    ASSERT_TRUE(store->AppendAudit(rec).ok());
    clock_.Advance(std::chrono::seconds(1));
  }
  auto all = store->ListAudit(0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].action, "server.start");
  EXPECT_EQ((*all)[2].action, "apply");
  EXPECT_GT((*all)[0].id, (*all)[1].id);
  // Records appended without a time are stamped by the store's clock.
  EXPECT_EQ((*all)[2].at, clock_.WallNow() - std::chrono::seconds(3));
  auto two = store->ListAudit(2);
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[1].action, "rollback");
}

TEST_F(SqliteStoreTest, InstancesRoundTrip) {
  auto store = Open();
  InstanceRecord a;
  a.id = "web-aa";
  a.service = "web";
  a.revision = 2;
  a.template_hash = Sha256Hex("t");
  a.pid = 4242;
  a.start_ticks = 123456789012ULL;
  a.port = 31001;
  a.log_path = "/var/log/cairn/web-aa.log";
  a.started_at = FromUnixMillis(1'800'000'000'456);
  InstanceRecord b = a;
  b.id = "api-bb";
  b.service = "api";
  ASSERT_TRUE(store->PutInstance(a).ok());
  ASSERT_TRUE(store->PutInstance(b).ok());
  a.pid = 5000;  // replace by id
  ASSERT_TRUE(store->PutInstance(a).ok());

  auto list = store->ListInstances();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  const InstanceRecord& got = (*list)[1];  // ordered by service: api, web
  EXPECT_EQ(got.id, "web-aa");
  EXPECT_EQ(got.service, "web");
  EXPECT_EQ(got.revision, 2);
  EXPECT_EQ(got.template_hash, a.template_hash);
  EXPECT_EQ(got.pid, 5000);
  EXPECT_EQ(got.start_ticks, 123456789012ULL);
  EXPECT_EQ(got.port, 31001);
  EXPECT_EQ(got.log_path, a.log_path);
  EXPECT_EQ(got.started_at, a.started_at);

  ASSERT_TRUE(store->DeleteInstance("web-aa").ok());
  ASSERT_TRUE(store->DeleteInstance("never-existed").ok());
  list = store->ListInstances();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, "api-bb");
}

TEST_F(SqliteStoreTest, MetaPutGetDelete) {
  auto store = Open();
  EXPECT_EQ(*store->GetMeta("k"), std::nullopt);
  ASSERT_TRUE(store->PutMeta("k", "1").ok());
  ASSERT_TRUE(store->PutMeta("k", "2").ok());
  EXPECT_EQ(*store->GetMeta("k"), std::optional<std::string>("2"));
  ASSERT_TRUE(store->DeleteMeta("k").ok());
  EXPECT_EQ(*store->GetMeta("k"), std::nullopt);
}

}  // namespace
}  // namespace cairn::state
