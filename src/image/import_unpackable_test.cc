// Images whose layers the rootfs cache could never unpack are refused when they enter the store,
// whatever the source format, naming the layer and the entry, and leave the store exactly as it
// was: no blob, no tag, nothing in ingest. The layers come from hostile_layers_testing.h; the
// rules are unpack.h's, applied by the same code (LayerChecker), across the image's layers.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "core/sha256.h"
#include "image/import_testing.h"
#include "image/store.h"

namespace cairn::image {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ArchiveFile;
using testing::Digest;
using testing::HandImage;
using testing::HostileEntry;
using testing::IndexOf;
using testing::LayerDir;
using testing::LayerFile;
using testing::LayerHardlink;
using testing::LayerSymlink;
using testing::TempDir;

enum class Format { kOciArchive, kOciLayout, kDockerArchive };

std::string FormatName(Format f) {
  switch (f) {
    case Format::kOciArchive:
      return "OciArchive";
    case Format::kOciLayout:
      return "OciLayout";
    case Format::kDockerArchive:
      return "DockerArchive";
  }
  return "?";
}

// Every file under `root` with a hash of its contents: what "the store as it was" means.
std::map<std::string, std::string> Snapshot(const std::string& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    std::string rel = fs::relative(e.path(), root).string();
    out[rel] = e.is_regular_file() ? Sha256Hex(testing::ReadFile(e.path().string())) : "dir";
  }
  return out;
}

// A hostile class of layer: the image's layers (lowest first), which one is at fault, and what
// the error must say.
struct Case {
  std::string name;
  std::vector<std::vector<HostileEntry>> layers;
  size_t bad_layer;
  std::string message;  // a piece of the error message
  std::string entry;    // the entry the error names ("" for a whole-layer fault)
};

HostileEntry Device(std::string path) {
  HostileEntry e = LayerFile(std::move(path));
  e.type = HostileEntry::Type::kCharDevice;
  return e;
}

std::vector<Case> Cases() {
  return {
      {"Traversal",
       {{LayerFile("ok.txt", "x")}, {LayerFile("../../etc/cron.d/evil", "x")}},
       1,
       "'..' component",
       "../../etc/cron.d/evil"},
      {"DeviceNode", {{LayerDir("dev"), Device("dev/mem")}}, 0, "device nodes", "dev/mem"},
      {"WriteThroughASymlinkOfAnEarlierLayer",
       {{LayerSymlink("etc", "/etc")}, {LayerFile("etc/passwd", "root::0:0::/:/bin/sh\n")}},
       1,
       "'etc' is a symbolic link; writing through it is refused",
       "etc/passwd"},
      {"WriteThroughASymlinkOfTheSameLayer",
       {{LayerSymlink("lib", "/usr/lib"), LayerFile("lib/evil.so", "x")}},
       0,
       "'lib' is a symbolic link",
       "lib/evil.so"},
      {"HardlinkToWhatAnUpperLayerRemoved",
       {{LayerFile("a", "x")}, {LayerFile(".wh.a"), LayerHardlink("b", "a")}},
       1,
       "hardlink target 'a' is not in the tree",
       "b"},
      {"MountPointIsASymlink", {{LayerSymlink("proc", "/")}}, 1, "'proc' is a symbolic link", ""},
  };
}

class ImportUnpackableTest : public ::testing::TestWithParam<std::tuple<Format, Case>> {
 protected:
  void SetUp() override { Open(StoreOptions{.root = tmp_ / "store"}); }
  void Open(StoreOptions options) {
    auto store = ImageStore::Open(std::move(options));
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    store_ = std::move(*store);
  }

