#include "image/layer_builder.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <vector>

#include "image/file_util.h"
#include "image/input_file.h"
#include "image/oci_types.h"
#include "image/sha256_stream.h"

namespace cairn::image {
namespace {

struct ArchiveFree {
  void operator()(struct archive* a) const { archive_write_free(a); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveFree>;
struct EntryFree {
  void operator()(struct archive_entry* e) const { archive_entry_free(e); }
};
using EntryPtr = std::unique_ptr<struct archive_entry, EntryFree>;

// Two libarchive writers in a chain: the tar writer's output is hashed (diff_id) and fed as data
// to a "raw" writer whose only job is the compression filter; its output goes to the blob writer.
// libarchive has no stand-alone compressor API, and this keeps a single streaming pass.
struct Pipeline {
  struct archive* compressor = nullptr;
  BlobWriter* blob = nullptr;
  Sha256Stream tar_hash;
  Status status;  // the first error a callback met
};

la_ssize_t TarOut(struct archive*, void* ctx, const void* buf, size_t len) {
  auto* p = static_cast<Pipeline*>(ctx);
  p->tar_hash.Update(buf, len);
  la_ssize_t n = archive_write_data(p->compressor, buf, len);
  if (n < 0 && p->status) {
    p->status = MakeError(ErrorCode::kIo,
                          std::string("compress layer: ") + archive_error_string(p->compressor));
  }
  return n < 0 ? -1 : static_cast<la_ssize_t>(len);
}

la_ssize_t CompressedOut(struct archive*, void* ctx, const void* buf, size_t len) {
  auto* p = static_cast<Pipeline*>(ctx);
  if (Status s = p->blob->Write(buf, len); !s) {
    if (p->status) p->status = s;
    return -1;
  }
  return static_cast<la_ssize_t>(len);
}

Error ArchiveError(struct archive* a, std::string_view what, const std::string& path) {
  const char* msg = archive_error_string(a);
  return MakeError(ErrorCode::kIo, std::string(what) + ": " + (msg ? msg : "libarchive error"),
                   path);
}

// ARCHIVE_WARN is success with a note (e.g. a name that is not valid in the locale); anything
// lower is a failure.
bool Failed(int rc) { return rc < ARCHIVE_WARN; }

class TreeWriter {
 public:
  TreeWriter(struct archive* tar, int64_t mtime, Pipeline* pipe)
      : tar_(tar), mtime_(mtime), pipe_(pipe) {}

  // Writes the children of `abs` (a directory) whose archive prefix is `rel` ("" or "a/b/").
  Status WriteChildren(const std::string& abs, const std::string& rel) {
    auto names = SortedNames(abs);
    if (!names) return names.error();
    for (const std::string& name : *names) {
      std::string child_abs = abs + "/" + name;
      std::string child_rel = rel + name;
      struct stat st;
      if (::lstat(child_abs.c_str(), &st) != 0) return IoError("lstat", child_abs, errno);
      if (Status s = WriteEntry(child_abs, child_rel, st); !s) return s;
      if (S_ISDIR(st.st_mode)) {
        if (Status s = WriteChildren(child_abs, child_rel + "/"); !s) return s;
      }
    }
    return OkStatus();
  }

 private:
  static Result<std::vector<std::string>> SortedNames(const std::string& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return IoError("open directory", dir, errno);
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());  // bytewise: std::string compares as unsigned char
    return names;
  }

  Status WriteEntry(const std::string& abs, const std::string& rel, const struct stat& st) {
    EntryPtr e(archive_entry_new());
    archive_entry_set_pathname(e.get(), rel.c_str());
    archive_entry_set_uid(e.get(), 0);
    archive_entry_set_gid(e.get(), 0);
    archive_entry_set_mtime(e.get(), mtime_, 0);
    std::string target;
    if (S_ISDIR(st.st_mode)) {
      archive_entry_set_filetype(e.get(), AE_IFDIR);
      archive_entry_set_perm(e.get(), 0755);
    } else if (S_ISREG(st.st_mode)) {
      archive_entry_set_filetype(e.get(), AE_IFREG);
      archive_entry_set_perm(e.get(), (st.st_mode & 0111) ? 0755 : 0644);
      archive_entry_set_size(e.get(), st.st_size);
    } else if (S_ISLNK(st.st_mode)) {
      auto t = ReadLink(abs, st);
      if (!t) return t.error();
      target = std::move(*t);
      archive_entry_set_filetype(e.get(), AE_IFLNK);
      archive_entry_set_perm(e.get(), 0777);
      archive_entry_set_symlink(e.get(), target.c_str());
    } else {
      const char* kind = S_ISCHR(st.st_mode)    ? "character device"
                         : S_ISBLK(st.st_mode)  ? "block device"
                         : S_ISFIFO(st.st_mode) ? "FIFO"
                         : S_ISSOCK(st.st_mode) ? "socket"
                                                : "special file";
      return MakeError(ErrorCode::kInvalidArgument,
                       std::string("cannot put a ") + kind +
                           " into an image layer; remove it from the build directory",
                       abs);
    }
    if (Failed(archive_write_header(tar_, e.get()))) return Fail("write tar header", abs);
    if (S_ISREG(st.st_mode)) return CopyFile(abs, st);
    return OkStatus();
  }

  static Result<std::string> ReadLink(const std::string& abs, const struct stat& st) {
    std::string buf(static_cast<size_t>(st.st_size > 0 ? st.st_size : 255) + 1, '\0');
    ssize_t n = ::readlink(abs.c_str(), buf.data(), buf.size());
    if (n < 0) return IoError("readlink", abs, errno);
    if (static_cast<size_t>(n) == buf.size()) {
      return MakeError(ErrorCode::kIo, "symlink changed while building", abs);
    }
    buf.resize(static_cast<size_t>(n));
    return buf;
  }

  Status CopyFile(const std::string& abs, const struct stat& st) {
    // The entry was a regular file at lstat; a symlink or FIFO swapped in since is refused, not
    // followed or waited on (input_file.h).
    auto file = OpenInputFileNoFollow(abs);
    if (!file) return file.error();
    const int fd = file->get();
    std::unique_ptr<char[]> buf(new char[kChunk]);
    int64_t left = st.st_size;
    Status s;
    while (left > 0 && s) {
      ssize_t n = ::read(fd, buf.get(), static_cast<size_t>(std::min<int64_t>(left, kChunk)));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        s = IoError("read", abs, errno);
      } else if (n == 0) {
        s = MakeError(ErrorCode::kIo, "file shrank while building the layer", abs);
      } else if (archive_write_data(tar_, buf.get(), static_cast<size_t>(n)) < 0) {
        s = Fail("write tar data", abs);
      } else {
        left -= n;
      }
    }
    return s;
  }

