#include "state/sqlite_db.h"

#include <gtest/gtest.h>

#include "state/temp_dir_for_test.h"

namespace cairn::state {
namespace {

TEST(SqliteDb, ErrorsAreIoValuesWithSqliteMessage) {
  TempDirForTest tmp;
  auto db = SqliteDb::Open(tmp.path() + "/t.db");
  ASSERT_TRUE(db.ok());
  Status bad = (*db)->Exec("SELEC nonsense");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kIo);
  EXPECT_NE(bad.error().message.find("syntax error"), std::string::npos);

  auto stmt = (*db)->Prepare("SELECT * FROM missing_table");
  ASSERT_FALSE(stmt.ok());
  EXPECT_EQ(stmt.error().code, ErrorCode::kIo);
  EXPECT_NE(stmt.error().message.find("no such table"), std::string::npos);
}

TEST(SqliteDb, OpenFailureIsAnIoValue) {
  auto db = SqliteDb::Open("/nonexistent-dir-for-cairn/x/y.db");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, ErrorCode::kIo);
}

TEST(SqliteDb, BindsAndReadsTextWithEmbeddedNul) {
  TempDirForTest tmp;
  auto db = SqliteDb::Open(tmp.path() + "/t.db");
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Exec("CREATE TABLE t (v TEXT, n INTEGER)").ok());
  std::string value("a\0b", 3);
  auto insert = (*db)->Prepare("INSERT INTO t VALUES (?, ?)");
  ASSERT_TRUE(insert.ok());
  insert->BindText(1, value).BindNull(2);
  ASSERT_TRUE(insert->Run().ok());
  auto select = (*db)->Prepare("SELECT v, n FROM t");
  ASSERT_TRUE(select.ok());
  auto row = select->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(select->ColumnText(0), value);
  EXPECT_EQ(select->ColumnOptionalInt64(1), std::nullopt);
}

TEST(SqliteDb, BindErrorSurfacesAtStep) {
  TempDirForTest tmp;
  auto db = SqliteDb::Open(tmp.path() + "/t.db");
  ASSERT_TRUE(db.ok());
  auto stmt = (*db)->Prepare("SELECT ?");
  ASSERT_TRUE(stmt.ok());
  stmt->BindInt64(5, 1);  // out of range
  auto row = stmt->Step();
  ASSERT_FALSE(row.ok());
  EXPECT_EQ(row.error().code, ErrorCode::kIo);
}

TEST(SqliteTransaction, RollsBackUnlessCommitted) {
  TempDirForTest tmp;
  auto db = SqliteDb::Open(tmp.path() + "/t.db");
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Exec("CREATE TABLE t (v INTEGER)").ok());
  {
    auto txn = SqliteTransaction::Begin(db->get());
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*db)->Exec("INSERT INTO t VALUES (1)").ok());
  }
  EXPECT_EQ(*(*db)->QueryInt64("SELECT count(*) FROM t"), 0);
  {
    auto txn = SqliteTransaction::Begin(db->get());
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*db)->Exec("INSERT INTO t VALUES (1)").ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  EXPECT_EQ(*(*db)->QueryInt64("SELECT count(*) FROM t"), 1);
}

}  // namespace
}  // namespace cairn::state