  // Writes `img` in `format` and imports it as web:1.
  Result<ImportReport> Import(const HandImage& img, Format format) {
    const std::string path = tmp_ / ("source-" + std::to_string(++n_));
    switch (format) {
      case Format::kOciArchive:
        testing::WriteArchive(path,
                              testing::OciArchive(IndexOf({img.Descriptor("web:1")}), img.Blobs()));
        break;
      case Format::kOciLayout:
        testing::WriteLayout(path, IndexOf({img.Descriptor("web:1")}), img.Blobs());
        break;
      case Format::kDockerArchive: {
        std::vector<HostileEntry> entries;
        json layers = json::array();
        for (size_t i = 0; i < img.layers.size(); ++i) {
          std::string name = std::to_string(i) + "/layer.tar";
          entries.push_back(ArchiveFile(name, img.layers[i]));
          layers.push_back(name);
        }
        entries.push_back(ArchiveFile("config.json", img.config));
        entries.push_back(ArchiveFile(
            "manifest.json",
            json::array({{{"Config", "config.json"}, {"RepoTags", {"web:1"}}, {"Layers", layers}}})
                .dump()));
        testing::WriteArchive(path, entries);
        break;
      }
    }
    return store_->Import(path);
  }

  // Imports `img`, expects a refusal, and checks the store is exactly as before.
  Error ImportIsRefused(const HandImage& img, Format format) {
    auto before = Snapshot(store_->root());
    auto r = Import(img, format);
    EXPECT_FALSE(r.ok()) << "imported as " << r->tags.begin()->first;
    EXPECT_EQ(Snapshot(store_->root()), before) << "the store changed";
    EXPECT_EQ(testing::CountFiles(store_->root() + "/cairn/ingest"), 0u);
    return r.ok() ? Error{} : r.error();
  }

  // A good image already in the store, so "as it was" is not merely "empty".
  void ImportAGoodImageFirst() {
    HandImage good;
    auto r = store_->Import(WriteGood(good));
    ASSERT_TRUE(r.ok()) << r.error().ToString();
  }
  std::string WriteGood(const HandImage& good) {
    const std::string path = tmp_ / "good.tar";
    testing::WriteArchive(path,
                          testing::OciArchive(IndexOf({good.Descriptor("good:1")}), good.Blobs()));
    return path;
  }

  TempDir tmp_;
  std::unique_ptr<ImageStore> store_;
  int n_ = 0;
};

TEST_P(ImportUnpackableTest, IsRefusedNamingTheLayerAndTheEntryAndLeavesTheStoreAsItWas) {
  const auto& [format, c] = GetParam();
  ImportAGoodImageFirst();
  HandImage img(c.layers);
  Error e = ImportIsRefused(img, format);
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument) << e.ToString();
  EXPECT_NE(e.message.find(c.message), std::string::npos) << e.ToString();
  if (c.bad_layer < img.layers.size()) {
    EXPECT_NE(e.context.find("layer " + Digest(img.layers[c.bad_layer])), std::string::npos)
        << e.ToString();
  }
  if (!c.entry.empty()) {
    EXPECT_NE(e.context.find("entry '" + c.entry + "'"), std::string::npos) << e.ToString();
  }
  auto list = store_->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().tag, "good:1");
}

INSTANTIATE_TEST_SUITE_P(EveryFormatAndClass, ImportUnpackableTest,
                         ::testing::Combine(::testing::Values(Format::kOciArchive,
                                                              Format::kOciLayout,
                                                              Format::kDockerArchive),
                                            ::testing::ValuesIn(Cases())),
                         [](const auto& info) {
                           return FormatName(std::get<0>(info.param)) + "_" +
                                  std::get<1>(info.param).name;
                         });

class ImportLayerRulesTest : public ImportUnpackableTest {};

TEST_F(ImportLayerRulesTest, ATruncatedLayerIsRefusedInEveryFormat) {
  std::string tar = testing::BuildHostileLayer({LayerFile("big", std::string(8192, 'x'))});
  HandImage img = HandImage::FromTars({tar.substr(0, 2048)});
  for (Format format : {Format::kOciArchive, Format::kOciLayout, Format::kDockerArchive}) {
    Error e = ImportIsRefused(img, format);
    EXPECT_NE(e.message.find("cannot read the layer"), std::string::npos)
        << FormatName(format) << ": " << e.ToString();
    EXPECT_NE(e.context.find("layer " + Digest(img.layer())), std::string::npos)
        << FormatName(format) << ": " << e.ToString();
  }
}

