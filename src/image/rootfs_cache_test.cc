#include "image/rootfs_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "core/sha256.h"
#include "image/hostile_layers_testing.h"

namespace cairn::image {
namespace {

namespace fs = std::filesystem;
using testing::BuildHostileLayer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::HostileEntry;
using ::testing::IsEmpty;
using testing::LayerDir;
using testing::LayerFile;
using testing::LayerSymlink;

constexpr char kTar[] = "application/vnd.oci.image.layer.v1.tar";
constexpr char kGzip[] = "application/vnd.oci.image.layer.v1.tar+gzip";
constexpr char kZstd[] = "application/vnd.oci.image.layer.v1.tar+zstd";
constexpr char kDockerGzip[] = "application/vnd.docker.image.rootfs.diff.tar.gzip";

class RootfsCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "cairn-rootfs-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    base_ = tmpl;
    fs::create_directories(base_ / "sentinel");
    std::ofstream(base_ / "sentinel" / "keep") << "untouched";
    options_.dir = (base_ / "cache").string();
    options_.sync = false;
  }

  void TearDown() override {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(base_, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_symlink()) {
        fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
      }
    }
    fs::remove_all(base_, ec);
  }

  // Writes a layer blob and describes it as media type `media_type` says.
  RootfsLayer Layer(const std::vector<HostileEntry>& entries, const std::string& media_type) {
    LayerCompression c = *LayerCompressionForMediaType(media_type);
    std::string bytes = BuildHostileLayer(entries, c);
    std::string digest = "sha256:" + Sha256Hex(bytes);
    fs::path path = base_ / ("blob-" + std::to_string(blobs_++));
    std::ofstream(path, std::ios::binary) << bytes;
    return RootfsLayer{path.string(), media_type, digest};
  }

  static std::string Digest(const std::string& seed) { return "sha256:" + Sha256Hex(seed); }

  std::vector<std::string> CacheEntries() const {
    std::vector<std::string> names;
    if (!fs::exists(options_.dir)) return names;
    for (const auto& e : fs::directory_iterator(options_.dir)) {
      std::string name = e.path().filename().string();
      if (!name.ends_with(".manifest")) names.push_back(name);  // each tree's, beside it
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  void ExpectSentinelUntouched() const {
    std::vector<std::string> names;
    for (const auto& e : fs::recursive_directory_iterator(base_ / "sentinel")) {
      names.push_back(fs::relative(e.path(), base_).string());
    }
    EXPECT_THAT(names, ElementsAre("sentinel/keep"));
  }

  fs::path base_;
  RootfsCacheOptions options_;
  int blobs_ = 0;
};

TEST_F(RootfsCacheTest, UnpacksAMultiLayerImageInOrder) {
  RootfsCache cache(options_);
  std::vector<RootfsLayer> layers = {
      Layer({LayerDir("etc"), LayerFile("etc/os-release", "base"), LayerFile("etc/old", "x"),
             LayerDir("opt/app"), LayerFile("opt/app/v1", "1")},
            kTar),
      Layer({LayerFile("etc/.wh.old"), LayerFile("opt/app/.wh..wh..opq"),
             LayerFile("opt/app/v2", "2"), LayerSymlink("bin", "usr/bin")},
            kGzip),
      Layer({LayerFile("etc/os-release", "final")}, kZstd),
      Layer({LayerFile("usr/bin/tool", "t", 04755)}, kDockerGzip),
  };
  std::string digest = Digest("image-1");
  Result<std::string> path = cache.Prepare(digest, layers);
  ASSERT_TRUE(path.ok()) << path.error().ToString();
  fs::path root = *path;
  EXPECT_EQ(root, fs::path(options_.dir) / digest.substr(7));
  std::ifstream release(root / "etc/os-release");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(release), {}), "final");
  EXPECT_FALSE(fs::exists(root / "etc/old"));
  EXPECT_FALSE(fs::exists(root / "opt/app/v1"));
  EXPECT_TRUE(fs::exists(root / "opt/app/v2"));
  EXPECT_EQ(fs::read_symlink(root / "bin"), "usr/bin");
  // Where runc mounts /proc, /dev, /sys and its tmpfs instances: made so that it never has to
  // create them in the shared tree.
  for (const char* dir : kMountPoints) EXPECT_TRUE(fs::is_directory(root / dir)) << dir;
  EXPECT_TRUE(cache.Contains(digest));
  EXPECT_THAT(CacheEntries(), ElementsAre(digest.substr(7)));  // no temp dir left
}

