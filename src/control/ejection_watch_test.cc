#include "control/ejection_watch.h"

#include <gtest/gtest.h>

namespace cairn::control {
namespace {

router::RouterStats WithEjections(std::map<std::string, uint64_t> by_instance) {
  router::RouterStats stats;
  for (const auto& [id, n] : by_instance) {
    stats.backends[{"web", "revision 2", id}].ejections = n;
  }
  return stats;
}

TEST(EjectionWatchTest, ReportsOnlyWhatGrewSinceTheLastLook) {
  EjectionWatch watch;
  EXPECT_TRUE(watch.Observe(WithEjections({{"web-1", 0}, {"web-2", 0}})).empty());

  auto first = watch.Observe(WithEjections({{"web-1", 2}, {"web-2", 0}}));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].instance, "web-1");
  EXPECT_EQ(first[0].service, "web");
  EXPECT_EQ(first[0].version, "revision 2");
  EXPECT_EQ(first[0].count, 2u) << "both workers ejected it";
  EXPECT_EQ(first[0].total, 2u);

  EXPECT_TRUE(watch.Observe(WithEjections({{"web-1", 2}, {"web-2", 0}})).empty());

  auto again = watch.Observe(WithEjections({{"web-1", 3}, {"web-2", 0}}));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].count, 1u);
  EXPECT_EQ(again[0].total, 3u);
}

TEST(EjectionWatchTest, AnInstanceSeenFirstWithEjectionsIsReported) {
  EjectionWatch watch;
  auto seen = watch.Observe(WithEjections({{"web-3", 1}}));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].count, 1u);
}

TEST(EjectionWatchTest, ForgetsInstancesThatLeftAndStartsOverWhenCountsGoDown) {
  EjectionWatch watch;
  (void)watch.Observe(WithEjections({{"web-1", 4}}));
  (void)watch.Observe(WithEjections({}));
  auto back = watch.Observe(WithEjections({{"web-1", 4}}));
  ASSERT_EQ(back.size(), 1u) << "forgotten when it left the stats";

  auto reset = watch.Observe(WithEjections({{"web-1", 1}}));
  ASSERT_EQ(reset.size(), 1u) << "a count that went down is a new router counting from zero";
  EXPECT_EQ(reset[0].count, 1u);
}

TEST(EjectionWatchTest, SumsAnInstanceAcrossVersions) {
  router::RouterStats stats;
  stats.backends[{"web", "revision 1", "web-1"}].ejections = 1;
  stats.backends[{"web", "revision 2", "web-1"}].ejections = 2;
  EjectionWatch watch;
  auto seen = watch.Observe(stats);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].total, 3u);
}

}  // namespace
}  // namespace cairn::control
