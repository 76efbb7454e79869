#include <gtest/gtest.h>

#include "core/clock.h"
#include "core/ids.h"
#include "core/result.h"
#include "core/sha256.h"

namespace cairn {
namespace {

TEST(Sha256, MatchesKnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, RecognisesDigests) {
  EXPECT_TRUE(IsSha256Digest("sha256:" + Sha256Hex("x")));
  EXPECT_FALSE(IsSha256Digest("sha256:" + Sha256Hex("x").substr(1)));
  EXPECT_FALSE(IsSha256Digest("sha512:" + Sha256Hex("x")));
  EXPECT_FALSE(IsSha256Digest("sha256:" + std::string(64, 'G')));
}

TEST(Result, CarriesValueOrError) {
  Result<int> good = 3;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 3);
  Result<int> bad = MakeError(ErrorCode::kNotFound, "no such revision", "revision 9");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().ToString(), "revision 9: no such revision");
  Status s = OkStatus();
  EXPECT_TRUE(s.ok());
}

TEST(FakeClock, MovesOnlyWhenAdvanced) {
  FakeClock clock;
  auto t0 = clock.Now();
  EXPECT_EQ(clock.Now(), t0);
  clock.Advance(std::chrono::seconds(5));
  EXPECT_EQ(clock.Now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(FormatWallTime(FromUnixMillis(1'800'000'000'123)), "2027-01-15T08:00:00.123Z");
}

TEST(RandomHexId, HasRequestedLengthAndVaries) {
  EXPECT_EQ(RandomHexId(4).size(), 8u);
  EXPECT_NE(RandomHexId(8), RandomHexId(8));
}

}  // namespace
}  // namespace cairn
