#include "image/oci_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "core/ids.h"
#include "image/file_util.h"

namespace cairn::image::import_internal {
namespace {

struct WriteFree {
  void operator()(struct archive* a) const { archive_write_free(a); }
};
using WriterPtr = std::unique_ptr<struct archive, WriteFree>;
struct EntryFree {
  void operator()(struct archive_entry* e) const { archive_entry_free(e); }
};
using EntryPtr = std::unique_ptr<struct archive_entry, EntryFree>;

constexpr std::string_view kOciLayout = R"({"imageLayoutVersion":"1.0.0"})";

Error WriteError(struct archive* a, const std::string& path) {
  const char* msg = archive_error_string(a);
  return MakeError(ErrorCode::kIo, std::string("write archive: ") + (msg ? msg : "libarchive"),
                   path);
}

// One entry with the fixed metadata that makes the archive reproducible.
EntryPtr NewEntry(const std::string& name, mode_t type, uint64_t size) {
  EntryPtr e(archive_entry_new());
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_filetype(e.get(), type);
  archive_entry_set_perm(e.get(), type == AE_IFDIR ? 0755 : 0644);
  archive_entry_set_mtime(e.get(), 0, 0);
  archive_entry_set_uid(e.get(), 0);
  archive_entry_set_gid(e.get(), 0);
  if (type == AE_IFREG) archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
  return e;
}

Status WriteMemoryFile(struct archive* a, const std::string& name, std::string_view data,
                       const std::string& path) {
  EntryPtr e = NewEntry(name, AE_IFREG, data.size());
  if (archive_write_header(a, e.get()) != ARCHIVE_OK) return WriteError(a, path);
  if (archive_write_data(a, data.data(), data.size()) < 0) return WriteError(a, path);
  return OkStatus();
}

Status WriteBlobFile(struct archive* a, const Descriptor& d, const ImageStore& store,
                     const std::string& path) {
  auto src = store.LayerPath(d);
  if (!src) return src.error();
  int fd = ::open(src->c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("open blob", *src, errno);
  EntryPtr e = NewEntry("blobs/sha256/" + d.digest.substr(7), AE_IFREG, d.size);
  Status status;
  if (archive_write_header(a, e.get()) != ARCHIVE_OK) status = WriteError(a, path);
  std::vector<char> buf(1 << 16);
  while (status) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) status = IoError("read blob", *src, errno);
    if (n <= 0) break;
    if (archive_write_data(a, buf.data(), static_cast<size_t>(n)) < 0) {
      status = WriteError(a, path);
    }
  }
  ::close(fd);
  return status;
}

}  // namespace

Status ArchiveSource::Fetch(const Descriptor& d) {
  if (!contents_.digests.contains(d.digest)) {
    return MakeError(ErrorCode::kNotFound, "the archive does not hold this blob", d.digest);
  }
  if (auto path = batch_.Path(d); !path) return path.error();  // checks the size
  return OkStatus();
}

Status WriteOciArchive(const std::string& path, const ImageStore& store,
                       const std::vector<Descriptor>& blobs, const std::string& index_json) {
  if (::access(path.c_str(), F_OK) == 0) {
    return MakeError(ErrorCode::kAlreadyExists, "refusing to overwrite an existing file", path);
  }
  std::vector<Descriptor> sorted = blobs;
  std::sort(sorted.begin(), sorted.end(),
            [](const Descriptor& a, const Descriptor& b) { return a.digest < b.digest; });
  sorted.erase(
      std::unique(sorted.begin(), sorted.end(),
                  [](const Descriptor& a, const Descriptor& b) { return a.digest == b.digest; }),
      sorted.end());

  const std::string tmp = path + ".tmp-" + RandomHexId(6);
  WriterPtr a(archive_write_new());
  archive_write_set_format_pax_restricted(a.get());
  archive_write_set_bytes_in_last_block(a.get(), 1);
  if (archive_write_open_filename(a.get(), tmp.c_str()) != ARCHIVE_OK) {
    return WriteError(a.get(), tmp);
  }
  auto write_all = [&]() -> Status {
    if (Status s = WriteMemoryFile(a.get(), "oci-layout", kOciLayout, path); !s) return s;
    if (Status s = WriteMemoryFile(a.get(), "index.json", index_json, path); !s) return s;
    for (const char* dir : {"blobs", "blobs/sha256"}) {
      EntryPtr e = NewEntry(dir, AE_IFDIR, 0);
      if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK) return WriteError(a.get(), path);
    }
    for (const Descriptor& d : sorted) {
      if (Status s = WriteBlobFile(a.get(), d, store, path); !s) return s;
    }
    if (archive_write_close(a.get()) != ARCHIVE_OK) return WriteError(a.get(), path);
    return OkStatus();
  };
  Status s = write_all();
  a.reset();
  if (s) {
    int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      s = FsyncFd(fd, tmp);
      ::close(fd);
    }
  }
  if (s && ::rename(tmp.c_str(), path.c_str()) != 0) s = IoError("rename", path, errno);
  if (!s) ::unlink(tmp.c_str());
  return s;
}

}  // namespace cairn::image::import_internal
