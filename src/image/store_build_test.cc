#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <clocale>
#include <map>

#include "image/image_test_util.h"
#include "image/store.h"

namespace cairn::image {
namespace {

using testing::TempDir;
using testing::WriteFile;

struct TarEntry {
  std::string type;  // "file", "dir", "symlink", "hardlink"
  int mode = 0;
  int64_t uid = -1, gid = -1, mtime = -1;
  std::string uname, gname, content, link;
};

// Reads a (compressed) layer back with libarchive, in archive order.
std::vector<std::pair<std::string, TarEntry>> ReadLayer(const std::string& path) {
  std::vector<std::pair<std::string, TarEntry>> out;
  struct archive* a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_filename(a, path.c_str(), 65536), ARCHIVE_OK);
  struct archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    TarEntry t;
    mode_t ft = archive_entry_filetype(e);
    t.type = ft == AE_IFDIR ? "dir" : ft == AE_IFLNK ? "symlink" : "file";
    if (archive_entry_hardlink(e) != nullptr) t.type = "hardlink";
    t.mode = archive_entry_perm(e);
    t.uid = archive_entry_uid(e);
    t.gid = archive_entry_gid(e);
    t.mtime = archive_entry_mtime(e);
    t.uname = archive_entry_uname(e) ? archive_entry_uname(e) : "";
    t.gname = archive_entry_gname(e) ? archive_entry_gname(e) : "";
    if (archive_entry_symlink(e)) t.link = archive_entry_symlink(e);
    char buf[4096];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) t.content.append(buf, n);
    out.emplace_back(archive_entry_pathname(e), t);
  }
  archive_read_free(a);
  return out;
}

class StoreBuildTest : public ::testing::Test {
 protected:
  std::unique_ptr<ImageStore> OpenStore(const std::string& root) {
    auto s = ImageStore::Open(StoreOptions{.root = root});
    EXPECT_TRUE(s.ok()) << s.error().ToString();
    return std::move(*s);
  }
  // The same small tree, laid out at `dir` with the given owner, time and permission noise.
  static void MakeTree(const std::string& dir, uid_t owner, time_t mtime, bool hardlink) {
    WriteFile(dir + "/bin/app", "#!/bin/sh\necho hi\n", owner == 0 ? 0755 : 0700);
    WriteFile(dir + "/etc/app.conf", "port = 8080\n", owner == 0 ? 0644 : 0600);
    WriteFile(dir + "/b-first", "b\n", 0664);
    std::string big(3 << 20, 'x');  // several read chunks
    WriteFile(dir + "/data/big.bin", big, 0644);
    ::symlink("../etc/app.conf", (dir + "/bin/conf").c_str());
    if (hardlink) {
      ::link((dir + "/etc/app.conf").c_str(), (dir + "/etc/copy.conf").c_str());
    } else {
      WriteFile(dir + "/etc/copy.conf", "port = 8080\n", 0644);
    }
    ::mkdir((dir + "/empty").c_str(), owner == 0 ? 0755 : 0700);
    for (const char* p : {"/bin/app", "/etc/app.conf", "/etc/copy.conf", "/b-first",
                          "/data/big.bin", "/bin/conf", "/empty", "/bin", "/etc", "/data"}) {
      std::string path = dir + p;
      ::lchown(path.c_str(), owner, owner);
      struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
      ::utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW);
    }
  }
  TempDir tmp_;
};

