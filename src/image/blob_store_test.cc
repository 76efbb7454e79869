#include "image/blob_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/sha256.h"
#include "image/image_test_util.h"

namespace cairn::image {
namespace {

using testing::CountFiles;
using testing::TempDir;

class BlobStoreTest : public ::testing::Test {
 protected:
  BlobStoreTest() : store_(dir_.path(), dir_ / "ingest", dir_ / "lock") {
    EXPECT_TRUE(store_.Init().ok());
  }
  TempDir dir_;
  BlobStore store_;
};

std::string DigestOf(std::string_view data) { return "sha256:" + Sha256Hex(data); }

TEST_F(BlobStoreTest, PutThenReadReturnsTheSameBytes) {
  auto info = store_.Put("hello", {DigestOf("hello"), 5});
  ASSERT_TRUE(info.ok()) << info.error().ToString();
  EXPECT_EQ(info->digest, DigestOf("hello"));
  EXPECT_EQ(info->size, 5u);
  auto back = store_.ReadSmall(info->digest, 5);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "hello");
  EXPECT_EQ(testing::ReadFile(store_.PathFor(info->digest)), "hello");
  EXPECT_EQ(CountFiles(dir_ / "ingest"), 0u);
}

TEST_F(BlobStoreTest, StreamingWriterHashesChunksAsTheyArrive) {
  auto w = store_.NewWriter();
  ASSERT_TRUE(w.ok());
  std::string all;
  for (int i = 0; i < 100; ++i) {
    std::string chunk(10000, static_cast<char>('a' + i % 26));
    ASSERT_TRUE((*w)->Write(chunk).ok());
    all += chunk;
  }
  auto info = (*w)->Commit();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->digest, DigestOf(all));
  EXPECT_EQ(info->size, all.size());
  auto path = store_.OpenPath(info->digest, all.size());
  ASSERT_TRUE(path.ok());
  EXPECT_FALSE(store_.OpenPath(info->digest, all.size() + 1).ok());
}

TEST_F(BlobStoreTest, DigestMismatchIsRefusedAndNothingIsLeftBehind) {
  auto info = store_.Put("tampered", {DigestOf("original"), std::nullopt});
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(info.error().context, DigestOf("original"));
  EXPECT_NE(info.error().message.find(DigestOf("tampered")), std::string::npos);
  EXPECT_EQ(CountFiles(dir_ / "blobs/sha256"), 0u);
  EXPECT_EQ(CountFiles(dir_ / "ingest"), 0u);
}

TEST_F(BlobStoreTest, SizeMismatchIsRefusedEarly) {
  auto w = store_.NewWriter({std::nullopt, 3});
  ASSERT_TRUE(w.ok());
  EXPECT_FALSE((*w)->Write("four").ok());
  EXPECT_EQ(CountFiles(dir_ / "ingest"), 0u);
  auto short_blob = store_.Put("ab", {std::nullopt, 3});
  EXPECT_FALSE(short_blob.ok());
  EXPECT_EQ(CountFiles(dir_ / "blobs/sha256"), 0u);
}

TEST_F(BlobStoreTest, AnAbandonedWriterRemovesItsUpload) {
  {
    auto w = store_.NewWriter();
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Write("partial").ok());
    EXPECT_EQ(CountFiles(dir_ / "ingest"), 1u);
  }
  EXPECT_EQ(CountFiles(dir_ / "ingest"), 0u);
}

TEST_F(BlobStoreTest, AnExistingBlobIsNeverRewritten) {
  auto first = store_.Put("same");
  ASSERT_TRUE(first.ok());
  struct stat before;
  ASSERT_EQ(::stat(store_.PathFor(first->digest).c_str(), &before), 0);
  auto second = store_.Put("same");
  ASSERT_TRUE(second.ok());
  struct stat after;
  ASSERT_EQ(::stat(store_.PathFor(first->digest).c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);  // same file, not replaced
  EXPECT_EQ(CountFiles(dir_ / "ingest"), 0u);
}

TEST_F(BlobStoreTest, ReadChecksSizeAndDigest) {
  auto info = store_.Put("{\"a\":1}");
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(store_.ReadSmall(info->digest, 99).ok());
  testing::WriteFile(store_.PathFor(info->digest), "{\"a\":2}");
  auto corrupt = store_.ReadSmall(info->digest, info->size);
  ASSERT_FALSE(corrupt.ok());
  EXPECT_NE(corrupt.error().message.find("corrupt"), std::string::npos);
  auto rehash = store_.Rehash(info->digest);
  ASSERT_TRUE(rehash.ok());
  EXPECT_EQ(*rehash, DigestOf("{\"a\":2}"));
}

TEST_F(BlobStoreTest, MalformedAndForeignDigestsAreRefused) {
  EXPECT_FALSE(BlobStore::CheckDigest("sha256:abc").ok());
  EXPECT_FALSE(BlobStore::CheckDigest("sha512:" + std::string(128, 'a')).ok());
  EXPECT_FALSE(store_.Size("../../etc/passwd").ok());
  EXPECT_EQ(store_.Size(DigestOf("absent")).error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace cairn::image
