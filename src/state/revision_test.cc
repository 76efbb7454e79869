#include "state/revision.h"

#include <gtest/gtest.h>

#include "core/sha256.h"

namespace cairn::state {
namespace {

Revision Sample() {
  Revision rev;
  rev.number = 2;
  rev.parent_hash = Sha256Hex("parent");
  rev.author = "ana";
  rev.message = "bump web";
  rev.created_at = FromUnixMillis(1'800'000'000'123);
  rev.spec_json = R"({"environment":"prod"})";
  rev.spec_hash = Sha256Hex(rev.spec_json);
  return rev;
}

TEST(RevisionHash, IsStableAndIgnoresTheHashField) {
  Revision rev = Sample();
  std::string hash = ComputeRevisionHash(rev);
  EXPECT_EQ(hash.size(), 64u);
  rev.hash = "anything";
  EXPECT_EQ(ComputeRevisionHash(rev), hash);
}

TEST(RevisionHash, ChangesWithEveryField) {
  const std::string base = ComputeRevisionHash(Sample());
  auto differs = [&](auto mutate) {
    Revision rev = Sample();
    mutate(rev);
    return ComputeRevisionHash(rev) != base;
  };
  EXPECT_TRUE(differs([](Revision& r) { r.number = 3; }));
  EXPECT_TRUE(differs([](Revision& r) { r.parent_hash = ""; }));
  EXPECT_TRUE(differs([](Revision& r) { r.author = "bo"; }));
  EXPECT_TRUE(differs([](Revision& r) { r.message += "!"; }));
  EXPECT_TRUE(differs([](Revision& r) { r.created_at += std::chrono::milliseconds(1); }));
  EXPECT_TRUE(differs([](Revision& r) { r.spec_json = "{}"; }));
  EXPECT_TRUE(differs([](Revision& r) { r.spec_hash = Sha256Hex("{}"); }));
  EXPECT_TRUE(differs([](Revision& r) { r.rollback_of = 1; }));
}

TEST(RevisionHash, FieldBoundariesAreUnambiguous) {
  Revision a = Sample();
  a.author = "ana\nmessage 3:abc";
  a.message = "";
  Revision b = Sample();
  b.author = "ana";
  b.message = "abc";
  EXPECT_NE(ComputeRevisionHash(a), ComputeRevisionHash(b));
  Revision c = Sample();
  c.rollback_of = 0;  // present-but-zero differs from absent
  EXPECT_NE(ComputeRevisionHash(c), ComputeRevisionHash(Sample()));
}

TEST(RevisionHash, AcceptsArbitraryBytes) {
  Revision rev = Sample();
  rev.message = std::string("\xff\xfe\0zero", 7);
  EXPECT_EQ(ComputeRevisionHash(rev).size(), 64u);
}

}  // namespace
}  // namespace cairn::state