TEST_F(ImportLayerRulesTest, ASymlinkAnUpperLayerReplacesWithADirectoryIsFine) {
  // The check follows the tree, not the names: once "etc" is a directory again, writing into it
  // is what any unpacker does.
  HandImage img({{LayerSymlink("etc", "/etc")},
                 {LayerDir("etc"), LayerFile("etc/passwd", "x")},
                 {LayerFile("etc/.wh..wh..opq"), LayerFile("etc/group", "y")}});
  auto r = Import(img, Format::kOciArchive);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->tags.at("web:1"), Digest(img.manifest));
}

TEST_F(ImportLayerRulesTest, ABombStopsAtTheStoresUnpackLimits) {
  Open(StoreOptions{.root = tmp_ / "small", .unpack_limits = {.max_bytes = 1 << 20}});
  HandImage img({{testing::LayerZeros("zeros", 2 << 20)}}, LayerCompression::kGzip);
  Error e = ImportIsRefused(img, Format::kOciArchive);
  EXPECT_NE(e.message.find("past the cap of 1048576"), std::string::npos) << e.ToString();
}

TEST_F(ImportLayerRulesTest, TheLimitsCountOverTheWholeImage) {
  Open(StoreOptions{.root = tmp_ / "small", .unpack_limits = {.max_entries = 3}});
  HandImage img({{LayerFile("a"), LayerFile("b")}, {LayerFile("c"), LayerFile("d")}});
  Error e = ImportIsRefused(img, Format::kOciLayout);
  EXPECT_NE(e.message.find("max_entries"), std::string::npos) << e.ToString();
  EXPECT_NE(e.context.find("layer " + Digest(img.layers[1])), std::string::npos) << e.ToString();
}

TEST_F(ImportLayerRulesTest, AnArchiveLeavesNoBlobItsImagesDoNotNeed) {
  // A docker archive carries legacy per-layer files (VERSION, json); only the image's blobs stay.
  HandImage img;
  std::vector<HostileEntry> entries = {
      ArchiveFile("abc/layer.tar", img.layer()), ArchiveFile("abc/VERSION", "1.0"),
      ArchiveFile("abc/json", "{}"), ArchiveFile("config.json", img.config),
      ArchiveFile("manifest.json", json::array({{{"Config", "config.json"},
                                                 {"RepoTags", {"web:1"}},
                                                 {"Layers", {"abc/layer.tar"}}}})
                                       .dump())};
  testing::WriteArchive(tmp_ / "docker.tar", entries);
  auto r = store_->Import(tmp_ / "docker.tar");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(store_->Usage()->blobs, 3u);  // layer, config, manifest
}

TEST_F(ImportLayerRulesTest, VerifyReportsALayerThatCannotBeUnpacked) {
  // An image that entered the store some other way (an older cairn, a copy of the directory).
  HandImage img({{LayerSymlink("etc", "/etc")}, {LayerFile("etc/passwd", "x")}});
  for (const std::string& blob : {img.layers[0], img.layers[1], img.config, img.manifest}) {
    ASSERT_TRUE(store_->PutBlob(blob).ok());
  }
  ASSERT_TRUE(store_->Tag("web:1", Digest(img.manifest)).ok());
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  ASSERT_EQ(report->problems.size(), 1u);
  const BlobProblem& p = report->problems[0];
  EXPECT_EQ(p.digest, Digest(img.layers[1]));
  EXPECT_EQ(p.referrer, "tag web:1");
  EXPECT_NE(p.problem.find("cannot be unpacked"), std::string::npos) << p.ToString();
  EXPECT_NE(p.problem.find("entry 'etc/passwd'"), std::string::npos) << p.ToString();
  EXPECT_NE(p.problem.find("'etc' is a symbolic link"), std::string::npos) << p.ToString();

  auto one = store_->Verify("web:1");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->problems.size(), 1u);
}

}  // namespace
}  // namespace cairn::image