// Integrity drift: a published tree is checked against the manifest written with it.
TEST_F(RootfsCacheTest, VerifyNamesWhatChangedInAPublishedTree) {
  RootfsCache cache(options_);
  std::string digest = Digest("drift");
  Result<std::string> path = cache.Prepare(
      digest,
      {Layer({LayerDir("etc"), LayerFile("etc/conf", "a=1"), LayerFile("bin/app", "x")}, kTar)});
  ASSERT_TRUE(path.ok()) << path.error().ToString();
  auto clean = cache.Verify(digest);
  ASSERT_TRUE(clean.ok()) << clean.error().ToString();
  EXPECT_TRUE(clean->empty());

  // Someone with root writes into the shared tree.
  fs::path root = *path;
  fs::permissions(root / "etc", fs::perms::owner_write, fs::perm_options::add);
  fs::permissions(root / "etc/conf", fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(root / "etc/conf") << "a=2";
  std::ofstream(root / "etc/evil") << "x";
  auto drift = cache.Verify(digest);
  ASSERT_TRUE(drift.ok()) << drift.error().ToString();
  EXPECT_THAT(*drift, ElementsAre("changed /etc (mode 0555 -> 0755)", "changed /etc/conf (content)",
                                  "added /etc/evil"));

  // Set aside: out of the cache (the next Prepare unpacks afresh), kept for a person to see.
  auto aside = cache.Quarantine(digest);
  ASSERT_TRUE(aside.ok()) << aside.error().ToString();
  EXPECT_FALSE(cache.Contains(digest));
  EXPECT_TRUE(fs::exists(fs::path(*aside) / "etc/evil"));
  EXPECT_TRUE(fs::exists(*aside + ".manifest"));
  auto fresh = cache.Prepare(
      digest,
      {Layer({LayerDir("etc"), LayerFile("etc/conf", "a=1"), LayerFile("bin/app", "x")}, kTar)});
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(cache.Verify(digest)->empty());

  fs::remove(fs::path(options_.dir) / (digest.substr(7) + ".manifest"));
  auto unvouched = cache.Verify(digest);
  ASSERT_TRUE(unvouched.ok());
  EXPECT_THAT(*unvouched, ElementsAre("no manifest to verify the tree against"));
  EXPECT_EQ(cache.Verify(Digest("never-prepared")).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(cache.Remove(digest).ok());
  EXPECT_THAT(CacheEntries(), ElementsAre(fs::path(*aside).filename().string()));
}

TEST_F(RootfsCacheTest, TheTreeIsReadOnly) {
  RootfsCache cache(options_);
  Result<std::string> path = cache.Prepare(
      Digest("ro"), {Layer({LayerDir("d", 0777), LayerFile("d/f", "x", 0666),
                            LayerFile("bin/su", "x", 04755), LayerSymlink("l", "d/f")},
                           kTar)});
  ASSERT_TRUE(path.ok()) << path.error().ToString();
  int checked = 0;
  for (auto it = fs::recursive_directory_iterator(*path); it != fs::recursive_directory_iterator();
       ++it) {
    struct stat st {};
    ASSERT_EQ(lstat(it->path().c_str(), &st), 0);
    if (S_ISLNK(st.st_mode)) continue;
    EXPECT_EQ(st.st_mode & 0222, 0u) << it->path();
    EXPECT_EQ(st.st_mode & 07000, 0u) << it->path();
    ++checked;
  }
  EXPECT_EQ(checked, 9);  // d, d/f, bin, bin/su and the five mount points
  struct stat root {};
  ASSERT_EQ(stat(path->c_str(), &root), 0);
  EXPECT_EQ(root.st_mode & 07777, 0555u);
  struct stat f {};
  ASSERT_EQ(stat((fs::path(*path) / "d/f").c_str(), &f), 0);
  EXPECT_EQ(f.st_mode & 07777, 0444u);
}

TEST_F(RootfsCacheTest, ASecondPrepareReturnsTheCachedTreeWithoutReadingLayers) {
  RootfsCache cache(options_);
  std::string digest = Digest("twice");
  Result<std::string> first = cache.Prepare(digest, {Layer({LayerFile("f", "1")}, kTar)});
  ASSERT_TRUE(first.ok());
  Result<std::string> second =
      cache.Prepare(digest, {RootfsLayer{(base_ / "missing").string(), kTar, ""}});
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  EXPECT_EQ(*second, *first);
}

TEST_F(RootfsCacheTest, RacingPreparesOfOneImageAllGetTheSameCompleteTree) {
  RootfsCache cache(options_);
  std::vector<HostileEntry> entries;
  for (int i = 0; i < 200; ++i) entries.push_back(LayerFile("f" + std::to_string(i), "x"));
  std::vector<RootfsLayer> layers = {Layer(entries, kGzip)};
  std::string digest = Digest("race");
  std::vector<Result<std::string>> results(4, MakeError(ErrorCode::kInternal, "not run"));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = cache.Prepare(digest, layers); });
  }
  for (std::thread& t : threads) t.join();
  for (const Result<std::string>& r : results) {
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(*r, *results[0]);
  }
  EXPECT_THAT(CacheEntries(), ElementsAre(digest.substr(7)));  // losers cleaned up
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(*results[0])) ++files;
  EXPECT_EQ(files, 200u + std::size(kMountPoints));  // the layer's files and the mount points
}

