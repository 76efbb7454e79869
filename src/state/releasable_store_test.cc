// A released store has let go of the data dir (a next server opens it) and refuses every call
// with the reason, so the server that handed over can write nothing more.
#include "state/releasable_store.h"

#include <gtest/gtest.h>

#include "state/temp_dir_for_test.h"

namespace cairn::state {
namespace {

TEST(ReleasableStoreTest, ForwardsUntilReleasedThenRefusesWithTheReason) {
  TempDirForTest dir;
  auto opened = OpenSqliteStore(dir.path(), SystemClock::Get());
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  ReleasableStore store(std::move(*opened));
  ASSERT_TRUE(store.PutMeta("k", "v").ok());
  auto v = store.GetMeta("k");
  ASSERT_TRUE(v.ok() && v->has_value());
  EXPECT_EQ(**v, "v");

  EXPECT_FALSE(OpenSqliteStore(dir.path(), SystemClock::Get()).ok()) << "the lock is held";
  store.Release("handed over to pid 42");
  EXPECT_TRUE(store.released());
  auto next = OpenSqliteStore(dir.path(), SystemClock::Get());
  ASSERT_TRUE(next.ok()) << "a next server opens the data dir: " << next.error().ToString();

  Status put = store.PutMeta("k", "w");
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(put.error().message, "handed over to pid 42");
  EXPECT_FALSE(store.AppendEvents({}, 10).ok());
  EXPECT_FALSE(store.Head().ok());
  auto still = (*next)->GetMeta("k");
  ASSERT_TRUE(still.ok() && still->has_value());
  EXPECT_EQ(**still, "v") << "nothing was written after the release";
}

}  // namespace
}  // namespace cairn::state
