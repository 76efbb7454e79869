// Import of hand-made archives and layouts, hostile ones included: each is refused with an error
// naming what is wrong, and nothing is tagged.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "image/import_testing.h"
#include "image/oci_types.h"
#include "image/store.h"

namespace cairn::image {
namespace {

using nlohmann::json;
using testing::ArchiveFile;
using testing::BlobEntry;
using testing::Digest;
using testing::HandImage;
using testing::HostileEntry;
using testing::IndexOf;
using testing::OciArchive;
using testing::TempDir;

class ImportHostileTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(StoreOptions{.root = tmp_ / "store"}); }
  void Open(StoreOptions options) {
    auto store = ImageStore::Open(std::move(options));
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    store_ = std::move(*store);
  }

  // Imports the archive made of `entries`; expects failure and returns the error.
  Error ImportFails(const std::vector<HostileEntry>& entries, ImportOptions options = {}) {
    const std::string path = tmp_ / ("archive-" + std::to_string(++n_) + ".tar");
    testing::WriteArchive(path, entries);
    auto r = store_->Import(path, options);
    EXPECT_FALSE(r.ok()) << "imported " << r->digests.size() << " images";
    ExpectNoTags();
    return r.ok() ? Error{} : r.error();
  }
  Result<ImportReport> Import(const std::vector<HostileEntry>& entries,
                              ImportOptions options = {}) {
    const std::string path = tmp_ / ("archive-" + std::to_string(++n_) + ".tar");
    testing::WriteArchive(path, entries);
    return store_->Import(path, options);
  }
  void ExpectNoTags() {
    auto list = store_->List();
    ASSERT_TRUE(list.ok());
    EXPECT_TRUE(list->empty()) << list->front().tag;
  }

  TempDir tmp_;
  std::unique_ptr<ImageStore> store_;
  int n_ = 0;
};

TEST_F(ImportHostileTest, HandMadeOciArchiveImports) {
  HandImage img;
  auto r = Import(OciArchive(IndexOf({img.Descriptor("web:1")}), img.Blobs()));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->format, "oci-archive");
  EXPECT_EQ(r->tags.at("web:1"), Digest(img.manifest));
  EXPECT_EQ(*store_->Resolve("web:1"), Digest(img.manifest));
}

TEST_F(ImportHostileTest, TraversalEntryNameIsRefused) {
  HandImage img;
  auto entries = OciArchive(IndexOf({img.Descriptor("web:1")}), img.Blobs());
  entries.push_back(ArchiveFile("blobs/../../evil", "x"));
  Error e = ImportFails(entries);
  EXPECT_NE(e.message.find("\"..\""), std::string::npos) << e.ToString();
  EXPECT_NE(e.context.find("blobs/../../evil"), std::string::npos) << e.ToString();
}

TEST_F(ImportHostileTest, AbsoluteEntryNameIsRefused) {
  HandImage img;
  auto entries = OciArchive(IndexOf({img.Descriptor("web:1")}), img.Blobs());
  entries.insert(entries.begin(), ArchiveFile("/etc/cron.d/evil", "x"));
  Error e = ImportFails(entries);
  EXPECT_NE(e.message.find("absolute"), std::string::npos) << e.ToString();
}

TEST_F(ImportHostileTest, SymlinkOutOfTheArchiveIsRefused) {
  HandImage img;
  auto entries = OciArchive(IndexOf({img.Descriptor("web:1")}), img.Blobs());
  entries.push_back(testing::LayerSymlink("layer.tar", "../../etc/shadow"));
  Error e = ImportFails(entries);
  EXPECT_NE(e.message.find("leaves the archive"), std::string::npos) << e.ToString();
}

TEST_F(ImportHostileTest, DuplicateEntryNameIsRefused) {
  HandImage img;
  auto entries = OciArchive(IndexOf({img.Descriptor("web:1")}), img.Blobs());
  entries.push_back(ArchiveFile("index.json", IndexOf({})));
  Error e = ImportFails(entries);
  EXPECT_NE(e.message.find("twice"), std::string::npos) << e.ToString();
}

