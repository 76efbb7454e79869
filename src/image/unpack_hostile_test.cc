// ApplyLayer on hostile layers. Every test checks the precise error (code, message, and the
// layer and entry in context) and that nothing outside the root changed: the root sits in a
// temp dir beside a sentinel directory holding a fake etc/passwd.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/stat.h>

#include <atomic>
#include <thread>

#include "core/ids.h"
#include "image/unpack.h"
#include "image/unpack_testing.h"

namespace cairn::image {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::HostileEntry;
using testing::LayerDir;
using testing::LayerFile;
using testing::LayerHardlink;
using testing::LayerSymlink;
using testing::LayerZeros;
using ::testing::StartsWith;

class HostileLayerTest : public testing::UnpackFixture {
 protected:
  // Applies `entries` as layer "evil" and expects it refused for `entry` with `message`.
  void ExpectRefused(const std::vector<HostileEntry>& entries, const std::string& entry,
                     const std::string& message, const UnpackLimits& limits = {},
                     LayerCompression compression = LayerCompression::kNone) {
    Result<UnpackStats> r = Apply(entries, limits, "evil", compression);
    ASSERT_FALSE(r.ok()) << "layer was accepted; expected refusal of " << entry;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << r.error().ToString();
    EXPECT_EQ(r.error().context, "layer evil, entry '" + entry + "'");
    EXPECT_THAT(r.error().message, HasSubstr(message));
    ExpectOutsideUntouched();
  }

