// ApplyLayer on well-formed layers: what a real image needs to come out right.
#include "image/unpack.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "image/openat_beneath.h"
#include "image/unpack_testing.h"

namespace cairn::image {
namespace {

using ::testing::HasSubstr;
using testing::LayerDir;
using testing::LayerFile;
using testing::LayerHardlink;
using testing::LayerSymlink;
using testing::UnpackFixture;

namespace fs = std::filesystem;

class ApplyLayerTest : public UnpackFixture {};

mode_t ModeOf(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(lstat(p.c_str(), &st), 0) << p;
  return st.st_mode;
}

TEST_F(ApplyLayerTest, WritesFilesDirectoriesAndModes) {
  Result<UnpackStats> r =
      Apply({LayerDir("usr/"), LayerDir("usr/bin", 0750),
             LayerFile("usr/bin/tool", "#!/bin/sh\n", 0755), LayerFile("./etc/motd", "hi", 0600)});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->entries, 4u);
  EXPECT_EQ(r->bytes, 12u);
  EXPECT_EQ(Read("usr/bin/tool"), "#!/bin/sh\n");
  EXPECT_EQ(ModeOf(root_ / "usr/bin/tool") & 07777, 0755u);
  EXPECT_EQ(ModeOf(root_ / "usr/bin") & 07777, 0750u);
  EXPECT_EQ(Read("etc/motd"), "hi");  // parent made on the way
  EXPECT_EQ(ModeOf(root_ / "etc/motd") & 07777, 0600u);
  ExpectOutsideUntouched();
}

TEST_F(ApplyLayerTest, ReadsALeadingSlashAsRelativeToTheRoot) {
  ASSERT_TRUE(Apply({LayerFile("/etc/hostname", "box")}).ok());
  EXPECT_EQ(Read("etc/hostname"), "box");
  ExpectOutsideUntouched();
}

TEST_F(ApplyLayerTest, StripsSetuidSetgidAndStickyBits) {
  ASSERT_TRUE(Apply({LayerFile("bin/su", "x", 04755), LayerFile("bin/wall", "x", 02755),
                     LayerDir("tmp", 01777)})
                  .ok());
  EXPECT_EQ(ModeOf(root_ / "bin/su") & 07777, 0755u);
  EXPECT_EQ(ModeOf(root_ / "bin/wall") & 07777, 0755u);
  EXPECT_EQ(ModeOf(root_ / "tmp") & 07777, 0777u);
}

TEST_F(ApplyLayerTest, CreatesSymlinksAsTheyAreWithoutFollowingThem) {
  ASSERT_TRUE(Apply({LayerSymlink("bin", "usr/bin"), LayerSymlink("escape", "/etc/passwd"),
                     LayerSymlink("up", "../../..")})
                  .ok());
  EXPECT_EQ(fs::read_symlink(root_ / "bin"), "usr/bin");
  EXPECT_EQ(fs::read_symlink(root_ / "escape"), "/etc/passwd");
  EXPECT_EQ(fs::read_symlink(root_ / "up"), "../../..");
  ExpectOutsideUntouched();
}

TEST_F(ApplyLayerTest, HardlinksShareTheTargetInode) {
  ASSERT_TRUE(Apply({LayerFile("bin/busybox", "bb", 0755), LayerHardlink("bin/sh", "bin/busybox"),
                     LayerHardlink("/bin/ls", "/bin/busybox")})
                  .ok());
  struct stat a {
  }, b{}, c{};
  ASSERT_EQ(stat((root_ / "bin/busybox").c_str(), &a), 0);
  ASSERT_EQ(stat((root_ / "bin/sh").c_str(), &b), 0);
  ASSERT_EQ(stat((root_ / "bin/ls").c_str(), &c), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_ino, c.st_ino);
}

TEST_F(ApplyLayerTest, HardlinkToAbsoluteNameLinksInsideTheRootNotTheHost) {
  ASSERT_TRUE(Apply({LayerFile("etc/passwd", "image\n")}).ok());
  ASSERT_TRUE(Apply({LayerHardlink("copy", "/etc/passwd")}, {}, "layer-2").ok());
  EXPECT_EQ(Read("copy"), "image\n");
  ExpectOutsideUntouched();
}

TEST_F(ApplyLayerTest, WhiteoutRemovesLowerEntries) {
  ASSERT_TRUE(Apply({LayerFile("etc/a", "a"), LayerFile("etc/b", "b"), LayerDir("var/cache"),
                     LayerFile("var/cache/x", "x")})
                  .ok());
  ASSERT_TRUE(Apply({LayerFile("etc/.wh.a"), LayerFile("var/.wh.cache"),
                     LayerFile("etc/.wh.never-existed")},
                    {}, "layer-2")
                  .ok());
  EXPECT_FALSE(fs::exists(root_ / "etc/a"));
  EXPECT_FALSE(fs::exists(root_ / "etc/.wh.a"));
  EXPECT_EQ(Read("etc/b"), "b");
  EXPECT_FALSE(fs::exists(root_ / "var/cache"));
  EXPECT_TRUE(fs::is_directory(root_ / "var"));
}

TEST_F(ApplyLayerTest, OpaqueDirectoryHidesLowerContentButKeepsThisLayers) {
  ASSERT_TRUE(Apply({LayerFile("app/old", "1"), LayerFile("app/sub/deep", "2"),
                     LayerFile("other/keep", "3")})
                  .ok());
  // The marker comes after entries of its own layer on purpose: they must survive it, and the
  // lower app/sub/deep must not survive just because app/sub was recreated implicitly.
  ASSERT_TRUE(Apply({LayerFile("app/new", "4"), LayerFile("app/sub/fresh", "5"),
                     LayerFile("app/.wh..wh..opq")},
                    {}, "layer-2")
                  .ok());
  EXPECT_FALSE(fs::exists(root_ / "app/old"));
  EXPECT_FALSE(fs::exists(root_ / "app/sub/deep"));
  EXPECT_FALSE(fs::exists(root_ / "app/.wh..wh..opq"));
  EXPECT_EQ(Read("app/new"), "4");
  EXPECT_EQ(Read("app/sub/fresh"), "5");
  EXPECT_EQ(Read("other/keep"), "3");
}

TEST_F(ApplyLayerTest, ReplacesFileWithDirectoryAndBack) {
  ASSERT_TRUE(Apply({LayerFile("a", "file"), LayerDir("b"), LayerFile("b/inner", "x")}).ok());
  ASSERT_TRUE(Apply({LayerDir("a"), LayerFile("a/now-a-dir", "y"), LayerFile("b", "now-a-file")},
                    {}, "layer-2")
                  .ok());
  EXPECT_EQ(Read("a/now-a-dir"), "y");
  EXPECT_TRUE(fs::is_regular_file(root_ / "b"));
  EXPECT_EQ(Read("b"), "now-a-file");
}

TEST_F(ApplyLayerTest, LaterLayerReplacesFileAndSymlinkWithoutFollowing) {
  ASSERT_TRUE(Apply({LayerFile("conf", "old"), LayerSymlink("link", "conf")}).ok());
  ASSERT_TRUE(Apply({LayerFile("conf", "new"), LayerFile("link", "plain")}, {}, "layer-2").ok());
  EXPECT_EQ(Read("conf"), "new");  // a write to "link" replaced the link, not its target
  EXPECT_FALSE(fs::is_symlink(root_ / "link"));
  EXPECT_EQ(Read("link"), "plain");
}

TEST_F(ApplyLayerTest, DirectoryOverDirectoryMergesAndTakesTheNewMode) {
  ASSERT_TRUE(Apply({LayerDir("d", 0755), LayerFile("d/lower", "l")}).ok());
  ASSERT_TRUE(Apply({LayerDir("d", 0711), LayerFile("d/upper", "u")}, {}, "layer-2").ok());
  EXPECT_EQ(Read("d/lower"), "l");
  EXPECT_EQ(Read("d/upper"), "u");
  EXPECT_EQ(ModeOf(root_ / "d") & 07777, 0711u);
}

TEST_F(ApplyLayerTest, ReadsGzipAndZstdLayers) {
  for (LayerCompression c : {LayerCompression::kGzip, LayerCompression::kZstd}) {
    ASSERT_TRUE(Apply({LayerFile("f", "compressed")}, {}, "layer", c).ok());
    EXPECT_EQ(Read("f"), "compressed");
  }
}

TEST_F(ApplyLayerTest, ReadsFromAFileAndAnFd) {
  std::string bytes = testing::BuildHostileLayer({LayerFile("from-file", "1")});
  fs::path layer = base_ / "layer.tar";
  std::ofstream(layer, std::ios::binary) << bytes;
  ASSERT_TRUE(ApplyLayer(root_fd_, UnpackSource::File(layer), LayerCompression::kNone).ok());
  EXPECT_EQ(Read("from-file"), "1");

  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  std::string piped = testing::BuildHostileLayer({LayerFile("from-pipe", "2")});
  ASSERT_LT(piped.size(), 65536u);  // fits the pipe buffer, so one thread can write then read
  ASSERT_EQ(write(pipe_fds[1], piped.data(), piped.size()), static_cast<ssize_t>(piped.size()));
  close(pipe_fds[1]);
  Result<UnpackStats> r =
      ApplyLayer(root_fd_, UnpackSource::Fd(pipe_fds[0], "pipe"), LayerCompression::kNone);
  close(pipe_fds[0]);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(Read("from-pipe"), "2");
}

TEST_F(ApplyLayerTest, CountsAcrossLayersWhenGivenTheRunningTotal) {
  UnpackLimits limits;
  limits.max_bytes = 10;
  Result<UnpackStats> first = Apply({LayerFile("a", "123456")}, limits);
  ASSERT_TRUE(first.ok());
  std::string bytes = testing::BuildHostileLayer({LayerFile("b", "123456")});
  Result<UnpackStats> second = ApplyLayer(root_fd_, UnpackSource::Memory(bytes, "layer-2"),
                                          LayerCompression::kNone, limits, *first);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.error().message, HasSubstr("cap of 10 uncompressed bytes"));
}

