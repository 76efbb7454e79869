#include "image/store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "core/sha256.h"
#include "image/image_test_util.h"

namespace cairn::image {
namespace {

using testing::TempDir;
using testing::WriteFile;

class StoreTest : public ::testing::Test {
 protected:
  StoreTest() { store_ = Open(std::chrono::hours(1), &clock_); }

  // Tag history reads the fake clock; gc compares real file mtimes, so gc tests pass nullptr
  // (the system clock).
  std::unique_ptr<ImageStore> Open(std::chrono::seconds grace, const Clock* clock) {
    auto s =
        ImageStore::Open(StoreOptions{.root = tmp_ / "store", .gc_grace = grace, .clock = clock});
    EXPECT_TRUE(s.ok()) << s.error().ToString();
    return std::move(*s);
  }

  // A one-layer image from a tree holding one file with `content`; returns the manifest digest.
  std::string BuildImage(const std::string& content, const std::string& tag = "") {
    std::string src = tmp_ / ("src-" + Sha256Hex(content).substr(0, 8));
    WriteFile(src + "/hello.txt", content);
    auto d = store_->Build(src, BuildOptions{.tag = tag});
    EXPECT_TRUE(d.ok()) << d.error().ToString();
    return d.ok() ? *d : "";
  }

  std::set<std::string> BlobsOf(const std::string& digest) {
    auto info = store_->Inspect(digest);
    EXPECT_TRUE(info.ok());
    std::set<std::string> out = {digest, info->manifest.config.digest};
    for (const Descriptor& l : info->manifest.layers) out.insert(l.digest);
    return out;
  }

  std::string BlobPath(const std::string& digest) {
    return tmp_ / ("store/blobs/sha256/" + digest.substr(7));
  }

  TempDir tmp_;
  FakeClock clock_;
  std::unique_ptr<ImageStore> store_;
};

TEST_F(StoreTest, OpenCreatesAnOciLayout) {
  EXPECT_EQ(testing::ReadFile(tmp_ / "store/oci-layout"), R"({"imageLayoutVersion":"1.0.0"})");
  auto index = ParseIndex(testing::ReadFile(tmp_ / "store/index.json"));
  ASSERT_TRUE(index.ok());
  EXPECT_TRUE(index->manifests.empty());
  // Reopening an existing store is fine; a directory with a foreign oci-layout is refused.
  EXPECT_TRUE(ImageStore::Open(StoreOptions{.root = tmp_ / "store"}).ok());
  WriteFile(tmp_ / "other/oci-layout", R"({"imageLayoutVersion":"9"})");
  EXPECT_FALSE(ImageStore::Open(StoreOptions{.root = tmp_ / "other"}).ok());
}

TEST_F(StoreTest, TagsPointAtOneManifestAndKeepTheirHistory) {
  std::string v1 = BuildImage("one", "web:1");
  std::string v2 = BuildImage("two");
  auto r = store_->Resolve("web:1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, v1);

  clock_.Advance(std::chrono::minutes(5));
  ASSERT_TRUE(store_->Tag("web:1", v2).ok());
  EXPECT_EQ(*store_->Resolve("web:1"), v2);
  ASSERT_TRUE(store_->Tag("web", v1).ok());  // web:latest
  EXPECT_EQ(*store_->Resolve("web:latest"), v1);
  EXPECT_EQ(*store_->Resolve("web@" + v2), v2);
  EXPECT_EQ(*store_->Resolve(v1), v1);

  // index.json: one descriptor per tag, named by the ref.name annotation.
  auto index = ParseIndex(testing::ReadFile(tmp_ / "store/index.json"));
  ASSERT_TRUE(index.ok());
  ASSERT_EQ(index->manifests.size(), 2u);
  EXPECT_EQ(index->manifests[0].annotations.at(std::string(kAnnotationRefName)), "web:1");
  EXPECT_EQ(index->manifests[0].digest, v2);

  clock_.Advance(std::chrono::minutes(5));
  ASSERT_TRUE(store_->Untag("web:1").ok());
  EXPECT_EQ(store_->Resolve("web:1").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->Untag("web:1").error().code, ErrorCode::kNotFound);

  auto history = store_->TagHistory("web:1");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[0].digest, v1);
  EXPECT_EQ((*history)[1].digest, v2);
  EXPECT_EQ((*history)[2].digest, "");  // removed
  EXPECT_LT((*history)[0].at, (*history)[1].at);
  EXPECT_LT((*history)[1].at, (*history)[2].at);
}

TEST_F(StoreTest, TaggingRefusesWhatIsNotACompleteManifest) {
  std::string v1 = BuildImage("one");
  auto layer = store_->Inspect(v1)->manifest.layers[0].digest;
  EXPECT_FALSE(store_->Tag("web:1", layer).ok());  // not a manifest
  EXPECT_EQ(store_->Tag("web:1", "sha256:" + std::string(64, '0')).error().code,
            ErrorCode::kNotFound);
  EXPECT_FALSE(store_->Tag("web@" + v1, v1).ok());
  std::filesystem::remove(BlobPath(layer));
  EXPECT_EQ(store_->Tag("web:1", v1).error().code, ErrorCode::kNotFound);
}

TEST_F(StoreTest, ListAndInspectDescribeTaggedImages) {
  std::string v1 = BuildImage("one", "web:1");
  ASSERT_TRUE(store_->Tag("api:2", v1).ok());
  auto list = store_->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].tag, "api:2");
  EXPECT_EQ((*list)[1].tag, "web:1");
  EXPECT_EQ((*list)[1].digest, v1);
  EXPECT_EQ((*list)[1].created, "1970-01-01T00:00:00Z");
  EXPECT_EQ((*list)[1].tagged_at, FormatWallTime(clock_.WallNow()));
  uint64_t on_disk = 0;
  for (const std::string& b : BlobsOf(v1)) on_disk += std::filesystem::file_size(BlobPath(b));
  EXPECT_EQ((*list)[1].size, on_disk);

