// Export writes an OCI layout (or archive) that import reads back to the same image, adds to an
// existing layout, and never writes into an unrelated directory.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "image/import_testing.h"
#include "image/store.h"

namespace cairn::image {
namespace {

using nlohmann::json;
using testing::TempDir;
using testing::WriteFile;

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(tmp_ / "src/srv/hello.txt", "hello\n");
    store_ = OpenStore("store");
    auto d = store_->Build(tmp_ / "src", BuildOptions{.tag = "web:1", .cmd = {"/srv/run"}});
    ASSERT_TRUE(d.ok()) << d.error().ToString();
    digest_ = *d;
  }
  std::unique_ptr<ImageStore> OpenStore(const std::string& name) {
    auto store = ImageStore::Open(StoreOptions{.root = tmp_ / name});
    EXPECT_TRUE(store.ok());
    return store.ok() ? std::move(*store) : nullptr;
  }

  TempDir tmp_;
  std::unique_ptr<ImageStore> store_;
  std::string digest_;
};

TEST_F(ExportTest, LayoutRoundTripsThroughImport) {
  auto top = store_->Export("web:1", tmp_ / "out");
  ASSERT_TRUE(top.ok()) << top.error().ToString();
  EXPECT_EQ(top->digest, digest_);
  auto index = json::parse(testing::ReadFile(tmp_ / "out/index.json"));
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "web:1");
  EXPECT_FALSE(std::filesystem::exists(tmp_ / "out/cairn"));  // no store internals leak out
  auto other = OpenStore("other");
  auto r = other->Import(tmp_ / "out");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->format, "oci-layout");
  EXPECT_EQ(r->tags.at("web:1"), digest_);
  EXPECT_TRUE(other->Verify()->ok());
}

TEST_F(ExportTest, ArchiveRoundTripsAndIsReproducible) {
  ExportOptions archive{.format = ExportFormat::kOciArchive};
  ASSERT_TRUE(store_->Export("web:1", tmp_ / "a.tar", archive).ok());
  ASSERT_TRUE(store_->Export("web:1", tmp_ / "b.tar", archive).ok());
  EXPECT_EQ(testing::ReadFile(tmp_ / "a.tar"), testing::ReadFile(tmp_ / "b.tar"));
  auto again = store_->Export("web:1", tmp_ / "a.tar", archive);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  auto other = OpenStore("other");
  auto r = other->Import(tmp_ / "a.tar", ImportOptions{.tag = "copy:1"});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->format, "oci-archive");
  EXPECT_EQ(*other->Resolve("copy:1"), digest_);
}

TEST_F(ExportTest, AddsToAnExistingLayoutAndReplacesTheSameName) {
  WriteFile(tmp_ / "src2/x", "x\n");
  auto d2 = store_->Build(tmp_ / "src2", BuildOptions{.tag = "api:2"});
  ASSERT_TRUE(d2.ok());
  ASSERT_TRUE(store_->Export("web:1", tmp_ / "out").ok());
  ASSERT_TRUE(store_->Export("api:2", tmp_ / "out").ok());
  ASSERT_TRUE(store_->Export(*d2, tmp_ / "out", ExportOptions{.ref_name = "web:1"}).ok());
  auto index = json::parse(testing::ReadFile(tmp_ / "out/index.json"));
  ASSERT_EQ(index["manifests"].size(), 2u);
  for (const json& d : index["manifests"]) EXPECT_EQ(d["digest"], *d2);
}

TEST_F(ExportTest, RefusesANonEmptyDirectoryThatIsNotALayout) {
  WriteFile(tmp_ / "home/notes.txt", "precious\n");
  auto r = store_->Export("web:1", tmp_ / "home");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kAlreadyExists);
  EXPECT_FALSE(std::filesystem::exists(tmp_ / "home/blobs"));
}

TEST_F(ExportTest, UnknownReferenceIsNotFound) {
  auto r = store_->Export("nope:1", tmp_ / "out");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace cairn::image
