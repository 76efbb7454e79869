#include "image/blob_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/ids.h"
#include "core/sha256.h"
#include "image/file_lock.h"
#include "image/file_util.h"

namespace cairn::image {
namespace {

constexpr std::string_view kSha256Prefix = "sha256:";

std::string BlobDir(const std::string& root) { return root + "/blobs/sha256"; }

}  // namespace

BlobWriter::BlobWriter(const BlobStore* store, std::string tmp_path, int fd, BlobExpectation expect)
    : store_(store), tmp_path_(std::move(tmp_path)), fd_(fd), expect_(std::move(expect)) {}

BlobWriter::~BlobWriter() {
  if (!done_) Discard();
}

void BlobWriter::Discard() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(tmp_path_.c_str());
  done_ = true;
}

Status BlobWriter::Write(const void* data, size_t size) {
  if (done_ || sealed_)
    return MakeError(ErrorCode::kInternal, "write to a finished blob writer", tmp_path_);
  if (expect_.size && written() + size > *expect_.size) {
    Discard();
    return MakeError(ErrorCode::kInvalidArgument,
                     "blob is larger than its expected " + std::to_string(*expect_.size) + " bytes",
                     expect_.digest.value_or(""));
  }
  const char* p = static_cast<const char*>(data);
  size_t left = size;
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      Error e = IoError("write blob", tmp_path_, errno);
      Discard();
      return e;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  hash_.Update(data, size);
  return OkStatus();
}

Result<BlobInfo> BlobWriter::Seal() {
  if (done_ || sealed_) {
    return MakeError(ErrorCode::kInternal, "seal of a finished blob writer", tmp_path_);
  }
  BlobInfo info;
  info.size = written();
  info.digest = hash_.FinishDigest();
  if (expect_.size && info.size != *expect_.size) {
    Discard();
    return MakeError(ErrorCode::kInvalidArgument,
                     "blob has " + std::to_string(info.size) + " bytes, expected " +
                         std::to_string(*expect_.size),
                     expect_.digest.value_or(info.digest));
  }
  if (expect_.digest && info.digest != *expect_.digest) {
    Discard();
    return MakeError(ErrorCode::kInvalidArgument,
                     "content does not match its digest (content hashes to " + info.digest + ")",
                     *expect_.digest);
  }
  if (Status s = FsyncFd(fd_, tmp_path_); !s) {
    Discard();
    return s.error();
  }
  ::close(fd_);
  fd_ = -1;
  sealed_ = info;
  return info;
}

Result<BlobInfo> BlobWriter::Commit() {
  if (done_) return MakeError(ErrorCode::kInternal, "commit of a finished blob writer", tmp_path_);
  if (!sealed_) {
    if (auto sealed = Seal(); !sealed) return sealed.error();
  }
  const BlobInfo info = *sealed_;

  // Shared lock: commits run in parallel with each other but never inside a gc, so a blob gc has
  // judged unreferenced cannot be "found already present" by a writer and then vanish.
  auto lock = FileLock::Acquire(store_->lock_path(), FileLock::Mode::kShared);
  if (!lock) {
    Discard();
    return lock.error();
  }
  std::string final_path = store_->PathFor(info.digest);
  if (::access(final_path.c_str(), F_OK) == 0) {
    // Never rewrite a committed blob; refresh its mtime so gc's grace period covers it again.
    ::utimensat(AT_FDCWD, final_path.c_str(), nullptr, 0);
    Discard();
    return info;
  }
  if (::rename(tmp_path_.c_str(), final_path.c_str()) != 0) {
    Error e = IoError("rename blob into place", final_path, errno);
    Discard();
    return e;
  }
  done_ = true;
  if (Status s = FsyncDir(BlobDir(store_->root())); !s) return s.error();
  return info;
}

BlobStore::BlobStore(std::string root, std::string ingest_dir, std::string lock_path)
    : root_(std::move(root)),
      ingest_dir_(std::move(ingest_dir)),
      lock_path_(std::move(lock_path)) {}

Status BlobStore::Init() const {
  if (Status s = MakeDirs(BlobDir(root_)); !s) return s;
  return MakeDirs(ingest_dir_);
}