TEST_F(StoreBuildTest, SameTreeGivesTheSameDigestWhateverPathOwnerTimeOrLinks) {
  MakeTree(tmp_ / "one/src", 0, 1000, /*hardlink=*/true);
  MakeTree(tmp_ / "two/elsewhere/src", 1234, 1700000000, /*hardlink=*/false);
  auto store1 = OpenStore(tmp_ / "one/store");
  auto store2 = OpenStore(tmp_ / "two/store");
  BuildOptions opts{.tag = "web:1", .entrypoint = {"/bin/app"}, .env = {"A=1"}, .workdir = "/"};
  auto d1 = store1->Build(tmp_ / "one/src", opts);
  ASSERT_TRUE(d1.ok()) << d1.error().ToString();
  auto d2 = store2->Build(tmp_ / "two/elsewhere/src", opts);
  ASSERT_TRUE(d2.ok()) << d2.error().ToString();
  EXPECT_EQ(*d1, *d2);

  // A changed byte is a different image.
  WriteFile(tmp_ / "two/elsewhere/src/etc/app.conf", "port = 8081\n");
  auto d3 = store2->Build(tmp_ / "two/elsewhere/src", opts);
  ASSERT_TRUE(d3.ok());
  EXPECT_NE(*d1, *d3);
  // So is a changed config.
  opts.cmd = {"--verbose"};
  auto d4 = store1->Build(tmp_ / "one/src", opts);
  ASSERT_TRUE(d4.ok());
  EXPECT_NE(*d1, *d4);
}

TEST_F(StoreBuildTest, LayerEntriesAreNormalizedSortedAndKeepSymlinks) {
  MakeTree(tmp_ / "src", 1234, 1700000000, /*hardlink=*/true);
  auto store = OpenStore(tmp_ / "store");
  auto digest = store->Build(tmp_ / "src", BuildOptions{.source_date_epoch = 42});
  ASSERT_TRUE(digest.ok()) << digest.error().ToString();
  auto info = store->Inspect(*digest);
  ASSERT_TRUE(info.ok()) << info.error().ToString();
  ASSERT_EQ(info->manifest.layers.size(), 1u);
  EXPECT_EQ(info->manifest.layers[0].media_type, kMediaTypeLayerGzip);
  EXPECT_EQ(info->config.created, "1970-01-01T00:00:42Z");
  auto path = store->LayerPath(info->manifest.layers[0]);
  ASSERT_TRUE(path.ok());

  auto entries = ReadLayer(*path);
  std::vector<std::string> names;
  for (const auto& [name, e] : entries) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"b-first", "bin/", "bin/app", "bin/conf", "data/",
                                             "data/big.bin", "empty/", "etc/", "etc/app.conf",
                                             "etc/copy.conf"}));
  std::map<std::string, TarEntry> by_name(entries.begin(), entries.end());
  for (const auto& [name, e] : entries) {
    EXPECT_EQ(e.uid, 0) << name;
    EXPECT_EQ(e.gid, 0) << name;
    EXPECT_EQ(e.uname, "") << name;
    EXPECT_EQ(e.gname, "") << name;
    EXPECT_EQ(e.mtime, 42) << name;
  }
  EXPECT_EQ(by_name["bin/app"].mode, 0755);
  EXPECT_EQ(by_name["empty/"].mode, 0755);
  EXPECT_EQ(by_name["etc/app.conf"].mode, 0644);
  EXPECT_EQ(by_name["b-first"].mode, 0644);  // group write dropped
  EXPECT_EQ(by_name["bin/conf"].type, "symlink");
  EXPECT_EQ(by_name["bin/conf"].link, "../etc/app.conf");
  EXPECT_EQ(by_name["etc/copy.conf"].type, "file");  // a hard link becomes a copy
  EXPECT_EQ(by_name["etc/copy.conf"].content, "port = 8080\n");
  EXPECT_EQ(by_name["data/big.bin"].content.size(), 3u << 20);

  // No timestamp and no file name in the gzip header (bytes 4-7 MTIME, FLG bit 3 FNAME).
  std::string gz = testing::ReadFile(*path);
  ASSERT_GT(gz.size(), 10u);
  EXPECT_EQ(gz.substr(4, 4), std::string(4, '\0'));
  EXPECT_EQ(gz[3] & 0x08, 0);
}