  Error Fail(std::string_view what, const std::string& path) {
    if (!pipe_->status) return pipe_->status.error();
    return ArchiveError(tar_, what, path);
  }

  static constexpr int64_t kChunk = 1 << 20;
  struct archive* tar_;
  int64_t mtime_;
  Pipeline* pipe_;
};

}  // namespace

Result<LayerResult> BuildLayer(const std::string& dir, Compression compression, int64_t mtime,
                               const BlobStore& store) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return IoError("build directory", dir, errno);
  if (!S_ISDIR(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidArgument, "build source is not a directory", dir);
  }
  if (mtime < 0) {
    return MakeError(ErrorCode::kInvalidArgument, "layer mtime must not be negative");
  }
  auto writer = store.NewWriter();
  if (!writer) return writer.error();

  Pipeline pipe;
  pipe.blob = writer->get();
  LayerResult out;
  ArchivePtr comp(archive_write_new());
  pipe.compressor = comp.get();
  archive_write_set_format_raw(comp.get());
  int rc;
  if (compression == Compression::kGzip) {
    out.media_type = kMediaTypeLayerGzip;
    rc = archive_write_add_filter_gzip(comp.get());
    // gzip headers carry the current time unless told not to; that alone breaks determinism.
    if (!Failed(rc)) rc = archive_write_set_filter_option(comp.get(), "gzip", "timestamp", nullptr);
  } else {
    out.media_type = kMediaTypeLayerZstd;
    rc = archive_write_add_filter_zstd(comp.get());
  }
  if (Failed(rc)) return ArchiveError(comp.get(), "set up compression", dir);
  // Pad nothing after the compressed stream (libarchive pads the last block by default).
  archive_write_set_bytes_in_last_block(comp.get(), 1);
  if (Failed(archive_write_open2(comp.get(), &pipe, nullptr, CompressedOut, nullptr, nullptr))) {
    return ArchiveError(comp.get(), "open compressor", dir);
  }
  EntryPtr raw_entry(archive_entry_new());
  archive_entry_set_filetype(raw_entry.get(), AE_IFREG);
  archive_entry_set_pathname(raw_entry.get(), "layer.tar");
  if (Failed(archive_write_header(comp.get(), raw_entry.get()))) {
    return ArchiveError(comp.get(), "open compressor", dir);
  }

  ArchivePtr tar(archive_write_new());
  archive_write_set_format_pax_restricted(tar.get());
  archive_write_add_filter_none(tar.get());
  if (Failed(archive_write_set_format_option(tar.get(), "pax", "hdrcharset", "BINARY"))) {
    return ArchiveError(tar.get(), "set tar options", dir);
  }
  // The tar ends with its two zero blocks, not padded to a 10 KiB record.
  archive_write_set_bytes_in_last_block(tar.get(), 1);
  if (Failed(archive_write_open2(tar.get(), &pipe, nullptr, TarOut, nullptr, nullptr))) {
    return ArchiveError(tar.get(), "open tar writer", dir);
  }
  TreeWriter tree(tar.get(), mtime, &pipe);
  if (Status s = tree.WriteChildren(dir, ""); !s) return s.error();
  if (Failed(archive_write_close(tar.get()))) {
    if (!pipe.status) return pipe.status.error();
    return ArchiveError(tar.get(), "finish tar", dir);
  }
  if (Failed(archive_write_close(comp.get()))) {
    if (!pipe.status) return pipe.status.error();
    return ArchiveError(comp.get(), "finish compression", dir);
  }
  if (!pipe.status) return pipe.status.error();
  out.diff_id = pipe.tar_hash.FinishDigest();
  auto blob = (*writer)->Commit();
  if (!blob) return blob.error();
  out.blob = std::move(*blob);
  return out;
}

}  // namespace cairn::image
