#include "router/deadline_list.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace cairn::router {
namespace {

SteadyTime At(int ms) { return SteadyTime(std::chrono::milliseconds(ms)); }

TEST(DeadlineListTest, ExpiresOnlyWhatIsDueAndUnlinksIt) {
  DeadlineList list;
  DeadlineList::Entry a, b, c;
  list.Link(a, nullptr, At(100));
  list.Link(b, nullptr, At(50));
  list.Link(c, nullptr, At(200));
  EXPECT_EQ(list.size(), 3u);
  std::vector<const DeadlineList::Entry*> expired;
  EXPECT_EQ(list.Expire(At(99), [&](DeadlineList::Entry& e) { expired.push_back(&e); }), 1u);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0], &b);
  EXPECT_TRUE(b.fired());
  EXPECT_FALSE(b.linked());
  EXPECT_FALSE(a.fired());
  EXPECT_EQ(list.size(), 2u);
  EXPECT_EQ(list.Expire(At(100), [](DeadlineList::Entry&) {}), 1u);
  EXPECT_TRUE(a.fired());
  EXPECT_EQ(list.Expire(At(1000), [](DeadlineList::Entry&) {}), 1u);
  EXPECT_TRUE(list.empty());
}

TEST(DeadlineListTest, DisarmedEntriesNeverFire) {
  DeadlineList list;
  DeadlineList::Entry a;
  list.Link(a, nullptr, At(10));
  a.Unlink();
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.Expire(At(1000), [](DeadlineList::Entry&) {}), 0u);
  EXPECT_FALSE(a.fired());
}

TEST(DeadlineListTest, RelinkMovesTheDeadlineAndClearsFired) {
  DeadlineList list;
  DeadlineList::Entry a;
  list.Link(a, nullptr, At(10));
  list.Expire(At(10), [](DeadlineList::Entry&) {});
  EXPECT_TRUE(a.fired());
  list.Link(a, nullptr, At(50));
  EXPECT_FALSE(a.fired());
  list.Link(a, nullptr, At(80));  // re-arm while linked: one entry, the later deadline
  EXPECT_EQ(list.size(), 1u);
  EXPECT_EQ(list.Expire(At(60), [](DeadlineList::Entry&) {}), 0u);
  EXPECT_EQ(list.Expire(At(80), [](DeadlineList::Entry&) {}), 1u);
}

TEST(DeadlineListTest, EntriesUnlinkWhenDestroyedAndTheListReleasesTheRest) {
  auto list = std::make_unique<DeadlineList>();
  DeadlineList::Entry kept;
  {
    DeadlineList::Entry gone;
    list->Link(gone, nullptr, At(1));
    list->Link(kept, nullptr, At(1));
    EXPECT_EQ(list->size(), 2u);
  }
  EXPECT_EQ(list->size(), 1u);
  list.reset();  // a worker torn down before its connections: the entry is left unlinked
  EXPECT_FALSE(kept.linked());
}

TEST(DeadlineListTest, ExpireCallbackMayRearmTheExpiredEntry) {
  DeadlineList list;
  DeadlineList::Entry a, b;
  list.Link(a, nullptr, At(5));
  list.Link(b, nullptr, At(5));
  size_t n = list.Expire(At(5), [&](DeadlineList::Entry& e) {
    if (&e == &a) list.Link(a, nullptr, At(500));
  });
  EXPECT_EQ(n, 2u);
  EXPECT_TRUE(a.linked());
  EXPECT_FALSE(b.linked());
}

}  // namespace
}  // namespace cairn::router
