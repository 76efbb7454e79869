// BlobStore: the content-addressed half of the OCI layout — blobs/sha256/<hex>, written through a
// temporary file in the store's ingest directory, checked, fsynced and renamed into place.
// A committed blob is never rewritten; committing one that already exists only refreshes its mtime
// (so a gc grace period covers a blob a build is about to reference again).
//
// Thread-safety: every method may be called from any thread; a BlobWriter belongs to one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "image/sha256_stream.h"

namespace cairn::image {

struct BlobInfo {
  std::string digest;  // "sha256:<hex>"
  uint64_t size = 0;
};

// What the writer must match; an empty field is not checked.
struct BlobExpectation {
  std::optional<std::string> digest;
  std::optional<uint64_t> size;
};

class BlobWriter {
 public:
  ~BlobWriter();  // an uncommitted writer removes its temporary file
  BlobWriter(const BlobWriter&) = delete;
  BlobWriter& operator=(const BlobWriter&) = delete;

  // Appends bytes, hashing them as they go. Fails early once more bytes than expected arrive.
  Status Write(const void* data, size_t size);
  Status Write(std::string_view data) { return Write(data.data(), data.size()); }
  uint64_t written() const { return hash_.size(); }

  // Checks digest and size against the expectation and fsyncs; the blob stays in the ingest
  // directory at sealed_path(), readable, until Commit (or the writer's end removes it). On a
  // mismatch nothing is left behind. An import seals every blob, checks the images they make,
  // and commits only when all passed (import_batch.h). REQUIRES: called at most once.
  Result<BlobInfo> Seal();
  // Seals if not sealed yet, then renames into blobs/sha256/ and fsyncs the directory.
  // REQUIRES: called at most once.
  Result<BlobInfo> Commit();
  // Where a sealed blob can be read. REQUIRES: Seal succeeded and Commit was not called.
  const std::string& sealed_path() const { return tmp_path_; }

 private:
  friend class BlobStore;
  BlobWriter(const class BlobStore* store, std::string tmp_path, int fd, BlobExpectation expect);
  void Discard();

  const BlobStore* store_;
  std::string tmp_path_;
  int fd_;
  BlobExpectation expect_;
  Sha256Stream hash_;
  std::optional<BlobInfo> sealed_;
  bool done_ = false;
};

class BlobStore {
 public:
  // `root` is the OCI layout directory; `ingest_dir` (same file system) holds uploads in flight;
  // `lock_path` is the store's lock file (commits take it shared, gc exclusive).
  BlobStore(std::string root, std::string ingest_dir, std::string lock_path);

  // Creates blobs/sha256 and the ingest directory when missing.
  Status Init() const;

  // kInvalidArgument unless `digest` is "sha256:<64 lower-case hex>".
  static Status CheckDigest(std::string_view digest);
  // root/blobs/sha256/<hex>. REQUIRES: CheckDigest(digest).
  std::string PathFor(std::string_view digest) const;

  Result<std::unique_ptr<BlobWriter>> NewWriter(BlobExpectation expect = {}) const;
  // Writes a blob held in memory (manifests, configs, small test data).
  Result<BlobInfo> Put(std::string_view data, BlobExpectation expect = {}) const;

  // The size on disk. kNotFound when absent.
  Result<uint64_t> Size(std::string_view digest) const;
  bool Exists(std::string_view digest) const { return Size(digest).ok(); }
  // The path of a present blob whose size is `expected_size` (kIo naming the blob otherwise).
  // For layers, which callers stream from the file.
  Result<std::string> OpenPath(std::string_view digest, uint64_t expected_size) const;
  // Reads a small blob (manifest, config) whole, checking size and digest. Refuses blobs larger
  // than `max_size` so a hostile descriptor cannot make us read a layer into memory.
  Result<std::string> ReadSmall(std::string_view digest, std::optional<uint64_t> expected_size,
                                uint64_t max_size = 4 << 20) const;
  // Re-hashes a blob from disk (streaming) and returns the digest of what is actually there.
  Result<std::string> Rehash(std::string_view digest) const;

  // Every file under blobs/sha256 (including misnamed ones, reported with their file name).
  Result<std::vector<BlobInfo>> List() const;
  Status Remove(std::string_view digest) const;

  const std::string& root() const { return root_; }
  const std::string& ingest_dir() const { return ingest_dir_; }
  const std::string& lock_path() const { return lock_path_; }

 private:
  std::string root_;
  std::string ingest_dir_;
  std::string lock_path_;
};

}  // namespace cairn::image
