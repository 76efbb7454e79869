// Test-only fixture for the unpack tests: a temp dir holding the unpack root and a sentinel
// sibling, so each test can assert that nothing outside the root changed.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "image/hostile_layers_testing.h"
#include "image/unpack.h"

namespace cairn::image::testing {

namespace fs = std::filesystem;

class UnpackFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "cairn-unpack-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    base_ = tmpl;
    root_ = base_ / "root";
    fs::create_directory(root_);
    fs::create_directories(base_ / "sentinel" / "etc");
    std::ofstream(base_ / "sentinel" / "etc" / "passwd") << "root:x:0:0\n";
    root_fd_ = open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(root_fd_, 0);
    outside_before_ = Outside();
  }

  void TearDown() override {
    if (root_fd_ >= 0) close(root_fd_);
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(base_, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_symlink())
        fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
    fs::remove_all(base_, ec);
  }

  Result<UnpackStats> Apply(const std::vector<HostileEntry>& entries,
                            const UnpackLimits& limits = {}, std::string name = "layer-1",
                            LayerCompression compression = LayerCompression::kNone) {
    std::string bytes = BuildHostileLayer(entries, compression);
    return ApplyLayer(root_fd_, UnpackSource::Memory(bytes, name), compression, limits);
  }

  // Everything in the temp dir outside the root: path, type, size and link target.
  std::map<std::string, std::string> Outside() const {
    std::map<std::string, std::string> out;
    for (auto it = fs::recursive_directory_iterator(base_);
         it != fs::recursive_directory_iterator(); ++it) {
      if (it->path() == root_) {
        it.disable_recursion_pending();
        continue;
      }
      std::string what = it->is_symlink()     ? "link:" + fs::read_symlink(it->path()).string()
                         : it->is_directory() ? "dir"
                                              : "file:" + std::to_string(it->file_size());
      out[fs::relative(it->path(), base_).string()] = what;
    }
    return out;
  }

  void ExpectOutsideUntouched() const { EXPECT_EQ(Outside(), outside_before_); }

  std::string Read(const fs::path& rel) const {
    std::ifstream in(root_ / rel);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path base_;
  fs::path root_;
  int root_fd_ = -1;
  std::map<std::string, std::string> outside_before_;
};

}  // namespace cairn::image::testing