TEST_F(ImportHostileTest, BlobWhoseContentDoesNotMatchItsNameIsRefused) {
  HandImage img;
  auto entries = OciArchive(IndexOf({img.Descriptor("web:1")}),
                            {BlobEntry(img.config), BlobEntry(img.manifest)});
  entries.push_back(ArchiveFile("blobs/sha256/" + Digest(img.layer()).substr(7), "tampered"));
  Error e = ImportFails(entries);
  EXPECT_NE(e.message.find("does not match its digest"), std::string::npos) << e.ToString();
  EXPECT_NE(e.message.find(Digest(img.layer())), std::string::npos) << e.ToString();
}

TEST_F(ImportHostileTest, MissingBlobIsRefused) {
  HandImage img;
  Error e = ImportFails(OciArchive(IndexOf({img.Descriptor("web:1")}),
                                   {BlobEntry(img.config), BlobEntry(img.manifest)}));
  EXPECT_EQ(e.code, ErrorCode::kNotFound);
  EXPECT_EQ(e.context, Digest(img.layer()));
}

TEST_F(ImportHostileTest, OversizedManifestIsRefused) {
  Open(StoreOptions{.root = tmp_ / "small", .max_document_size = 4096});
  HandImage img(LayerCompression::kNone, "", std::string(8000, 'x'));
  Error e = ImportFails(OciArchive(IndexOf({img.Descriptor("web:1")}), img.Blobs()));
  EXPECT_NE(e.message.find("over the 4096-byte cap"), std::string::npos) << e.ToString();
  EXPECT_EQ(e.context, Digest(img.manifest));
}

TEST_F(ImportHostileTest, OversizedIndexJsonIsRefused) {
  Open(StoreOptions{.root = tmp_ / "small", .max_document_size = 4096});
  HandImage img;
  json d = img.Descriptor("web:1");
  d["annotations"]["pad"] = std::string(8000, 'x');
  Error e = ImportFails(OciArchive(IndexOf({d}), img.Blobs()));
  EXPECT_NE(e.message.find("cap"), std::string::npos) << e.ToString();
}

TEST_F(ImportHostileTest, AmbiguousManifestIsRefused) {
  HandImage img;
  json m = json::parse(img.manifest);
  m["manifests"] = json::array();
  img.manifest = m.dump();
  Error e = ImportFails(OciArchive(IndexOf({img.Descriptor("web:1")}), img.Blobs()));
  EXPECT_NE(e.message.find("ambiguous"), std::string::npos) << e.ToString();
}

TEST_F(ImportHostileTest, LayerWhoseDiffIdLiesIsRefused) {
  HandImage img(LayerCompression::kGzip, Digest("something else"));
  Error e = ImportFails(OciArchive(IndexOf({img.Descriptor("web:1")}), img.Blobs()));
  EXPECT_NE(e.message.find("rootfs.diff_ids[0] says " + Digest("something else")),
            std::string::npos)
      << e.ToString();
}

json NestedIndex(const std::vector<std::pair<json, std::string>>& entries) {
  json ms = json::array();
  for (const auto& [desc, platform] : entries) {
    json d = desc;
    size_t slash = platform.find('/');
    d["platform"] = {{"os", platform.substr(0, slash)},
                     {"architecture", platform.substr(slash + 1)}};
    ms.push_back(d);
  }
  return {{"schemaVersion", 2}, {"mediaType", kMediaTypeImageIndex}, {"manifests", ms}};
}

json IndexDescriptor(const std::string& bytes, const std::string& ref_name) {
  return {{"mediaType", kMediaTypeImageIndex},
          {"digest", Digest(bytes)},
          {"size", bytes.size()},
          {"annotations", {{std::string(kAnnotationRefName), ref_name}}}};
}

TEST_F(ImportHostileTest, NestedIndexResolvesToTheRequestedPlatform) {
  HandImage img;
  std::string nested =
      NestedIndex({{HandImage().Descriptor(), "linux/amd64"}}).dump();  // the same image
  json other = img.Descriptor();
  other["digest"] = Digest("an arm64 manifest the archive does not hold");
  std::string index =
      NestedIndex({{other, "linux/arm64"}, {img.Descriptor(), "linux/amd64"}}).dump();
  auto blobs = img.Blobs();
  blobs.push_back(BlobEntry(index));
  auto r = Import(OciArchive(IndexOf({IndexDescriptor(index, "web:multi")}), blobs),
                  ImportOptions{.architecture = "amd64"});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->tags.at("web:multi"), Digest(img.manifest));
}

