// Private to the unpacker: the tree a layer is applied to, as the few operations LayerWriter
// (unpack_entry.h) needs. LayerWriter makes every decision — what is refused, what replaces what,
// what a whiteout hides — and a LayerTree only carries them out, so the same rules run against:
//
// - the disk (disk_tree.h): a directory beneath which every step is an openat without following
//   symlinks (openat_beneath.h); what ApplyLayer and the rootfs cache use;
// - a model (model_tree.h): names and kinds in memory, no contents; what LayerChecker uses to
//   check an image at import and verify without writing anything.
//
// A refusal (kInvalidArgument) is worded by LayerWriter or by DescribeWalkFailure, never by a
// tree, so both give the same error for the same entry. The disk alone can fail with kIo (a full
// disk, a link count limit).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "core/result.h"

namespace cairn::image::unpack_internal {

// What an entry of the tree is, as far as the rules care.
enum class NodeKind { kMissing, kDirectory, kSymlink, kFile };

// A regular file being written (its contents go nowhere in the model).
class TreeFile {
 public:
  virtual ~TreeFile() = default;
  virtual Status Write(const char* data, size_t size, int64_t offset) = 0;
  virtual Status Truncate(uint64_t size) = 0;
  virtual Status SetMode(mode_t mode) = 0;
};

// A directory of the tree, opened by LayerTree::OpenDir. Names are single components.
class TreeDir {
 public:
  virtual ~TreeDir() = default;
  // kMissing also when the entry cannot be examined.
  virtual NodeKind Kind(const std::string& name) = 0;
  // Removes `name` whatever it is, a directory with everything below it; absent is success.
  virtual Status Remove(const std::string& name) = 0;
  // Makes `name` a directory with `mode`; an existing directory is kept (merged into).
  // REQUIRES: `name` is absent or a directory.
  virtual Status MakeDirectory(const std::string& name, mode_t mode) = 0;
  // REQUIRES: `name` is absent.
  virtual Result<std::unique_ptr<TreeFile>> CreateFile(const std::string& name) = 0;
  virtual Status Symlink(const std::string& name, const char* target) = 0;
  // Hard-links target_dir/target (itself, if a symlink) as `name`; 0 or the errno of linkat(2).
  // REQUIRES: target_dir comes from the same tree.
  virtual int Link(TreeDir& target_dir, const std::string& target, const std::string& name) = 0;
  // Removes each entry below whose path relative to this directory `keep` rejects; a kept
  // directory is walked too (openat_tree.h's ClearDirAt).
  virtual Status Clear(const std::function<bool(const std::string&)>& keep) = 0;
};

class LayerTree {
 public:
  virtual ~LayerTree() = default;
  // Opens root/components..., making missing directories when `create_missing`. Errors as
  // OpenDirBeneath's: kNotFound for a missing component, kInvalidArgument for a symlink or a
  // non-directory on the way (DescribeWalkFailure).
  virtual Result<std::unique_ptr<TreeDir>> OpenDir(std::span<const std::string> components,
                                                   bool create_missing) = 0;
};

// A tree over the directory `root_fd` (not owned; must outlive the tree).
std::unique_ptr<LayerTree> NewDiskTree(int root_fd);

// An empty model tree: the root directory alone.
std::unique_ptr<LayerTree> NewModelTree();

}  // namespace cairn::image::unpack_internal