TEST_F(ApplyLayerTest, WorksWithTheComponentWalkAloneToo) {
  unpack_internal::SetUnpackOpenat2EnabledForTesting(false);
  Result<UnpackStats> r = Apply({LayerFile("a/b/c/d", "deep"), LayerSymlink("a/l", "b")});
  Result<UnpackStats> through = Apply({LayerFile("a/l/x", "no")}, {}, "layer-2");
  unpack_internal::SetUnpackOpenat2EnabledForTesting(true);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(Read("a/b/c/d"), "deep");
  ASSERT_FALSE(through.ok());
  EXPECT_THAT(through.error().message, HasSubstr("'a/l' is a symbolic link"));
}

TEST(LayerCompressionTest, MapsKnownMediaTypesAndRefusesOthers) {
  EXPECT_EQ(*LayerCompressionForMediaType("application/vnd.oci.image.layer.v1.tar"),
            LayerCompression::kNone);
  EXPECT_EQ(*LayerCompressionForMediaType("application/vnd.oci.image.layer.v1.tar+gzip"),
            LayerCompression::kGzip);
  EXPECT_EQ(*LayerCompressionForMediaType("application/vnd.oci.image.layer.v1.tar+zstd"),
            LayerCompression::kZstd);
  EXPECT_EQ(*LayerCompressionForMediaType("application/vnd.docker.image.rootfs.diff.tar.gzip"),
            LayerCompression::kGzip);
  Result<LayerCompression> bad = LayerCompressionForMediaType("application/x-bzip2");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().context, "application/x-bzip2");
  EXPECT_THAT(bad.error().message, HasSubstr("unsupported layer media type"));
}

}  // namespace
}  // namespace cairn::image
