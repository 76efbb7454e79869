// DataDirLock: one cairn server per data dir. An exclusive flock on <data_dir>/server.lock,
// held while the object lives; the file holds the owner's pid so a refused second server can
// say who is in the way. The lock dies with the process, so a crash never leaves it stale.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"

namespace cairn::state {

class DataDirLock {
 public:
  // Creates `data_dir` (and parents) when missing, then takes the lock without waiting.
  // kUnavailable when another open file description holds it, even one in this process.
  static Result<std::unique_ptr<DataDirLock>> Acquire(const std::string& data_dir);
  ~DataDirLock();  // releases the lock; the file stays, since unlinking it would race
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  DataDirLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  int fd_;
  std::string path_;
};

}  // namespace cairn::state