TEST_F(StoreBuildTest, ZstdLayersAreDeterministicToo) {
  MakeTree(tmp_ / "a", 0, 5, false);
  MakeTree(tmp_ / "b", 77, 99999, true);
  auto s1 = OpenStore(tmp_ / "s1");
  auto s2 = OpenStore(tmp_ / "s2");
  BuildOptions opts{.compression = Compression::kZstd};
  auto d1 = s1->Build(tmp_ / "a", opts);
  auto d2 = s2->Build(tmp_ / "b", opts);
  ASSERT_TRUE(d1.ok()) << d1.error().ToString();
  ASSERT_TRUE(d2.ok());
  EXPECT_EQ(*d1, *d2);
  auto info = s1->Inspect(*d1);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->manifest.layers[0].media_type, kMediaTypeLayerZstd);
  EXPECT_EQ(ReadLayer(*s1->LayerPath(info->manifest.layers[0])).size(), 10u);
  // Same tree: the diff_id does not depend on the compression.
  auto gz = s1->Build(tmp_ / "a", BuildOptions{});
  ASSERT_TRUE(gz.ok());
  EXPECT_EQ(s1->Inspect(*gz)->config.diff_ids, info->config.diff_ids);
}

TEST_F(StoreBuildTest, NonAsciiNamesAreStoredAsTheirBytes) {
  WriteFile(tmp_ / "src/caf\xc3\xa9.txt", "utf-8 name");
  WriteFile(tmp_ / "src/raw\xff.bin", "not utf-8");
  WriteFile(tmp_ / "src/" + std::string(120, 'n') + "/long", "needs a pax path");
  auto store = OpenStore(tmp_ / "store");
  auto digest = store->Build(tmp_ / "src", BuildOptions{});
  ASSERT_TRUE(digest.ok()) << digest.error().ToString();
  auto entries = ReadLayer(*store->LayerPath(store->Inspect(*digest)->manifest.layers[0]));
  std::vector<std::string> names;
  for (const auto& [name, e] : entries) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"caf\xc3\xa9.txt", std::string(120, 'n') + "/",
                                             std::string(120, 'n') + "/long", "raw\xff.bin"}));
}

TEST_F(StoreBuildTest, TheProcessLocaleDoesNotChangeTheDigest) {
  WriteFile(tmp_ / "src/caf\xc3\xa9.txt", "utf-8 name");
  WriteFile(tmp_ / "src/raw\xff.bin", "not utf-8");
  auto store = OpenStore(tmp_ / "store");
  auto in_c = store->Build(tmp_ / "src", BuildOptions{});
  ASSERT_TRUE(in_c.ok());
  std::string old = ::setlocale(LC_ALL, nullptr);
  if (::setlocale(LC_ALL, "C.UTF-8") == nullptr) GTEST_SKIP() << "no C.UTF-8 locale here";
  auto in_utf8 = store->Build(tmp_ / "src", BuildOptions{});
  ::setlocale(LC_ALL, old.c_str());
  ASSERT_TRUE(in_utf8.ok()) << in_utf8.error().ToString();
  EXPECT_EQ(*in_c, *in_utf8);
}

TEST_F(StoreBuildTest, SpecialFilesAreRefusedWithTheirPath) {
  WriteFile(tmp_ / "src/ok", "fine");
  ASSERT_EQ(::mkfifo((tmp_ / "src/pipe").c_str(), 0644), 0);
  auto store = OpenStore(tmp_ / "store");
  auto d = store->Build(tmp_ / "src", BuildOptions{.tag = "web:1"});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(d.error().context, tmp_ / "src/pipe");
  EXPECT_NE(d.error().message.find("FIFO"), std::string::npos);
  EXPECT_EQ(testing::CountFiles(tmp_ / "store/cairn/ingest"), 0u);
  EXPECT_FALSE(store->Resolve("web:1").ok());
}

TEST_F(StoreBuildTest, BadOptionsAreRefusedBeforeBuilding) {
  WriteFile(tmp_ / "src/f", "x");
  auto store = OpenStore(tmp_ / "store");
  EXPECT_FALSE(store->Build(tmp_ / "src", BuildOptions{.tag = "Bad:Tag"}).ok());
  EXPECT_FALSE(store->Build(tmp_ / "src", BuildOptions{.env = {"NOEQUALS"}}).ok());
  EXPECT_FALSE(store->Build(tmp_ / "missing", BuildOptions{}).ok());
  EXPECT_FALSE(store->Build(tmp_ / "src/f", BuildOptions{}).ok());
}

}  // namespace
}  // namespace cairn::image
