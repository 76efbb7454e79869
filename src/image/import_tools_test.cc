// Import and export against the real tools: layouts and archives skopeo and umoci write are
// imported to the same image, and what cairn exports they read back. Skipped (with the reason)
// only when a tool is not installed (scripts/install-deps installs both).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/require_tool_for_test.h"
#include "image/import_testing.h"
#include "image/rootfs_cache.h"
#include "image/store.h"

namespace cairn::image {
namespace {

using testing::OnPath;
using testing::ReadFile;
using testing::RunTool;
using testing::TempDir;
using testing::WriteFile;

#define REQUIRE_TOOL(tool)         \
  CAIRN_REQUIRE_TOOL(OnPath(tool), \
                     std::string(tool) + " is not installed (scripts/install-deps installs it)")

class ImportToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(tmp_ / "src/srv/hello.txt", "hello from cairn\n");
    WriteFile(tmp_ / "src/bin/app", "#!/bin/sh\necho hi\n", 0755);
    source_ = Open("source");
    auto d = source_->Build(tmp_ / "src", BuildOptions{.tag = "web:1", .entrypoint = {"/bin/app"}});
    ASSERT_TRUE(d.ok()) << d.error().ToString();
    digest_ = *d;
    auto details = source_->Inspect("web:1");
    ASSERT_TRUE(details.ok());
    built_ = *details;
    target_ = Open("target");
  }
  std::unique_ptr<ImageStore> Open(const std::string& name) {
    auto store = ImageStore::Open(StoreOptions{.root = tmp_ / name});
    EXPECT_TRUE(store.ok());
    return store.ok() ? std::move(*store) : nullptr;
  }
  void Skopeo(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"skopeo", "--insecure-policy"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto [rc, out] = RunTool(argv);
    ASSERT_EQ(rc, 0) << out;
  }
  // The imported image has the built image's config and diff_ids, and unpacks (with cairn's own
  // RootfsCache) to the same files.
  void ExpectSameImage(const std::string& reference) {
    auto got = target_->Inspect(reference);
    ASSERT_TRUE(got.ok()) << got.error().ToString();
    EXPECT_EQ(got->config.diff_ids, built_.config.diff_ids);
    EXPECT_EQ(got->config.entrypoint, built_.config.entrypoint);
    std::vector<RootfsLayer> layers;
    for (const Descriptor& l : got->manifest.layers) {
      auto path = target_->LayerPath(l);
      ASSERT_TRUE(path.ok());
      layers.push_back({*path, l.media_type, l.digest});
    }
    RootfsCache cache(RootfsCacheOptions{.dir = tmp_ / "rootfs", .sync = false});
    auto tree = cache.Prepare(got->digest, layers);
    ASSERT_TRUE(tree.ok()) << tree.error().ToString();
    EXPECT_EQ(ReadFile(*tree + "/srv/hello.txt"), "hello from cairn\n");
    EXPECT_EQ(ReadFile(*tree + "/bin/app"), "#!/bin/sh\necho hi\n");
    EXPECT_TRUE(target_->Verify()->ok());
  }

  TempDir tmp_;
  std::unique_ptr<ImageStore> source_, target_;
  std::string digest_;
  ImageDetails built_;
};

TEST_F(ImportToolsTest, ImportsAnOciLayoutSkopeoWrote) {
  REQUIRE_TOOL("skopeo");
  Skopeo({"copy", "oci:" + source_->root() + ":web:1", "oci:" + (tmp_ / "layout") + ":v1"});
  // skopeo names the image "v1" only: a tag without a repository needs --tag.
  auto bare = target_->Import(tmp_ / "layout");
  ASSERT_FALSE(bare.ok());
  EXPECT_NE(bare.error().message.find("--tag"), std::string::npos);
  auto r = target_->Import(tmp_ / "layout", ImportOptions{.tag = "web:copied"});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->format, "oci-layout");
  EXPECT_EQ(r->tags.at("web:copied"), digest_);  // skopeo copied the manifest unchanged
  ExpectSameImage("web:copied");
}

TEST_F(ImportToolsTest, ImportsAnOciArchiveSkopeoWrote) {
  REQUIRE_TOOL("skopeo");
  Skopeo({"copy", "oci:" + source_->root() + ":web:1",
          "oci-archive:" + (tmp_ / "image.tar") + ":web:1"});
  auto r = target_->Import(tmp_ / "image.tar");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->format, "oci-archive");
  EXPECT_EQ(r->tags.at("web:1"), digest_);
  ExpectSameImage("web:1");
}

