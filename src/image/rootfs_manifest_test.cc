#include "image/rootfs_manifest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cairn::image {
namespace {

using ::testing::ElementsAre;

std::vector<TreeEntry> Tree() {
  return {{"", 'd', 0555, 0, "", ""},
          {"bin", 'd', 0555, 0, "", ""},
          {"bin/app", 'f', 0555, 3, "sha256:aa", ""},
          {"bin/sh", 'l', 0, 0, "", "busybox"}};
}

TEST(RootfsManifestTest, TheTextRoundTrips) {
  auto back = ParseManifest(ManifestText(Tree()));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(*back, Tree());
}

TEST(RootfsManifestTest, AMalformedLineIsNamed) {
  auto bad = ParseManifest(ManifestText(Tree()) + "{\"path\": 3}\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().context, "line 5");
}

TEST(RootfsManifestTest, CompareNamesEveryKindOfChangeUpToALimit) {
  std::vector<TreeEntry> now = Tree();
  now[2].digest = "sha256:bb";
  now[3].target = "/bin/evil";
  now[1].mode = 0755;
  now.push_back({"bin/new", 'f', 0644, 1, "sha256:cc", ""});
  EXPECT_THAT(CompareTrees(Tree(), now),
              ElementsAre("changed /bin (mode 0555 -> 0755)", "changed /bin/app (content)",
                          "changed /bin/sh (link busybox -> /bin/evil)", "added /bin/new"));
  EXPECT_THAT(CompareTrees(Tree(), now, 2),
              ElementsAre("changed /bin (mode 0555 -> 0755)", "changed /bin/app (content)",
                          "... and 2 more"));
  std::vector<TreeEntry> gone = Tree();
  gone.pop_back();
  EXPECT_THAT(CompareTrees(Tree(), gone), ElementsAre("removed /bin/sh"));
  EXPECT_TRUE(CompareTrees(Tree(), Tree()).empty());
}

}  // namespace
}  // namespace cairn::image
