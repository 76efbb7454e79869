// A fresh directory under /tmp for one test, removed with everything in it afterwards.
// Test-only; header-only so it never enters the library.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace cairn::state {

class TempDirForTest {
 public:
  TempDirForTest() {
    char pattern[] = "/tmp/cairn-state-test-XXXXXX";
    const char* made = mkdtemp(pattern);
    path_ = made != nullptr ? made : "";
  }
  ~TempDirForTest() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDirForTest(const TempDirForTest&) = delete;
  TempDirForTest& operator=(const TempDirForTest&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace cairn::state