  auto info = store_->Inspect("web:1");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->tags, (std::vector<std::string>{"api:2", "web:1"}));
  EXPECT_EQ(info->config.os, "linux");
  EXPECT_EQ(info->size, on_disk);
}

TEST_F(StoreTest, PutManifestRefusesAmbiguousOrIncompleteDocuments) {
  std::string v1 = BuildImage("one");
  std::string bytes = *store_->ReadBlob(v1);
  std::string ambiguous = bytes;
  ambiguous.insert(1, R"("manifests":[],)");
  auto r = store_->PutManifest(ambiguous);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("ambiguous"), std::string::npos);
  // A manifest naming a layer that is not in the store.
  Manifest m = *ParseManifest(bytes, "");
  m.layers[0].digest = "sha256:" + std::string(64, 'e');
  EXPECT_EQ(store_->PutManifest(*SerializeManifest(m)).error().code, ErrorCode::kNotFound);
}

TEST_F(StoreTest, VerifyNamesCorruptAndMissingBlobs) {
  std::string v1 = BuildImage("one", "web:1");
  std::string v2 = BuildImage("two", "web:2");
  auto clean = store_->Verify();
  ASSERT_TRUE(clean.ok());
  EXPECT_TRUE(clean->ok());
  EXPECT_EQ(clean->blobs_checked, 6u);

  std::string layer1 = store_->Inspect(v1)->manifest.layers[0].digest;
  std::string config2 = store_->Inspect(v2)->manifest.config.digest;
  // Same size, different bytes: only a re-hash notices.
  std::string content = testing::ReadFile(BlobPath(layer1));
  content[content.size() / 2] ^= 0x55;
  WriteFile(BlobPath(layer1), content);
  std::filesystem::remove(BlobPath(config2));

  auto report = store_->Verify();
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->problems.size(), 2u);
  std::map<std::string, BlobProblem> by_digest;
  for (const BlobProblem& p : report->problems) by_digest[p.digest] = p;
  EXPECT_EQ(by_digest[layer1].path, BlobPath(layer1));
  EXPECT_NE(by_digest[layer1].problem.find("corrupt"), std::string::npos);
  EXPECT_EQ(by_digest[config2].problem, "missing");
  EXPECT_EQ(by_digest[config2].path, BlobPath(config2));

  // Verifying one reference looks at its blobs only.
  auto only1 = store_->Verify("web:1");
  ASSERT_TRUE(only1.ok());
  ASSERT_EQ(only1->problems.size(), 1u);
  EXPECT_EQ(only1->problems[0].digest, layer1);
  EXPECT_EQ(only1->blobs_checked, 3u);
}

