#include "image/safe_path.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <climits>

namespace cairn::image::unpack_internal {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(SplitLayerPathTest, DropsDotsEmptyPartsAndTrailingSlash) {
  EXPECT_THAT(*SplitLayerPath("./usr//bin/./sh"), ElementsAre("usr", "bin", "sh"));
  EXPECT_THAT(*SplitLayerPath("etc/"), ElementsAre("etc"));
  EXPECT_THAT(*SplitLayerPath("./"), IsEmpty());
}

TEST(SplitLayerPathTest, ReadsLeadingSlashAsRelativeToTheRoot) {
  EXPECT_THAT(*SplitLayerPath("/etc/passwd"), ElementsAre("etc", "passwd"));
  EXPECT_THAT(*SplitLayerPath("//etc"), ElementsAre("etc"));
}

TEST(SplitLayerPathTest, RefusesAnyDotDotComponent) {
  for (const char* name : {"../x", "a/../../x", "a/../b", "..", "/../etc/passwd", "a/.."}) {
    Result<std::vector<std::string>> r = SplitLayerPath(name);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(r.error().message, HasSubstr("'..'"));
  }
  // Names that merely start with dots are ordinary names.
  EXPECT_THAT(*SplitLayerPath("a/..b/...c"), ElementsAre("a", "..b", "...c"));
}

TEST(SplitLayerPathTest, RefusesOverlongNamesAndComponents) {
  Result<std::vector<std::string>> long_part =
      SplitLayerPath("a/" + std::string(NAME_MAX + 1, 'x'));
  ASSERT_FALSE(long_part.ok());
  EXPECT_THAT(long_part.error().message, HasSubstr("NAME_MAX"));
  EXPECT_TRUE(SplitLayerPath(std::string(NAME_MAX, 'x')).ok());

  std::string deep;
  while (deep.size() < PATH_MAX) deep += "abcdefgh/";
  Result<std::vector<std::string>> long_path = SplitLayerPath(deep);
  ASSERT_FALSE(long_path.ok());
  EXPECT_THAT(long_path.error().message, HasSubstr("PATH_MAX"));
}

TEST(JoinLayerPathTest, JoinsWithSlashesAndNamesTheRootDot) {
  EXPECT_EQ(JoinLayerPath({"a", "b"}), "a/b");
  EXPECT_EQ(JoinLayerPath({}), ".");
}

}  // namespace
}  // namespace cairn::image::unpack_internal
