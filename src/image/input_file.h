// Opening what an import or a build reads as untrusted input — the files of an OCI layout, an
// archive, the files of a build tree — so that neither a symlink nor a special file can redirect
// or stall the read.
//
// - Inside a layout each component is opened beneath the layout's directory descriptor with
//   O_NOFOLLOW: a symlinked blob or blobs/ directory is refused, never followed, so a layout
//   cannot pull a host file (/etc/shadow, another user's file) into the store.
// - Files are opened O_NONBLOCK and fstat'ed before the first read. Opening a FIFO for reading
//   otherwise blocks until a writer appears — forever, for a hostile layout — and the thread
//   stuck in open(2) is one of the server's image workers. O_NONBLOCK changes nothing for a
//   regular file, so it stays set.
// - Anything but a regular file (or, for OpenInputDir, a directory) is refused with an error
//   naming the path and what it is: "…/index.json is a FIFO, not a regular file".
//
// The path an operator names itself (the argument of `cairn image import`) may be a symlink: it
// is followed, as cp or tar would, since it only reaches what the operator could name directly.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "image/openat_beneath.h"

namespace cairn::image {

using unpack_internal::UnpackFd;

// "a FIFO", "a socket", "a character device", "a directory", ... for messages.
std::string_view FileKindName(mode_t mode);

// Opens the import source `path` (a directory or a file, following a symlink at `path` itself)
// without blocking on a FIFO. Anything else is kInvalidArgument naming it.
Result<UnpackFd> OpenInputPath(const std::string& path);

// Opens dir_fd/`relative` ("blobs/sha256/<hex>": components split at '/', none "..") as a regular
// file, refusing a symlink in any position. `shown` is the path errors name. kNotFound when absent.
Result<UnpackFd> OpenInputFileAt(int dir_fd, std::string_view relative, const std::string& shown);

// Opens `path` as a regular file, refusing a symlink at `path` and never blocking on a FIFO: for
// files found by walking a directory (a build tree), which could have been swapped since.
Result<UnpackFd> OpenInputFileNoFollow(const std::string& path);

// Reads the open file `fd` whole; kInvalidArgument naming `shown` past `cap` bytes.
Result<std::string> ReadInputFile(int fd, const std::string& shown, uint64_t cap);

}  // namespace cairn::image