TEST_F(ImportToolsTest, ImportsADockerArchiveSkopeoWrote) {
  REQUIRE_TOOL("skopeo");
  Skopeo({"copy", "oci:" + source_->root() + ":web:1",
          "docker-archive:" + (tmp_ / "docker.tar") + ":web:2"});
  auto r = target_->Import(tmp_ / "docker.tar");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->format, "docker-archive");
  ASSERT_EQ(r->tags.size(), 1u);
  // skopeo writes "docker.io/library/web:2"; cairn keeps the short form docker would show.
  const std::string tag = r->tags.begin()->first;
  EXPECT_EQ(tag, "web:2");
  auto got = target_->Inspect(tag);
  ASSERT_TRUE(got.ok());
  // Docker archives hold uncompressed layers; cairn keeps them so (digest == diff_id).
  ASSERT_EQ(got->manifest.layers.size(), 1u);
  EXPECT_EQ(got->manifest.layers[0].media_type, kMediaTypeLayerTar);
  EXPECT_EQ(got->manifest.layers[0].digest, built_.config.diff_ids[0]);
  ExpectSameImage(tag);
}

TEST_F(ImportToolsTest, ImportsALayoutUmociRepacked) {
  REQUIRE_TOOL("umoci");
  ASSERT_TRUE(source_->Export("web:1", tmp_ / "umoci").ok());
  auto [rc, out] = RunTool(
      {"umoci", "unpack", "--rootless", "--image", (tmp_ / "umoci") + ":web:1", tmp_ / "bundle"});
  ASSERT_EQ(rc, 0) << out;
  WriteFile(tmp_ / "bundle/rootfs/srv/added.txt", "added by umoci\n");
  std::tie(rc, out) =
      RunTool({"umoci", "repack", "--image", (tmp_ / "umoci") + ":web:2", tmp_ / "bundle"});
  ASSERT_EQ(rc, 0) << out;
  auto r = target_->Import(tmp_ / "umoci", ImportOptions{.source_ref = "web:2"});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->tags.size(), 1u);
  auto got = target_->Inspect("web:2");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->manifest.layers.size(), 2u);
  EXPECT_EQ(got->config.diff_ids[0], built_.config.diff_ids[0]);
  std::vector<RootfsLayer> layers;
  for (const Descriptor& l : got->manifest.layers) {
    layers.push_back({*target_->LayerPath(l), l.media_type, l.digest});
  }
  RootfsCache cache(RootfsCacheOptions{.dir = tmp_ / "rootfs", .sync = false});
  auto tree = cache.Prepare(got->digest, layers);
  ASSERT_TRUE(tree.ok()) << tree.error().ToString();
  EXPECT_EQ(ReadFile(*tree + "/srv/added.txt"), "added by umoci\n");
  EXPECT_EQ(ReadFile(*tree + "/srv/hello.txt"), "hello from cairn\n");
}

TEST_F(ImportToolsTest, SkopeoAndUmociReadAnExportedLayout) {
  REQUIRE_TOOL("skopeo");
  REQUIRE_TOOL("umoci");
  ASSERT_TRUE(source_->Export("web:1", tmp_ / "out").ok());
  auto [rc, out] = RunTool({"skopeo", "inspect", "oci:" + (tmp_ / "out") + ":web:1"});
  ASSERT_EQ(rc, 0) << out;
  auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  EXPECT_EQ(j["Digest"], digest_);
  std::tie(rc, out) = RunTool(
      {"umoci", "unpack", "--rootless", "--image", (tmp_ / "out") + ":web:1", tmp_ / "bundle"});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(ReadFile(tmp_ / "bundle/rootfs/srv/hello.txt"), "hello from cairn\n");
}

TEST_F(ImportToolsTest, SkopeoReadsAnExportedArchive) {
  REQUIRE_TOOL("skopeo");
  ASSERT_TRUE(
      source_->Export("web:1", tmp_ / "out.tar", ExportOptions{.format = ExportFormat::kOciArchive})
          .ok());
  auto [rc, out] = RunTool({"skopeo", "inspect", "oci-archive:" + (tmp_ / "out.tar") + ":web:1"});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find(digest_), std::string::npos) << out;
  // And copies it whole, re-checking every digest.
  Skopeo({"copy", "oci-archive:" + (tmp_ / "out.tar") + ":web:1", "oci:" + (tmp_ / "copy") + ":x"});
}

}  // namespace
}  // namespace cairn::image