TEST_F(ImportHostileTest, NestedIndexWithoutTheRequestedPlatformIsRefused) {
  HandImage img;
  std::string index =
      NestedIndex({{img.Descriptor(), "linux/s390x"}, {img.Descriptor(), "windows/amd64"}}).dump();
  auto blobs = img.Blobs();
  blobs.push_back(BlobEntry(index));
  Error e = ImportFails(OciArchive(IndexOf({IndexDescriptor(index, "web:multi")}), blobs),
                        ImportOptions{.architecture = "amd64"});
  EXPECT_EQ(e.code, ErrorCode::kNotFound);
  EXPECT_NE(e.message.find("no manifest for linux/amd64 (it offers linux/s390x, windows/amd64)"),
            std::string::npos)
      << e.ToString();
}

TEST_F(ImportHostileTest, BareTagNeedsAnExplicitTag) {
  HandImage img;
  auto entries = OciArchive(IndexOf({img.Descriptor("v1")}), img.Blobs());
  Error e = ImportFails(entries);
  EXPECT_NE(e.message.find("--tag"), std::string::npos) << e.ToString();
  auto r = Import(entries, ImportOptions{.tag = "web:v1"});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(*store_->Resolve("web:v1"), Digest(img.manifest));
}

TEST_F(ImportHostileTest, SourceRefPicksOneImage) {
  HandImage img;
  HandImage other(LayerCompression::kGzip);
  auto blobs = img.Blobs();
  blobs.push_back(BlobEntry(other.layer()));  // the config is the same: same diff_id
  blobs.push_back(BlobEntry(other.manifest));
  auto entries = OciArchive(IndexOf({img.Descriptor("web:1"), other.Descriptor("web:2")}), blobs);
  EXPECT_EQ(ImportFails(entries, ImportOptions{.tag = "x:1"}).code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ImportFails(entries, ImportOptions{.source_ref = "web:9"}).code, ErrorCode::kNotFound);
  auto r = Import(entries, ImportOptions{.tag = "x:1", .source_ref = "web:2"});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->tags.size(), 1u);
  EXPECT_EQ(r->tags.at("x:1"), Digest(other.manifest));
}

TEST_F(ImportHostileTest, UnknownFormatsAreRefused) {
  Error e = ImportFails({ArchiveFile("README", "hello")});
  EXPECT_NE(e.message.find("neither oci-layout"), std::string::npos) << e.ToString();
  testing::WriteFile(tmp_ / "junk", "this is not an archive at all");
  auto r = store_->Import(tmp_ / "junk");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << r.error().ToString();
  ::mkdir((tmp_ / "plain-dir").c_str(), 0755);
  r = store_->Import(tmp_ / "plain-dir");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no oci-layout"), std::string::npos);
}

TEST_F(ImportHostileTest, TagAllMovesNoTagWhenOneImageIsIncomplete) {
  HandImage img;
  ASSERT_TRUE(Import(OciArchive(IndexOf({img.Descriptor("web:1")}), img.Blobs())).ok());
  HandImage partial(LayerCompression::kGzip);  // manifest stored, its layer never was
  ASSERT_TRUE(store_->PutBlob(partial.manifest).ok());
  Status s = store_->TagAll({{"web:2", Digest(img.manifest)}, {"web:3", Digest(partial.manifest)}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().context, Digest(partial.layer()));
  EXPECT_EQ(store_->List()->size(), 1u);  // only web:1, from the import
  EXPECT_FALSE(store_->Resolve("web:2").ok());
}

TEST_F(ImportHostileTest, UnsupportedLayoutVersionIsRefused) {
  HandImage img;
  auto entries = OciArchive(IndexOf({img.Descriptor("web:1")}), img.Blobs());
  entries[0] = ArchiveFile("oci-layout", R"({"imageLayoutVersion":"2.0.0"})");
  Error e = ImportFails(entries);
  EXPECT_NE(e.message.find("imageLayoutVersion"), std::string::npos) << e.ToString();
}

}  // namespace
}  // namespace cairn::image
