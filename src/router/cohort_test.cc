#include "router/cohort.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "router/routing_state.h"
#include "router/routing_test_util.h"

namespace cairn::router {
namespace {

using testing::MakeService;
using testing::MakeTable;

std::vector<std::string> RandomKeys(int n, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) keys.push_back("user-" + std::to_string(gen()));
  return keys;
}

ServiceRoute CohortService(uint32_t canary_bp) {
  ServiceRoute s = MakeService("web", {{"stable", 10000 - canary_bp}, {"canary", canary_bp}});
  s.cohort = {CohortSource::kHeader, "X-User-Id"};
  return s;
}

TEST(CohortTest, BucketIsFixedAcrossRunsAndPlatforms) {
  // Pinned values: changing the hash would move every user to another version on upgrade.
  // Values computed by an independent implementation (Python) of FNV-1a 64 + fmix64.
  EXPECT_EQ(CohortHash(""), 0xefd01f60ba992926ULL);
  EXPECT_EQ(CohortHash("user-42"), 0xa39532c7ab051e8dULL);
  EXPECT_EQ(CohortBucket("user-42"), 1453u);
  EXPECT_EQ(CohortBucket("alice"), 7236u);
  EXPECT_EQ(CohortBucket("\xff\x80 non-ascii"), 5721u);  // bytes, not chars: sign-free
}

TEST(CohortTest, BucketsAreUniform) {
  std::vector<int> deciles(10, 0);
  for (const std::string& key : RandomKeys(100000, 1)) {
    const uint32_t bucket = CohortBucket(key);
    ASSERT_LT(bucket, kCohortBuckets);
    ++deciles[bucket / 1000];
  }
  for (int count : deciles) {
    EXPECT_NEAR(count, 10000, 400);
  }
  // Sequential ids spread too.
  std::vector<int> sequential(10, 0);
  for (int i = 0; i < 100000; ++i) ++sequential[CohortBucket(std::to_string(i)) / 1000];
  for (int count : sequential) EXPECT_NEAR(count, 10000, 400);
}

TEST(CohortTest, NewestVersionOwnsTheLowestBuckets) {
  const ServiceRoute s = MakeService("web", {{"old", 6000}, {"mid", 3000}, {"new", 1000}});
  EXPECT_EQ(CohortVersionIndex(s.versions, 0), 2u);
  EXPECT_EQ(CohortVersionIndex(s.versions, 999), 2u);
  EXPECT_EQ(CohortVersionIndex(s.versions, 1000), 1u);
  EXPECT_EQ(CohortVersionIndex(s.versions, 3999), 1u);
  EXPECT_EQ(CohortVersionIndex(s.versions, 4000), 0u);
  EXPECT_EQ(CohortVersionIndex(s.versions, 9999), 0u);
  const ServiceRoute short_weights = MakeService("web", {{"old", 0}, {"new", 500}});
  EXPECT_EQ(CohortVersionIndex(short_weights.versions, 700), 0u);  // the oldest takes the rest
}

TEST(CohortTest, UsersOnTheCanaryStayOnItAsItsWeightGrows) {
  FakeClock clock;
  RoutingState state({}, &clock, 1);
  const std::vector<std::string> keys = RandomKeys(10000, 2);
  std::set<std::string> admitted;
  uint64_t generation = 1;
  for (uint32_t weight : {500u, 2500u, 5000u}) {
    const RouteTable table = MakeTable(generation++, {CohortService(weight)});
    std::set<std::string> on_canary;
    for (const std::string& key : keys) {
      const VersionRoute* v = state.ChooseVersion(table, table.services[0], key);
      ASSERT_NE(v, nullptr);
      if (v->version == "canary") on_canary.insert(key);
    }
    EXPECT_NEAR(static_cast<double>(on_canary.size()) / keys.size(), weight / 10000.0, 0.01)
        << "at " << weight << " bp";
    for (const std::string& key : admitted) {
      EXPECT_TRUE(on_canary.contains(key)) << key << " left the canary at " << weight << " bp";
    }
    admitted = on_canary;
  }
}

TEST(CohortTest, OneUserAlwaysGetsTheSameVersion) {
  FakeClock clock;
  RoutingState state({}, &clock, 1);
  const RouteTable table = MakeTable(1, {CohortService(5000)});
  for (const std::string& key : RandomKeys(50, 3)) {
    const VersionRoute* first = state.ChooseVersion(table, table.services[0], key);
    for (int i = 0; i < 20; ++i) {
      EXPECT_EQ(state.ChooseVersion(table, table.services[0], key), first);
    }
  }
}

TEST(CohortTest, AnEmptyKeyOrNoCohortPolicyUsesTheWeightedSplit) {
  FakeClock clock;
  RoutingState state({}, &clock, 1);
  const RouteTable with_policy = MakeTable(1, {CohortService(5000)});
  ServiceRoute without = CohortService(5000);
  without.cohort = {};
  const RouteTable no_policy = MakeTable(1, {without});
  for (const RouteTable* table : {&with_policy, &no_policy}) {
    std::string last;
    for (int i = 0; i < 10; ++i) {
      const VersionRoute* v =
          state.ChooseVersion(*table, table->services[0], table == &with_policy ? "" : "bob");
      EXPECT_NE(v->version, last);  // alternates: weighted, not sticky
      last = v->version;
    }
  }
}

TEST(CohortTest, UsersOfAVersionThatCannotServeFallBackByWeightAndStayThere) {
  FakeClock clock;
  RoutingState state({}, &clock, 1);
  ServiceRoute s = MakeService("web", {{"old", 2500}, {"mid", 7000}, {"new", 500, 2, false}});
  s.cohort = {CohortSource::kCookie, "uid"};
  const RouteTable table = MakeTable(1, {s});
  std::map<std::string, int> fallback;
  int moved = 0;
  for (const std::string& key : RandomKeys(10000, 4)) {
    const VersionRoute* v = state.ChooseVersion(table, table.services[0], key);
    ASSERT_NE(v, nullptr);
    ASSERT_NE(v->version, "new");
    if (CohortBucket(key) < 500) {
      ++moved;
      ++fallback[v->version];
      EXPECT_EQ(state.ChooseVersion(table, table.services[0], key), v);  // sticky
    } else {
      // Everyone else keeps their own version.
      EXPECT_EQ(v->version, CohortBucket(key) < 7500 ? "mid" : "old");
    }
  }
  ASSERT_GT(moved, 300);
  EXPECT_NEAR(static_cast<double>(fallback["old"]) / moved, 2500.0 / 9500, 0.08);
}

TEST(CohortTest, IndexByHashSplitsByWeight) {
  const std::vector<uint32_t> weights = {0, 1, 3};
  std::vector<int> counts(3, 0);
  for (uint64_t h = 0; h < 4000; ++h) ++counts[IndexByHash(weights, h)];
  EXPECT_EQ(counts, (std::vector<int>{0, 1000, 3000}));
  const std::vector<uint32_t> none = {0, 0};
  EXPECT_EQ(IndexByHash(none, 5), -1);
}

TEST(CohortTest, CookieValueFindsTheNamedCookieOnly) {
  EXPECT_EQ(CookieValue("a=1; user=u-42; b=2", "user"), "u-42");
  EXPECT_EQ(CookieValue("user=first", "user"), "first");
  EXPECT_EQ(CookieValue("xuser=1; user=2", "user"), "2") << "a longer name is another cookie";
  EXPECT_EQ(CookieValue("a=1;user=3", "user"), "3") << "no space after the semicolon";
  EXPECT_EQ(CookieValue("a=1; b=2", "user"), "");
  EXPECT_EQ(CookieValue("", "user"), "");
  EXPECT_EQ(CookieValue("user", "user"), "") << "a pair without '=' has no value";
}

}  // namespace
}  // namespace cairn::router
