#include "image/import_tar.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <vector>

#include "core/sha256.h"

namespace cairn::image::import_internal {
namespace {

struct ReadFree {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
using ReaderPtr = std::unique_ptr<struct archive, ReadFree>;

bool IsSmallFile(std::string_view name) {
  return name == "oci-layout" || name == "index.json" || name == "manifest.json" ||
         name == "repositories";
}

Error EntryError(std::string message, std::string_view name) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message),
                   "archive entry " + std::string(name));
}

Error ReadError(struct archive* a, const std::string& path) {
  const char* msg = archive_error_string(a);
  return MakeError(ErrorCode::kInvalidArgument,
                   std::string("cannot read the archive: ") + (msg ? msg : "libarchive error"),
                   path);
}

// A symlink target relative to the link's directory, resolved inside the archive root.
Result<std::string> ResolveSymlink(const std::string& link_name, std::string_view target) {
  if (target.empty() || target.front() == '/') {
    return EntryError("symlink target \"" + std::string(target) + "\" is absolute or empty",
                      link_name);
  }
  std::vector<std::string> parts;
  size_t slash = link_name.rfind('/');
  std::string joined = slash == std::string::npos
                           ? std::string(target)
                           : link_name.substr(0, slash + 1) + std::string(target);
  size_t start = 0;
  while (start <= joined.size()) {
    size_t end = joined.find('/', start);
    if (end == std::string::npos) end = joined.size();
    std::string part = joined.substr(start, end - start);
    if (part == "..") {
      if (parts.empty()) {
        return EntryError("symlink target \"" + std::string(target) + "\" leaves the archive",
                          link_name);
      }
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = end + 1;
  }
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

// Blob entries are named by their digest; anything else is named by the archive's own scheme.
BlobExpectation ExpectationFor(const std::string& name) {
  constexpr std::string_view kPrefix = "blobs/sha256/";
  BlobExpectation e;
  if (name.starts_with(kPrefix)) e.digest = "sha256:" + name.substr(kPrefix.size());
  return e;
}

}  // namespace

Result<std::string> NormalizeEntryName(std::string_view name) {
  if (!name.empty() && name.front() == '/') {
    return EntryError("absolute entry name; an image archive holds relative names only", name);
  }
  std::string out;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    std::string_view part = name.substr(start, end - start);
    if (part == "..") return EntryError("entry name has a \"..\" component", name);
    if (!part.empty() && part != ".") {
      if (!out.empty()) out += '/';
      out += part;
    }
    start = end + 1;
  }
  return out;
}

Result<BlobInfo> TarContents::Lookup(std::string_view name) const {
  std::string current(name);
  for (int hops = 0; hops < 16; ++hops) {
    if (auto b = blobs.find(current); b != blobs.end()) return b->second;
    auto l = links.find(current);
    if (l == links.end()) {
      return MakeError(ErrorCode::kNotFound, "the archive has no such file",
                       "archive entry " + std::string(name));
    }
    current = l->second;
  }
  return MakeError(ErrorCode::kInvalidArgument, "too many links in a row",
                   "archive entry " + std::string(name));
}

Result<TarContents> IngestTar(int fd, const std::string& path, ImportBatch& batch,
                              uint64_t max_document_size) {
  ReaderPtr reader(archive_read_new());
  archive_read_support_filter_all(reader.get());
  archive_read_support_format_tar(reader.get());
  if (archive_read_open_fd(reader.get(), fd, 1 << 16) != ARCHIVE_OK) {
    return ReadError(reader.get(), path);
  }
  TarContents out;
  std::set<std::string> seen;
  std::vector<char> buf(1 << 16);
  for (;;) {
    struct archive_entry* entry = nullptr;
    int rc = archive_read_next_header(reader.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) return ReadError(reader.get(), path);
    const char* raw_name = archive_entry_pathname(entry);
    auto name = NormalizeEntryName(raw_name ? raw_name : "");
    if (!name) return name.error();
    const mode_t type = archive_entry_filetype(entry);
    if (type == AE_IFDIR || name->empty()) continue;
    if (!seen.insert(*name).second) {
      return EntryError("the archive holds this name twice; refusing to guess which one counts",
                        *name);
    }
    if (const char* hard = archive_entry_hardlink(entry); hard != nullptr) {
      auto target = NormalizeEntryName(hard);
      if (!target) return target.error();
      out.links[*name] = *target;
      continue;
    }
    if (type == AE_IFLNK) {
      const char* target = archive_entry_symlink(entry);
      auto resolved = ResolveSymlink(*name, target ? target : "");
      if (!resolved) return resolved.error();
      out.links[*name] = *resolved;
      continue;
    }
    if (type != AE_IFREG) continue;  // never created on disk, so harmless; no image needs one

    if (IsSmallFile(*name)) {
      if (archive_entry_size_is_set(entry) &&
          static_cast<uint64_t>(archive_entry_size(entry)) > max_document_size) {
        return EntryError("is " + std::to_string(archive_entry_size(entry)) + " bytes, over the " +
                              std::to_string(max_document_size) + "-byte cap for image metadata",
                          *name);
      }
      std::string data;
      for (;;) {
        la_ssize_t n = archive_read_data(reader.get(), buf.data(), buf.size());
        if (n < 0) return ReadError(reader.get(), path);
        if (n == 0) break;
        data.append(buf.data(), static_cast<size_t>(n));
        if (data.size() > max_document_size) {
          return EntryError(
              "is over the " + std::to_string(max_document_size) + "-byte cap for image metadata",
              *name);
        }
      }
      out.small_files[*name] = std::move(data);
      continue;
    }
    auto writer = batch.NewWriter(ExpectationFor(*name));
    if (!writer) return writer.error();
    for (;;) {
      la_ssize_t n = archive_read_data(reader.get(), buf.data(), buf.size());
      if (n < 0) return ReadError(reader.get(), path);
      if (n == 0) break;
      if (Status s = (*writer)->Write(buf.data(), static_cast<size_t>(n)); !s) {
        return EntryError(s.error().ToString(), *name);
      }
    }
    auto info = batch.Add(std::move(*writer));
    if (!info) return EntryError(info.error().ToString(), *name);
    out.digests.insert(info->digest);
    out.blobs[*name] = *info;
  }
  return out;
}

}  // namespace cairn::image::import_internal