  nlink_t SentinelLinks() const {
    struct stat st {};
    EXPECT_EQ(stat((base_ / "sentinel/etc/passwd").c_str(), &st), 0);
    return st.st_nlink;
  }
};

HostileEntry Node(HostileEntry::Type type, std::string path) {
  HostileEntry e;
  e.type = type;
  e.path = std::move(path);
  return e;
}

TEST_F(HostileLayerTest, RefusesDotDotTraversal) {
  ExpectRefused({LayerFile("../escape", "x")}, "../escape", "'..' component");
  ExpectRefused({LayerFile("ok/../../escape", "x")}, "ok/../../escape", "'..' component");
  ExpectRefused({LayerFile("../sentinel/etc/passwd", "owned")}, "../sentinel/etc/passwd",
                "path traversal");
  ExpectRefused({LayerDir("/../../escape-dir")}, "/../../escape-dir/", "'..' component");
  ExpectRefused({LayerSymlink("a/../../l", "/")}, "a/../../l", "'..' component");
}

TEST_F(HostileLayerTest, RefusesWritingThroughASymlinkPlantedInTheSameLayer) {
  std::string sentinel_etc = (base_ / "sentinel/etc").string();
  ExpectRefused({LayerSymlink("etc", sentinel_etc), LayerFile("etc/passwd", "owned")}, "etc/passwd",
                "'etc' is a symbolic link; writing through it is refused");
  ExpectRefused({LayerSymlink("rel", "../sentinel"), LayerDir("rel/newdir")}, "rel/newdir/",
                "'rel' is a symbolic link");
  EXPECT_EQ(SentinelLinks(), 1u);
}

TEST_F(HostileLayerTest, RefusesWritingThroughASymlinkFromAnEarlierLayer) {
  // The classic: layer 1 "etc -> /", layer 2 "etc/<file>". The file name is a harmless canary,
  // so even a broken unpacker cannot damage the host running the test.
  std::string canary = "cairn-unpack-canary-" + RandomHexId(8);
  ASSERT_TRUE(Apply({LayerSymlink("etc", "/")}, {}, "base").ok());
  ExpectRefused({LayerFile("etc/" + canary, "owned")}, "etc/" + canary, "'etc' is a symbolic link");
  EXPECT_FALSE(fs::exists(fs::path("/") / canary));
  ASSERT_TRUE(Apply({LayerSymlink("deep/link", "../../sentinel/etc")}, {}, "base").ok());
  ExpectRefused({LayerFile("deep/link/passwd", "owned")}, "deep/link/passwd",
                "'deep/link' is a symbolic link");
  EXPECT_EQ(SentinelLinks(), 1u);
}

TEST_F(HostileLayerTest, RefusesHardlinksOutOfTheRootOrThroughSymlinks) {
  ExpectRefused({LayerHardlink("x", "../sentinel/etc/passwd")}, "x", "'..' component");
  // "/etc/passwd" is the root's etc/passwd, which this root does not have.
  ExpectRefused({LayerHardlink("pw", "/etc/passwd")}, "pw",
                "hardlink target 'etc/passwd' is not in the tree");
  std::string sentinel_etc = (base_ / "sentinel/etc").string();
  ExpectRefused({LayerSymlink("l", sentinel_etc), LayerHardlink("pw", "l/passwd")}, "pw",
                "'l' is a symbolic link");
  ExpectRefused({LayerDir("d"), LayerHardlink("dlink", "d")}, "dlink", "is a directory");
  ExpectRefused({LayerFile("self", "x"), LayerHardlink("self", "self")}, "self",
                "points at itself");
  EXPECT_EQ(SentinelLinks(), 1u);
}

TEST_F(HostileLayerTest, RefusesDeviceNodesFifosAndLeavesNoNode) {
  ExpectRefused({Node(HostileEntry::Type::kCharDevice, "dev/mem")}, "dev/mem",
                "device nodes are not allowed");
  ExpectRefused({Node(HostileEntry::Type::kBlockDevice, "dev/sda")}, "dev/sda",
                "device nodes are not allowed");
  ExpectRefused({Node(HostileEntry::Type::kFifo, "run/fifo")}, "run/fifo", "FIFOs are not allowed");
  EXPECT_FALSE(fs::exists(root_ / "dev/mem"));
  EXPECT_FALSE(fs::exists(root_ / "dev/sda"));
  EXPECT_FALSE(fs::exists(root_ / "run/fifo"));
}

TEST_F(HostileLayerTest, RefusesWhiteoutsThatWouldReachOutOfTheRoot) {
  std::string sentinel_etc = (base_ / "sentinel/etc").string();
  ASSERT_TRUE(Apply({LayerSymlink("l", sentinel_etc)}, {}, "base").ok());
  ExpectRefused({LayerFile("l/.wh.passwd")}, "l/.wh.passwd", "'l' is a symbolic link");
  ExpectRefused({LayerFile("l/.wh..wh..opq")}, "l/.wh..wh..opq", "'l' is a symbolic link");
  // ".wh..." would whiteout "..": the parent of the directory.
  ExpectRefused({LayerFile(".wh...")}, ".wh...", "whiteout names no entry");
  ExpectRefused({LayerFile("sub/.wh..")}, "sub/.wh..", "whiteout names no entry");
  EXPECT_TRUE(fs::exists(base_ / "sentinel/etc/passwd"));
}

TEST_F(HostileLayerTest, StopsAtTheEntryCap) {
  std::vector<HostileEntry> entries;
  for (int i = 0; i < 100'000; ++i) entries.push_back(LayerDir("d" + std::to_string(i)));
  UnpackLimits limits;
  limits.max_entries = 1000;
  ExpectRefused(entries, "d1000/", "more entries than the cap of 1000 (max_entries)", limits,
                LayerCompression::kGzip);
  size_t made = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(root_)) ++made;
  EXPECT_EQ(made, 1000u);
}

TEST_F(HostileLayerTest, StopsAGzipBombAtTheByteCap) {
  UnpackLimits limits;
  limits.max_bytes = 1 << 20;
  // One 64 MiB file of zeros: about 64 KiB compressed.
  std::string bomb =
      testing::BuildHostileLayer({LayerZeros("bomb", 64 << 20)}, LayerCompression::kGzip);
  ASSERT_LT(bomb.size(), 1u << 20);
  Result<UnpackStats> r =
      ApplyLayer(root_fd_, UnpackSource::Memory(bomb, "evil"), LayerCompression::kGzip, limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().context, "layer evil, entry 'bomb'");
  EXPECT_THAT(r.error().message, HasSubstr("cap of 1048576 uncompressed bytes"));
  ExpectOutsideUntouched();

  // Many files each under the cap: counted as they are written, stopped once the sum passes.
  std::vector<HostileEntry> many;
  for (int i = 0; i < 64; ++i) many.push_back(LayerZeros("f" + std::to_string(i), 64 << 10));
  ExpectRefused(many, "f16", "cap of 1048576 uncompressed bytes", limits, LayerCompression::kGzip);
  uintmax_t written = 0;
  for (const auto& e : fs::recursive_directory_iterator(root_)) {
    if (e.is_regular_file()) written += e.file_size();
  }
  EXPECT_LE(written, 1u << 20);
}

TEST_F(HostileLayerTest, RefusesOverlongNamesAndDeepTrees) {
  std::string long_component(300, 'n');
  ExpectRefused({LayerFile("a/" + long_component, "x")},
                "a/" + long_component.substr(0, 158) + "...", "over NAME_MAX (255)");
  std::string long_path;
  while (long_path.size() < 5000) long_path += "abcdefghij/";
  long_path += "f";
  ExpectRefused({LayerFile(long_path, "x")}, long_path.substr(0, 160) + "...",
                "over PATH_MAX (4096)");
  std::string deep;
  for (int i = 0; i < 300; ++i) deep += "d/";
  deep += "f";
  ExpectRefused({LayerFile(deep, "x")}, deep.substr(0, 160) + "...",
                "301 levels deep, over the cap of 256");
}

TEST_F(HostileLayerTest, RefusesTruncatedAndMislabelledLayers) {
  std::string tar = testing::BuildHostileLayer({LayerFile("big", std::string(8192, 'x'))});
  std::string cut = tar.substr(0, 2048);
  Result<UnpackStats> r =
      ApplyLayer(root_fd_, UnpackSource::Memory(cut, "evil"), LayerCompression::kNone);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(r.error().message, StartsWith("cannot read the layer"));
  EXPECT_THAT(r.error().context, StartsWith("layer evil"));

  std::string gz = testing::BuildHostileLayer({LayerFile("f", "x")}, LayerCompression::kGzip);
  Result<UnpackStats> mislabelled =
      ApplyLayer(root_fd_, UnpackSource::Memory(gz, "evil"), LayerCompression::kNone);
  ASSERT_FALSE(mislabelled.ok());
  EXPECT_THAT(mislabelled.error().message, StartsWith("cannot read the layer"));
  ExpectOutsideUntouched();
}

// Another process swaps a directory of the root for a symlink out of it, over and over, while a
// layer writes into that directory. Whatever the interleaving, nothing lands outside the root.
TEST_F(HostileLayerTest, SymlinkSwapRaceNeverRedirectsAWrite) {
  fs::create_directory(root_ / "d");
  fs::create_directory_symlink(base_ / "sentinel", root_ / "swap");
  std::vector<HostileEntry> entries;
  for (int i = 0; i < 2000; ++i) entries.push_back(LayerFile("d/f" + std::to_string(i), "x"));
  std::string layer = testing::BuildHostileLayer(entries);

  std::atomic<bool> stop{false};
  std::thread swapper([&] {
    while (!stop.load()) {
      renameat2(AT_FDCWD, (root_ / "d").c_str(), AT_FDCWD, (root_ / "swap").c_str(),
                RENAME_EXCHANGE);
    }
  });
  Result<UnpackStats> r =
      ApplyLayer(root_fd_, UnpackSource::Memory(layer, "race"), LayerCompression::kNone);
  stop.store(true);
  swapper.join();
  if (!r.ok()) {
    EXPECT_THAT(r.error().context, StartsWith("layer race, entry 'd/f"));
  }
  ExpectOutsideUntouched();
}

}  // namespace
}  // namespace cairn::image
