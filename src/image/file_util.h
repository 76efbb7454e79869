// Small POSIX file helpers the store needs for crash safety: fsync of files and directories,
// atomic whole-file replacement, whole-file reads. Errors carry the path as context.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace cairn::image {

// An kIo error "<what>: <strerror(err)>" with `path` as context.
Error IoError(std::string_view what, const std::string& path, int err);

// fsync(2) of an open descriptor / of a directory, so a rename inside it survives a crash.
Status FsyncFd(int fd, const std::string& path_for_errors);
Status FsyncDir(const std::string& dir);

// Writes `data` to a temporary file beside `path`, fsyncs it, renames it over `path` and fsyncs
// the directory: readers see the old or the new content, never a torn file.
Status WriteFileAtomic(const std::string& path, std::string_view data);

// The whole file. kNotFound when it does not exist.
Result<std::string> ReadWholeFile(const std::string& path);

// Creates `dir` and its parents (mode 0755) when missing.
Status MakeDirs(const std::string& dir);

}  // namespace cairn::image
