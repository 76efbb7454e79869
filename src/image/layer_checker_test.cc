// LayerChecker against ApplyLayer: for the same layers, the model says what the disk says — the
// same refusal for the same entry, or success — because the same LayerWriter decides for both.
// Each case below is a sequence of layers; each is applied to a fresh directory and checked by a
// fresh checker, and the outcomes compared layer by layer.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "core/sha256.h"
#include "image/hostile_layers_testing.h"
#include "image/image_test_util.h"
#include "image/unpack.h"

namespace cairn::image {
namespace {

using testing::HostileEntry;
using testing::LayerDir;
using testing::LayerFile;
using testing::LayerHardlink;
using testing::LayerSymlink;
using testing::LayerZeros;

HostileEntry Node(HostileEntry::Type type, std::string path) {
  HostileEntry e;
  e.type = type;
  e.path = std::move(path);
  return e;
}

struct Case {
  std::string name;
  std::vector<std::vector<HostileEntry>> layers;
};

std::vector<Case> Cases() {
  using T = HostileEntry::Type;
  return {
      {"PlainFilesAndDirs", {{LayerDir("a"), LayerFile("a/b", "x"), LayerFile("c", "y", 04755)}}},
      {"Traversal", {{LayerFile("a/../../x")}}},
      {"AbsoluteNamesAreRelative", {{LayerFile("/etc/motd", "hi")}}},
      {"Devices", {{Node(T::kCharDevice, "null")}}},
      {"BlockDevice", {{Node(T::kBlockDevice, "sda")}}},
      {"Fifo", {{Node(T::kFifo, "pipe")}}},
      {"SymlinkParentSameLayer", {{LayerSymlink("etc", "/"), LayerFile("etc/passwd")}}},
      {"SymlinkParentEarlierLayer", {{LayerSymlink("etc", "/")}, {LayerFile("etc/passwd")}}},
      {"RelativeSymlinkParent", {{LayerSymlink("x", "../.."), LayerDir("x/y")}}},
      {"FileAsParent", {{LayerFile("a", "x"), LayerFile("a/b")}}},
      {"DirectoryReplacesSymlink",
       {{LayerSymlink("etc", "/")}, {LayerDir("etc"), LayerFile("etc/passwd")}}},
      {"FileReplacesFullDirectory",
       {{LayerDir("d"), LayerFile("d/x"), LayerDir("d/e"), LayerFile("d/e/f")}, {LayerFile("d")}}},
      {"SymlinkReplacesDirectoryThenWriteThrough",
       {{LayerDir("d"), LayerFile("d/x")}, {LayerSymlink("d", "/tmp")}, {LayerFile("d/y")}}},
      {"HardlinkToFile", {{LayerFile("a", "x"), LayerHardlink("b", "a")}}},
      {"HardlinkToSymlink", {{LayerSymlink("s", "/nowhere"), LayerHardlink("t", "s")}}},
      {"HardlinkMissing", {{LayerHardlink("b", "nope")}}},
      {"HardlinkToDirectory", {{LayerDir("d"), LayerHardlink("b", "d")}}},
      {"HardlinkThroughSymlink", {{LayerSymlink("s", "/etc"), LayerHardlink("b", "s/passwd")}}},
      {"HardlinkTraversal", {{LayerFile("a"), LayerHardlink("b", "../a")}}},
      {"HardlinkToItself", {{LayerHardlink("a", "a")}}},
      {"HardlinkReplacesItsTargetsParent",
       {{LayerDir("a"), LayerFile("a/b"), LayerHardlink("a", "a/b")}}},
      {"HardlinkAcrossLayers", {{LayerFile("a")}, {LayerHardlink("b", "a")}}},
      {"HardlinkToWhiteoutTarget",
       {{LayerFile("a")}, {LayerFile(".wh.a"), LayerHardlink("b", "a")}}},
      {"WhiteoutHidesLowerOnly",
       {{LayerFile("a"), LayerFile("keep")},
        {LayerFile("a", "new"), LayerFile(".wh.a"), LayerHardlink("b", "a")}}},
      {"WhiteoutThroughSymlink", {{LayerSymlink("s", "/etc")}, {LayerFile("s/.wh.passwd")}}},
      {"WhiteoutOfNothing", {{LayerFile(".wh.")}}},
      {"WhiteoutInMissingDir", {{LayerFile("nodir/.wh.x")}}},
      {"OpaqueDirectory",
       {{LayerDir("d"), LayerFile("d/old"), LayerDir("d/sub"), LayerFile("d/sub/x")},
        {LayerFile("d/new"), LayerFile("d/.wh..wh..opq"), LayerHardlink("h", "d/old")}}},
      {"OpaqueKeepsThisLayer",
       {{LayerDir("d"), LayerFile("d/old")},
        {LayerFile("d/sub/new"), LayerFile("d/.wh..wh..opq"), LayerHardlink("h", "d/sub/new")}}},
      {"OpaqueThroughSymlink", {{LayerSymlink("d", "/etc")}, {LayerFile("d/.wh..wh..opq")}}},
      {"AufsMetadataSkipped", {{LayerFile(".wh..wh.plnk"), LayerFile("x")}}},
      {"FileReplacesRoot", {{LayerFile(".")}}},
      {"EmptySymlinkTarget", {{LayerSymlink("s", "")}}},
      {"EmptyLayer", {{}}},
  };
}

class LayerCheckerTest : public ::testing::TestWithParam<Case> {};

TEST_P(LayerCheckerTest, DecidesAsTheDiskUnpackDoes) {
  testing::TempDir tmp;
  const std::string root = tmp / "root";
  ASSERT_EQ(::mkdir(root.c_str(), 0755), 0);
  int root_fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(root_fd, 0);
  LayerChecker checker;
  UnpackStats applied;
  for (size_t i = 0; i < GetParam().layers.size(); ++i) {
    std::string tar = testing::BuildHostileLayer(GetParam().layers[i]);
    const std::string name = "layer" + std::to_string(i);
    Result<UnpackStats> disk =
        ApplyLayer(root_fd, UnpackSource::Memory(tar, name), LayerCompression::kNone, {}, applied);
    Result<std::string> model =
        checker.Check(UnpackSource::Memory(tar, name), LayerCompression::kNone);
    ASSERT_EQ(disk.ok(), model.ok())
        << name << ": disk " << (disk.ok() ? "applied it" : disk.error().ToString()) << "; model "
        << (model.ok() ? "accepted it" : model.error().ToString());
    if (!disk.ok()) {
      EXPECT_EQ(model.error().code, disk.error().code);
      EXPECT_EQ(model.error().message, disk.error().message);
      EXPECT_EQ(model.error().context, disk.error().context);
      break;
    }
    applied = *disk;
    EXPECT_EQ(checker.stats().entries, applied.entries);
    EXPECT_EQ(checker.stats().bytes, applied.bytes);
  }
  ::close(root_fd);
}

INSTANTIATE_TEST_SUITE_P(HostileAndOrdinaryLayers, LayerCheckerTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

TEST(LayerCheckerDiffIdTest, IsTheSha256OfTheUncompressedTarInEveryCompression) {
  std::vector<HostileEntry> entries = {LayerDir("etc"), LayerFile("etc/motd", "hello\n"),
                                       LayerZeros("zeros", 300000)};
  const std::string tar = testing::BuildHostileLayer(entries);
  const std::string want = "sha256:" + Sha256Hex(tar);
  for (LayerCompression c :
       {LayerCompression::kNone, LayerCompression::kGzip, LayerCompression::kZstd}) {
    std::string layer = testing::BuildHostileLayer(entries, c);
    LayerChecker checker;
    Result<std::string> diff_id = checker.Check(UnpackSource::Memory(layer, "l"), c);
    ASSERT_TRUE(diff_id.ok()) << diff_id.error().ToString();
    EXPECT_EQ(*diff_id, want) << static_cast<int>(c);
  }
}

TEST(LayerCheckerDiffIdTest, CoversBytesAfterTheEndMarkerAndCountsThem) {
  // Tools pad a tar to a 10 KiB record; the diff_id hashes the padding too.
  std::string tar = testing::BuildHostileLayer({LayerFile("a", "x")}) + std::string(8192, '\0');
  LayerChecker checker;
  Result<std::string> diff_id =
      checker.Check(UnpackSource::Memory(tar, "l"), LayerCompression::kNone);
  ASSERT_TRUE(diff_id.ok()) << diff_id.error().ToString();
  EXPECT_EQ(*diff_id, "sha256:" + Sha256Hex(tar));

  // What follows the end marker cannot be a way around the byte cap.
  std::string padded =
      testing::BuildHostileLayer({LayerFile("a", "x")}) + std::string(4 << 20, '\0');
  LayerChecker capped(UnpackLimits{.max_bytes = 1 << 20});
  Result<std::string> refused =
      capped.Check(UnpackSource::Memory(padded, "padded"), LayerCompression::kNone);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("past the cap"), std::string::npos)
      << refused.error().ToString();
}

TEST(LayerCheckerDiffIdTest, AnEmptyLayerIsTheEmptyDigest) {
  LayerChecker checker;
  Result<std::string> diff_id =
      checker.Check(UnpackSource::Memory("", "l"), LayerCompression::kNone);
  ASSERT_TRUE(diff_id.ok()) << diff_id.error().ToString();
  EXPECT_EQ(*diff_id, "sha256:" + Sha256Hex(""));
}

}  // namespace
}  // namespace cairn::image
