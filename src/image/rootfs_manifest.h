// RootfsManifest: what a prepared rootfs held when it was published — every entry's path,
// type, permission bits, size, content digest (files) and target (symlinks) — so a later check
// can tell whether anything in the shared tree changed since (integrity drift: someone with
// root wrote into an image's tree that every instance of it runs on).
//
// The scan never follows symlinks and works from directory descriptors, like the unpacker.
// Hashing reads every byte of every file: run it off any event loop.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"

namespace cairn::image {

struct TreeEntry {
  std::string path;    // relative, "/"-separated; "" is the root itself
  char type = 'f';     // 'f' file, 'd' directory, 'l' symlink, '?' anything else
  uint32_t mode = 0;   // permission bits (07777)
  uint64_t size = 0;   // files
  std::string digest;  // files: "sha256:<hex>" of the content
  std::string target;  // symlinks
  friend bool operator==(const TreeEntry&, const TreeEntry&) = default;
};

// Every entry below (and including) the directory `dir_fd`, sorted by path.
Result<std::vector<TreeEntry>> ScanTree(int dir_fd);

// One JSON object per line; ParseManifest reads it back (errors name the line).
std::string ManifestText(const std::vector<TreeEntry>& entries);
Result<std::vector<TreeEntry>> ParseManifest(const std::string& text);

// What differs, one line per entry, at most `limit` lines (then "... and N more"):
// "changed /bin/sh (content)", "added /etc/evil", "removed /www/index.html",
// "changed /bin (mode 0555 -> 0755)". Empty when the trees are the same.
std::vector<std::string> CompareTrees(const std::vector<TreeEntry>& expected,
                                      const std::vector<TreeEntry>& actual, size_t limit = 10);

}  // namespace cairn::image
