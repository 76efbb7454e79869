// Docker archives built by hand, in the shapes docker save, podman save and skopeo write:
// converted to OCI images with their diff_ids checked, tagged from RepoTags or `repositories`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "image/import_testing.h"
#include "image/oci_types.h"
#include "image/store.h"

namespace cairn::image {
namespace {

using nlohmann::json;
using testing::ArchiveFile;
using testing::Digest;
using testing::HostileEntry;
using testing::TempDir;

struct DockerImage {
  std::string tar = testing::BuildHostileLayer({testing::LayerFile("etc/motd", "hi\n")});
  std::string config;
  explicit DockerImage(std::string diff_id = "") {
    if (diff_id.empty()) diff_id = Digest(tar);
    config = json({{"architecture", "amd64"},
                   {"os", "linux"},
                   {"docker_version", "24.0.5"},
                   {"config", {{"Cmd", {"/bin/sh"}}}},
                   {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id}}}}})
                 .dump();
  }
  std::string ConfigName() const { return Sha256Hex(config) + ".json"; }
  std::string Manifest(json repo_tags, std::string layer = "abc/layer.tar") const {
    return json::array({{{"Config", ConfigName()}, {"RepoTags", repo_tags}, {"Layers", {layer}}}})
        .dump();
  }
};

class DockerArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = ImageStore::Open(StoreOptions{.root = tmp_ / "store"});
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    store_ = std::move(*store);
  }
  Result<ImportReport> Import(const std::vector<HostileEntry>& entries) {
    const std::string path = tmp_ / ("docker-" + std::to_string(++n_) + ".tar");
    testing::WriteArchive(path, entries);
    return store_->Import(path);
  }
  Error ImportFails(const std::vector<HostileEntry>& entries) {
    auto r = Import(entries);
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(store_->List()->empty());
    return r.ok() ? Error{} : r.error();
  }

  TempDir tmp_;
  std::unique_ptr<ImageStore> store_;
  int n_ = 0;
};

TEST_F(DockerArchiveTest, ConvertsToAnOciImageWithTheSameConfigAndLayer) {
  DockerImage img;
  auto r = Import(
      {ArchiveFile("abc/layer.tar", img.tar), ArchiveFile("abc/VERSION", "1.0"),
       ArchiveFile(img.ConfigName(), img.config),
       ArchiveFile("manifest.json", img.Manifest({"web:3", "docker.io/library/web:latest"}))});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->format, "docker-archive");
  ASSERT_EQ(r->tags.size(), 2u);
  auto details = store_->Inspect("web:3");
  ASSERT_TRUE(details.ok()) << details.error().ToString();
  EXPECT_EQ(details->tags, (std::vector<std::string>{"web:3", "web:latest"}));
  // The config is kept byte for byte (its digest is Docker's image ID); the layer is stored
  // uncompressed, so its digest is its diff_id.
  EXPECT_EQ(details->manifest.config.digest, Digest(img.config));
  ASSERT_EQ(details->manifest.layers.size(), 1u);
  EXPECT_EQ(details->manifest.layers[0].media_type, kMediaTypeLayerTar);
  EXPECT_EQ(details->manifest.layers[0].digest, Digest(img.tar));
  EXPECT_EQ(details->config.cmd, std::vector<std::string>{"/bin/sh"});
  auto verify = store_->Verify("web:3");
  ASSERT_TRUE(verify.ok());
  EXPECT_TRUE(verify->ok());
}

TEST_F(DockerArchiveTest, GzipLayersKeepTheirCompression) {
  DockerImage img;
  std::string gz =
      testing::BuildHostileLayer({testing::LayerFile("etc/motd", "hi\n")}, LayerCompression::kGzip);
  auto r = Import({ArchiveFile("abc/layer.tar", gz), ArchiveFile(img.ConfigName(), img.config),
                   ArchiveFile("manifest.json", img.Manifest({"web:gz"}))});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  auto details = store_->Inspect("web:gz");
  ASSERT_TRUE(details.ok());
  EXPECT_EQ(details->manifest.layers[0].media_type, kMediaTypeLayerGzip);
  EXPECT_EQ(details->manifest.layers[0].digest, Digest(gz));
}

TEST_F(DockerArchiveTest, SymlinkedLayersAndLegacyRepositoriesWork) {
  // docker save links a layer shared by two images; old archives tag through `repositories`.
  DockerImage img;
  auto r = Import({ArchiveFile("aaa/layer.tar", img.tar),
                   testing::LayerSymlink("abc/layer.tar", "../aaa/layer.tar"),
                   ArchiveFile(img.ConfigName(), img.config),
                   ArchiveFile("manifest.json", img.Manifest(nullptr)),
                   ArchiveFile("repositories", R"({"team/web":{"old":"abc"}})")});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(store_->Resolve("team/web:old").ok());
}

TEST_F(DockerArchiveTest, MissingLayerIsRefused) {
  DockerImage img;
  Error e = ImportFails({ArchiveFile(img.ConfigName(), img.config),
                         ArchiveFile("manifest.json", img.Manifest({"web:3"}))});
  EXPECT_EQ(e.code, ErrorCode::kNotFound);
  EXPECT_NE(e.message.find("names layer abc/layer.tar, which the archive does not hold"),
            std::string::npos)
      << e.ToString();
}

TEST_F(DockerArchiveTest, DiffIdMismatchIsRefused) {
  DockerImage img(Digest("another layer"));
  Error e =
      ImportFails({ArchiveFile("abc/layer.tar", img.tar), ArchiveFile(img.ConfigName(), img.config),
                   ArchiveFile("manifest.json", img.Manifest({"web:3"}))});
  EXPECT_NE(e.message.find("uncompresses to " + Digest(img.tar)), std::string::npos)
      << e.ToString();
  EXPECT_NE(e.message.find("diff_ids[0] says " + Digest("another layer")), std::string::npos);
}

TEST_F(DockerArchiveTest, LayerCountMismatchIsRefused) {
  DockerImage img;
  json m = json::parse(img.Manifest({"web:3"}));
  m[0]["Layers"].push_back("abc/layer.tar");
  Error e =
      ImportFails({ArchiveFile("abc/layer.tar", img.tar), ArchiveFile(img.ConfigName(), img.config),
                   ArchiveFile("manifest.json", m.dump())});
  EXPECT_NE(e.message.find("lists 2 layers"), std::string::npos) << e.ToString();
}

TEST_F(DockerArchiveTest, MalformedManifestJsonIsRefused) {
  Error e = ImportFails({ArchiveFile("manifest.json", R"({"Config":"x"})")});
  EXPECT_EQ(e.context, "manifest.json");
}

TEST_F(DockerArchiveTest, UntaggedImageNeedsATag) {
  DockerImage img;
  std::vector<HostileEntry> entries = {ArchiveFile("abc/layer.tar", img.tar),
                                       ArchiveFile(img.ConfigName(), img.config),
                                       ArchiveFile("manifest.json", img.Manifest(nullptr))};
  Error e = ImportFails(entries);
  EXPECT_NE(e.message.find("--tag"), std::string::npos) << e.ToString();
  const std::string path = tmp_ / "untagged.tar";
  testing::WriteArchive(path, entries);
  auto r = store_->Import(path, ImportOptions{.tag = "web:named"});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(store_->Resolve("web:named").ok());
}

}  // namespace
}  // namespace cairn::image
