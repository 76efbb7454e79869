// FileLock: an flock(2) on a lock file, held for the lifetime of the object. flock locks belong
// to the open file description, so two FileLocks conflict whether they are in two processes or
// two threads of one process — the store relies on that to serialize index.json updates and gc.
#pragma once

#include <string>

#include "core/result.h"

namespace cairn::image {

class FileLock {
 public:
  enum class Mode { kShared, kExclusive };

  // Opens (creating if needed) `path` and blocks until the lock is granted.
  static Result<FileLock> Acquire(const std::string& path, Mode mode);

  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace cairn::image