TEST_F(StoreTest, GcKeepsTaggedAndRootedImagesAndRemovesTheRest) {
  std::string tagged = BuildImage("tagged", "web:1");
  std::string rooted = BuildImage("rooted");
  std::string garbage = BuildImage("garbage");
  auto stray = store_->PutBlob("a stray blob");
  ASSERT_TRUE(stray.ok());
  // The garbage image's layer and config are its own (different content), so all of it goes.
  std::set<std::string> expected = BlobsOf(garbage);
  expected.insert(stray->digest);

  // Everything is young: nothing goes while inside the grace period.
  auto young = Open(std::chrono::hours(1), nullptr)->Gc({rooted});
  ASSERT_TRUE(young.ok()) << young.error().ToString();
  EXPECT_TRUE(young->removed.empty());
  EXPECT_EQ(young->spared_young, 3u + 1u);

  auto now_store = Open(std::chrono::seconds(0), nullptr);
  auto report = now_store->Gc({rooted});
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  std::set<std::string> removed;
  uint64_t bytes = 0;
  for (const BlobInfo& b : report->removed) {
    removed.insert(b.digest);
    bytes += b.size;
  }
  EXPECT_EQ(removed, expected);
  EXPECT_EQ(report->bytes_freed, bytes);
  EXPECT_EQ(report->kept, 6u);
  for (const std::string& b : BlobsOf(tagged)) EXPECT_TRUE(std::filesystem::exists(BlobPath(b)));
  for (const std::string& b : BlobsOf(rooted)) EXPECT_TRUE(std::filesystem::exists(BlobPath(b)));
  EXPECT_TRUE(now_store->Verify()->ok());

  // Untagged, unrooted: gone on the next pass.
  ASSERT_TRUE(now_store->Untag("web:1").ok());
  auto second = now_store->Gc({});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->removed.size(), 6u);
  EXPECT_EQ(testing::CountFiles(tmp_ / "store/blobs/sha256"), 0u);
}

TEST_F(StoreTest, UsageCountsEveryBlobAndItsBytes) {
  auto empty = store_->Usage();
  ASSERT_TRUE(empty.ok()) << empty.error().ToString();
  EXPECT_EQ(empty->blobs, 0u);
  EXPECT_EQ(empty->bytes, 0u);
  auto a = store_->PutBlob("twelve bytes");
  auto b = store_->PutBlob("seven b");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(store_->PutBlob("seven b").ok());  // the same content is one blob
  auto usage = store_->Usage();
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(usage->blobs, 2u);
  EXPECT_EQ(usage->bytes, 12u + 7u);
}

TEST_F(StoreTest, GcRefusesWhenATaggedManifestIsCorrupt) {
  std::string v1 = BuildImage("one", "web:1");
  BuildImage("garbage");
  WriteFile(BlobPath(v1), "{}");
  auto gc = Open(std::chrono::seconds(0), nullptr)->Gc({});
  ASSERT_FALSE(gc.ok());
  EXPECT_NE(gc.error().message.find("nothing removed"), std::string::npos);
  EXPECT_EQ(testing::CountFiles(tmp_ / "store/blobs/sha256"), 6u);
}

TEST_F(StoreTest, GcRemovesAbandonedUploadsAfterTheGrace) {
  WriteFile(tmp_ / "store/cairn/ingest/blob-dead", "half a layer");
  EXPECT_EQ(Open(std::chrono::hours(1), nullptr)->Gc({})->uploads_removed, 0u);
  EXPECT_EQ(Open(std::chrono::seconds(0), nullptr)->Gc({})->uploads_removed, 1u);
}

TEST_F(StoreTest, ConcurrentTagChangesAreAllKept) {
  std::string v1 = BuildImage("one");
  // Each thread opens its own store: the same as separate processes, serialized by flock alone.
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto store = Open(std::chrono::hours(1), &clock_);
      for (int i = 0; i < 10; ++i) {
        EXPECT_TRUE(store->Tag("web:t" + std::to_string(t) + "-" + std::to_string(i), v1).ok());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  auto list = store_->List();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 40u);
}

}  // namespace
}  // namespace cairn::image