TEST_F(RootfsCacheTest, AFailedLayerLeavesNoPartialEntry) {
  RootfsCache cache(options_);
  std::string digest = Digest("evil");
  RootfsLayer evil = Layer({LayerSymlink("etc", (base_ / "sentinel").string())}, kTar);
  RootfsLayer through = Layer({LayerFile("ok", "fine"), LayerFile("etc/pwned", "x")}, kGzip);
  Result<std::string> r = cache.Prepare(digest, {evil, through});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().context, digest + ": layer " + through.digest + ", entry 'etc/pwned'");
  EXPECT_THAT(r.error().message, HasSubstr("'etc' is a symbolic link"));
  EXPECT_THAT(CacheEntries(), IsEmpty());
  EXPECT_FALSE(cache.Contains(digest));
  ExpectSentinelUntouched();
}

TEST_F(RootfsCacheTest, CapsApplyToTheWholeImage) {
  options_.limits.max_bytes = 1000;
  RootfsCache cache(options_);
  RootfsLayer a = Layer({LayerFile("a", std::string(600, 'a'))}, kTar);
  RootfsLayer b = Layer({LayerFile("b", std::string(600, 'b'))}, kTar);
  Result<std::string> r = cache.Prepare(Digest("big"), {a, b});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("cap of 1000 uncompressed bytes"));
  EXPECT_THAT(r.error().context, HasSubstr("layer " + b.digest + ", entry 'b'"));
  EXPECT_THAT(CacheEntries(), IsEmpty());
}

TEST_F(RootfsCacheTest, RefusesUnknownMediaTypesAndBadDigestsBeforeWriting) {
  RootfsCache cache(options_);
  RootfsLayer bz = Layer({LayerFile("f")}, kTar);
  bz.media_type = "application/vnd.oci.image.layer.v1.tar+bzip2";
  Result<std::string> r = cache.Prepare(Digest("bz"), {bz});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(r.error().message, HasSubstr("unsupported layer media type"));
  EXPECT_THAT(r.error().context, HasSubstr(bz.media_type));
  EXPECT_THAT(CacheEntries(), IsEmpty());

  Result<std::string> bad = cache.Prepare("sha256:../../etc", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(options_.dir));
}

TEST_F(RootfsCacheTest, RemoveDeletesTheReadOnlyTree) {
  RootfsCache cache(options_);
  std::string digest = Digest("rm");
  ASSERT_TRUE(
      cache.Prepare(digest, {Layer({LayerDir("d", 0500), LayerFile("d/f", "x", 0400)}, kTar)})
          .ok());
  ASSERT_TRUE(cache.Remove(digest).ok());
  EXPECT_FALSE(cache.Contains(digest));
  EXPECT_THAT(CacheEntries(), IsEmpty());
  Status again = cache.Remove(digest);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace cairn::image
