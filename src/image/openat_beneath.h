// Opening directories beneath an unpack root without ever following a symlink.
//
// The unpacker never hands a multi-component path to the kernel's usual resolution. Each write
// starts from the root's descriptor and walks down one component at a time with
// openat(O_DIRECTORY | O_NOFOLLOW), so a symlink in the tree (one planted by an earlier layer,
// or swapped in by another process mid-walk) makes the walk fail instead of redirecting it.
// Where the kernel has openat2(2), RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS does the same walk in
// one call; any failure there falls back to the component walk, which creates missing
// directories and words the error.
#pragma once

#include <span>
#include <string>

#include "core/result.h"

namespace cairn::image::unpack_internal {

// Owns one file descriptor; closes it when destroyed. Move-only.
class UnpackFd {
 public:
  UnpackFd() = default;
  explicit UnpackFd(int fd) : fd_(fd) {}
  ~UnpackFd();
  UnpackFd(UnpackFd&& other) noexcept : fd_(other.release()) {}
  UnpackFd& operator=(UnpackFd&& other) noexcept;
  UnpackFd(const UnpackFd&) = delete;
  UnpackFd& operator=(const UnpackFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// Opens the directory root/components[0]/.../components[n-1] (the root itself when empty).
// REQUIRES: components come from SplitLayerPath (no "..", ".", "" or "/").
// With create_missing, absent directories are made with mode 0755.
// Errors: kNotFound when a component is absent and create_missing is false; kInvalidArgument
// when a component is a symlink or not a directory (the message names it); kIo otherwise.
Result<UnpackFd> OpenDirBeneath(int root_fd, std::span<const std::string> components,
                                bool create_missing);

// Why a walk beneath the root stopped at components[index], worded once for the disk and for the
// model tree (layer_tree.h): kInvalidArgument "'a/b' is a symbolic link; writing through it is
// refused" or "'a/b' is not a directory", kNotFound "'a/b' does not exist".
enum class WalkFailure { kSymlink, kNotDirectory, kMissing };
Error DescribeWalkFailure(std::span<const std::string> components, size_t index,
                          WalkFailure failure);

// Tests run the component walk alone with this off. Not thread-safe against concurrent unpacks.
void SetUnpackOpenat2EnabledForTesting(bool enabled);

// Opens an absolute or relative directory path with O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC.
Result<UnpackFd> OpenDirectory(const std::string& path);

}  // namespace cairn::image::unpack_internal
