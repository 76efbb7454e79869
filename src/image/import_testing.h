// Test-only helpers for the import and export tests: running real OCI tools, writing archives
// with libarchive, and hand-made layouts. Header-only; include it from *_test.cc files only.
#pragma once

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/sha256.h"
#include "image/hostile_layers_testing.h"
#include "image/image_test_util.h"

namespace cairn::image::testing {

inline bool OnPath(const std::string& tool) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (::access((dir + "/" + tool).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// Runs `argv` (no shell expansion of our own temp paths), returning exit status and output.
inline std::pair<int, std::string> RunTool(const std::vector<std::string>& argv) {
  std::string cmd;
  for (const std::string& a : argv) cmd += "'" + a + "' ";
  cmd += "2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return {-1, "popen failed"};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

inline std::string Digest(const std::string& data) { return "sha256:" + Sha256Hex(data); }

// An archive entry holding `data`, for image archives built by tests.
inline HostileEntry ArchiveFile(std::string path, std::string data) {
  return LayerFile(std::move(path), std::move(data));
}
inline HostileEntry BlobEntry(const std::string& data) {
  return LayerFile("blobs/sha256/" + Sha256Hex(data), data);
}

// Writes a tar of `entries` at `path`.
inline void WriteArchive(const std::string& path, const std::vector<HostileEntry>& entries) {
  WriteFile(path, BuildHostileLayer(entries));
}

}  // namespace cairn::image::testing
