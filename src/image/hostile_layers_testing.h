// Test-only: builds layer tars in memory with libarchive's writer, including the hostile ones
// (traversal, absolute names, links out of the root, device nodes, bombs) no real tool would
// write. Header-only because the module's build turns every non-test .cc into the library;
// include it from *_test.cc files only.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "image/unpack.h"

namespace cairn::image::testing {

struct HostileEntry {
  enum class Type { kFile, kDir, kSymlink, kHardlink, kCharDevice, kBlockDevice, kFifo };
  Type type = Type::kFile;
  std::string path;
  std::string data;         // kFile contents
  uint64_t zero_bytes = 0;  // kFile: this many zero bytes after `data` (bombs, big files)
  std::string link;         // kSymlink / kHardlink target, as written in the archive
  mode_t mode = 0644;
};

inline HostileEntry LayerFile(std::string path, std::string data = "", mode_t mode = 0644) {
  return {HostileEntry::Type::kFile, std::move(path), std::move(data), 0, "", mode};
}
inline HostileEntry LayerDir(std::string path, mode_t mode = 0755) {
  return {HostileEntry::Type::kDir, std::move(path), "", 0, "", mode};
}
inline HostileEntry LayerSymlink(std::string path, std::string target) {
  return {HostileEntry::Type::kSymlink, std::move(path), "", 0, std::move(target), 0777};
}
inline HostileEntry LayerHardlink(std::string path, std::string target) {
  return {HostileEntry::Type::kHardlink, std::move(path), "", 0, std::move(target), 0644};
}
inline HostileEntry LayerZeros(std::string path, uint64_t bytes) {
  return {HostileEntry::Type::kFile, std::move(path), "", bytes, "", 0644};
}

// A tar (pax format, so long names survive) of `entries` in order, compressed as asked.
// Throws std::runtime_error if libarchive refuses: a broken test, not a tested outcome.
inline std::string BuildHostileLayer(const std::vector<HostileEntry>& entries,
                                     LayerCompression compression = LayerCompression::kNone) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (compression == LayerCompression::kGzip) archive_write_add_filter_gzip(a);
  if (compression == LayerCompression::kZstd) archive_write_add_filter_zstd(a);
  archive_write_set_bytes_in_last_block(a, 1);
  auto write_cb = [](archive*, void* self, const void* buf, size_t n) -> la_ssize_t {
    static_cast<std::string*>(self)->append(static_cast<const char*>(buf), n);
    return static_cast<la_ssize_t>(n);
  };
  if (archive_write_open(a, &out, nullptr, write_cb, nullptr) != ARCHIVE_OK) {
    throw std::runtime_error(archive_error_string(a));
  }
  const std::string zeros(1 << 16, '\0');
  for (const HostileEntry& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.path.c_str());
    archive_entry_set_perm(entry, e.mode);
    archive_entry_set_mtime(entry, 0, 0);
    switch (e.type) {
      case HostileEntry::Type::kFile:
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_size(entry, static_cast<la_int64_t>(e.data.size() + e.zero_bytes));
        break;
      case HostileEntry::Type::kDir:
        archive_entry_set_filetype(entry, AE_IFDIR);
        break;
      case HostileEntry::Type::kSymlink:
        archive_entry_set_filetype(entry, AE_IFLNK);
        archive_entry_set_symlink(entry, e.link.c_str());
        break;
      case HostileEntry::Type::kHardlink:
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_hardlink(entry, e.link.c_str());
        break;
      case HostileEntry::Type::kCharDevice:
        archive_entry_set_filetype(entry, AE_IFCHR);
        archive_entry_set_rdevmajor(entry, 1);
        archive_entry_set_rdevminor(entry, 3);
        break;
      case HostileEntry::Type::kBlockDevice:
        archive_entry_set_filetype(entry, AE_IFBLK);
        archive_entry_set_rdevmajor(entry, 7);
        break;
      case HostileEntry::Type::kFifo:
        archive_entry_set_filetype(entry, AE_IFIFO);
        break;
    }
    if (archive_write_header(a, entry) < ARCHIVE_WARN) {
      throw std::runtime_error(archive_error_string(a));
    }
    if (e.type == HostileEntry::Type::kFile) {
      archive_write_data(a, e.data.data(), e.data.size());
      for (uint64_t left = e.zero_bytes; left > 0;) {
        size_t n = left < zeros.size() ? static_cast<size_t>(left) : zeros.size();
        archive_write_data(a, zeros.data(), n);
        left -= n;
      }
    }
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

}  // namespace cairn::image::testing