Status BlobStore::CheckDigest(std::string_view digest) {
  if (IsSha256Digest(digest)) return OkStatus();
  if (digest.find(':') != std::string_view::npos && !digest.starts_with(kSha256Prefix)) {
    return MakeError(ErrorCode::kInvalidArgument, "only sha256 digests are supported",
                     std::string(digest));
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "malformed digest: expected sha256: followed by 64 lower-case hex digits",
                   std::string(digest));
}

std::string BlobStore::PathFor(std::string_view digest) const {
  return BlobDir(root_) + "/" + std::string(digest.substr(kSha256Prefix.size()));
}

Result<std::unique_ptr<BlobWriter>> BlobStore::NewWriter(BlobExpectation expect) const {
  if (expect.digest) {
    if (Status s = CheckDigest(*expect.digest); !s) return s.error();
  }
  std::string tmp = ingest_dir_ + "/blob-" + RandomHexId(8);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("create upload file", tmp, errno);
  return std::unique_ptr<BlobWriter>(new BlobWriter(this, std::move(tmp), fd, std::move(expect)));
}

Result<BlobInfo> BlobStore::Put(std::string_view data, BlobExpectation expect) const {
  auto w = NewWriter(std::move(expect));
  if (!w) return w.error();
  if (Status s = (*w)->Write(data); !s) return s.error();
  return (*w)->Commit();
}

Result<uint64_t> BlobStore::Size(std::string_view digest) const {
  if (Status s = CheckDigest(digest); !s) return s.error();
  std::string path = PathFor(digest);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return MakeError(ErrorCode::kNotFound, "blob is missing: " + path, std::string(digest));
    }
    return IoError("stat blob", path, errno);
  }
  return static_cast<uint64_t>(st.st_size);
}

Result<std::string> BlobStore::OpenPath(std::string_view digest, uint64_t expected_size) const {
  auto size = Size(digest);
  if (!size) return size.error();
  if (*size != expected_size) {
    return MakeError(ErrorCode::kIo,
                     "blob " + PathFor(digest) + " has " + std::to_string(*size) +
                         " bytes, its descriptor says " + std::to_string(expected_size),
                     std::string(digest));
  }
  return PathFor(digest);
}

Result<std::string> BlobStore::ReadSmall(std::string_view digest,
                                         std::optional<uint64_t> expected_size,
                                         uint64_t max_size) const {
  auto size = Size(digest);
  if (!size) return size.error();
  if (expected_size && *size != *expected_size) {
    return MakeError(ErrorCode::kIo,
                     "blob " + PathFor(digest) + " has " + std::to_string(*size) +
                         " bytes, its descriptor says " + std::to_string(*expected_size),
                     std::string(digest));
  }
  if (*size > max_size) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "blob of " + std::to_string(*size) +
                         " bytes is too large for a manifest "
                         "or config (limit " +
                         std::to_string(max_size) + ")",
                     std::string(digest));
  }
  auto data = ReadWholeFile(PathFor(digest));
  if (!data) return data.error();
  if ("sha256:" + Sha256Hex(*data) != digest) {
    return MakeError(ErrorCode::kIo, "blob " + PathFor(digest) + " is corrupt (digest mismatch)",
                     std::string(digest));
  }
  return data;
}

Result<std::string> BlobStore::Rehash(std::string_view digest) const {
  if (Status s = CheckDigest(digest); !s) return s.error();
  std::string path = PathFor(digest);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("open blob", path, errno);
  Sha256Stream hash;
  std::string buf(1 << 20, '\0');
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return IoError("read blob", path, err);
    }
    if (n == 0) break;
    hash.Update(buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return hash.FinishDigest();
}

Result<std::vector<BlobInfo>> BlobStore::List() const {
  std::string dir = BlobDir(root_);
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return IoError("open blob directory", dir, errno);
  std::vector<BlobInfo> out;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    out.push_back(BlobInfo{"sha256:" + name, static_cast<uint64_t>(st.st_size)});
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(),
            [](const BlobInfo& a, const BlobInfo& b) { return a.digest < b.digest; });
  return out;
}

Status BlobStore::Remove(std::string_view digest) const {
  if (Status s = CheckDigest(digest); !s) return s;
  std::string path = PathFor(digest);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return IoError("remove blob", path, errno);
  return OkStatus();
}

}  // namespace cairn::image
