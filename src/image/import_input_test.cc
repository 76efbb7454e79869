// What an import opens: inside an OCI layout nothing is followed through a symlink and nothing
// but a regular file is read, so a FIFO cannot stall the importing thread and a symlinked blob
// cannot pull a host file into the store.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "image/import_testing.h"
#include "image/store.h"

namespace cairn::image {
namespace {

using testing::Digest;
using testing::HandImage;
using testing::IndexOf;
using testing::TempDir;

// A FIFO at `path` with a writer thread offering `content`, as a hostile layout would have an
// accomplice do. An import that opened the FIFO the old way (blocking open, then read) would read
// `content` and carry on, so the tests below fail rather than hang on such a regression. The
// destructor opens the reading end itself, which releases a writer still waiting for a reader.
class FifoFeeder {
 public:
  FifoFeeder(std::string path, std::string content) : path_(std::move(path)) {
    ::signal(SIGPIPE, SIG_IGN);  // the import may close its end before the writer is done
    std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
    EXPECT_EQ(::mkfifo(path_.c_str(), 0644), 0) << path_;
    writer_ = std::thread([this, content = std::move(content)] {
      int fd = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);  // waits for a reader
      if (fd < 0) return;
      ssize_t n = ::write(fd, content.data(), content.size());
      (void)n;
      ::close(fd);
    });
  }
  ~FifoFeeder() {
    int reader = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    writer_.join();
    if (reader >= 0) ::close(reader);
  }

 private:
  std::string path_;
  std::thread writer_;
};

class ImportInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = ImageStore::Open(StoreOptions{.root = tmp_ / "store"});
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    store_ = std::move(*store);
  }
  // Imports `dir`, expects a refusal, and checks the store gained no tag.
  Error ImportFails(const std::string& dir) {
    auto r = store_->Import(dir, ImportOptions{.tag = "web:1"});
    EXPECT_FALSE(r.ok()) << "imported " << r->digests.size() << " images";
    EXPECT_TRUE(store_->List()->empty());
    return r.ok() ? Error{} : r.error();
  }

  TempDir tmp_;
  std::unique_ptr<ImageStore> store_;
  HandImage img_;
};

TEST_F(ImportInputTest, AHandMadeLayoutImports) {
  const std::string dir = tmp_ / "layout";
  testing::WriteLayout(dir, IndexOf({img_.Descriptor("web:1")}), img_.Blobs());
  auto r = store_->Import(dir);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->tags.at("web:1"), Digest(img_.manifest));
}

TEST_F(ImportInputTest, AFifoIndexJsonIsRefusedNotWaitedOn) {
  const std::string dir = tmp_ / "layout";
  testing::WriteLayout(dir, IndexOf({img_.Descriptor("web:1")}), img_.Blobs());
  ::unlink((dir + "/index.json").c_str());
  FifoFeeder fifo(dir + "/index.json", IndexOf({img_.Descriptor("web:1")}));
  Error e = ImportFails(dir);
  EXPECT_NE(e.message.find(dir + "/index.json is a FIFO, not a regular file"), std::string::npos)
      << e.ToString();
}

TEST_F(ImportInputTest, AFifoOciLayoutFileIsRefused) {
  const std::string dir = tmp_ / "layout";
  testing::WriteLayout(dir, IndexOf({img_.Descriptor("web:1")}), img_.Blobs());
  ::unlink((dir + "/oci-layout").c_str());
  FifoFeeder fifo(dir + "/oci-layout", testing::kOciLayoutFile);
  Error e = ImportFails(dir);
  EXPECT_NE(e.message.find(dir + "/oci-layout is a FIFO"), std::string::npos) << e.ToString();
}

TEST_F(ImportInputTest, AFifoBlobIsRefusedNamingIt) {
  const std::string dir = tmp_ / "layout";
  testing::WriteLayout(dir, IndexOf({img_.Descriptor("web:1")}), img_.Blobs());
  const std::string blob = dir + "/blobs/sha256/" + Digest(img_.layer()).substr(7);
  ::unlink(blob.c_str());
  FifoFeeder fifo(blob, img_.layer());
  Error e = ImportFails(dir);
  EXPECT_NE(e.message.find(blob + " is a FIFO, not a regular file"), std::string::npos)
      << e.ToString();
}

TEST_F(ImportInputTest, ASymlinkedBlobPointingOutsideTheLayoutIsRefused) {
  const std::string dir = tmp_ / "layout";
  testing::WriteLayout(dir, IndexOf({img_.Descriptor("web:1")}), img_.Blobs());
  // The "host file": outside the layout, and exactly the bytes the descriptor asks for, so only
  // the link itself can be the reason for a refusal.
  const std::string host_file = tmp_ / "host/secret";
  testing::WriteFile(host_file, img_.layer());
  const std::string blob = dir + "/blobs/sha256/" + Digest(img_.layer()).substr(7);
  ::unlink(blob.c_str());
  ASSERT_EQ(::symlink(host_file.c_str(), blob.c_str()), 0);
  Error e = ImportFails(dir);
  EXPECT_NE(e.message.find(blob + " is a symbolic link"), std::string::npos) << e.ToString();
}

TEST_F(ImportInputTest, ASymlinkedBlobsDirectoryIsRefused) {
  const std::string elsewhere = tmp_ / "elsewhere";
  testing::WriteLayout(elsewhere, IndexOf({img_.Descriptor("web:1")}), img_.Blobs());
  const std::string dir = tmp_ / "layout";
  testing::WriteLayout(dir, IndexOf({img_.Descriptor("web:1")}), {});
  std::filesystem::remove_all(dir + "/blobs");
  ASSERT_EQ(::symlink((elsewhere + "/blobs").c_str(), (dir + "/blobs").c_str()), 0);
  Error e = ImportFails(dir);
  EXPECT_NE(e.message.find(dir + "/blobs is a symbolic link"), std::string::npos) << e.ToString();
}

TEST_F(ImportInputTest, AFifoAsTheSourceItselfIsRefused) {
  const std::string path = tmp_ / "image.tar";
  FifoFeeder fifo(path, "");
  auto r = store_->Import(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find(path + " is a FIFO"), std::string::npos) << r.error().ToString();
}

TEST_F(ImportInputTest, AFifoInTheStoreDoesNotStallImageLs) {
  // Someone with write access to the data dir swaps index.json for a FIFO: `image ls` answers
  // with an error instead of waiting for a writer.
  const std::string index = store_->root() + "/index.json";
  ::unlink(index.c_str());
  FifoFeeder fifo(index, IndexOf({}));
  auto list = store_->List();
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.error().message.find("is a FIFO"), std::string::npos) << list.error().ToString();
}

}  // namespace
}  // namespace cairn::image
