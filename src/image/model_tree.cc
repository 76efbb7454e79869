// The LayerTree in memory: each entry's name and kind (directory, symlink, file), no contents,
// no modes. It answers what the disk tree would for the same sequence of operations, so
// LayerWriter's decisions come out the same; only the disk's own failures (space, link counts)
// cannot happen here. Memory is about 340 bytes per entry (a map node, a shared node, the name),
// bounded by UnpackLimits::max_entries as the disk tree's inodes are.
#include <cerrno>
#include <cstring>
#include <map>
#include <vector>

#include "image/layer_tree.h"
#include "image/openat_beneath.h"

namespace cairn::image::unpack_internal {
namespace {

struct Node {
  explicit Node(NodeKind k) : kind(k) {}
  NodeKind kind;
  std::map<std::string, std::shared_ptr<Node>> children;  // directories only
};

Error IoError(const std::string& what, int err) {
  return MakeError(ErrorCode::kIo, what + ": " + std::strerror(err));
}

// Empties a removed subtree, so a handle still open on a directory inside it sees what a
// descriptor of a removed directory sees: nothing.
void Discard(Node& node) {
  for (auto& [name, child] : node.children) Discard(*child);
  node.children.clear();
}

class ModelFile : public TreeFile {
 public:
  Status Write(const char*, size_t, int64_t) override { return OkStatus(); }
  Status Truncate(uint64_t) override { return OkStatus(); }
  Status SetMode(mode_t) override { return OkStatus(); }
};

class ModelDir : public TreeDir {
 public:
  explicit ModelDir(std::shared_ptr<Node> node) : node_(std::move(node)) {}

  NodeKind Kind(const std::string& name) override {
    auto it = node_->children.find(name);
    return it == node_->children.end() ? NodeKind::kMissing : it->second->kind;
  }
  Status Remove(const std::string& name) override {
    auto it = node_->children.find(name);
    if (it == node_->children.end()) return OkStatus();
    Discard(*it->second);
    node_->children.erase(it);
    return OkStatus();
  }
  Status MakeDirectory(const std::string& name, mode_t) override {
    auto [it, added] = node_->children.try_emplace(name, nullptr);
    if (added) {
      it->second = std::make_shared<Node>(NodeKind::kDirectory);
    } else if (it->second->kind != NodeKind::kDirectory) {
      return IoError("cannot open the directory just created", ENOTDIR);
    }
    return OkStatus();
  }
  Result<std::unique_ptr<TreeFile>> CreateFile(const std::string& name) override {
    if (!Add(name, NodeKind::kFile)) return IoError("cannot create file", EEXIST);
    return std::unique_ptr<TreeFile>(new ModelFile());
  }
  Status Symlink(const std::string& name, const char*) override {
    if (!Add(name, NodeKind::kSymlink)) return IoError("cannot create symlink", EEXIST);
    return OkStatus();
  }
  int Link(TreeDir& target_dir, const std::string& target, const std::string& name) override {
    // One tree hands out one kind of directory (layer_tree.h).
    const Node& from = *static_cast<ModelDir&>(target_dir).node_;
    auto it = from.children.find(target);
    if (it == from.children.end()) return ENOENT;
    if (it->second->kind == NodeKind::kDirectory) return EPERM;
    return Add(name, it->second->kind) ? 0 : EEXIST;
  }
  Status Clear(const std::function<bool(const std::string&)>& keep) override {
    ClearBelow(*node_, "", keep);
    return OkStatus();
  }

 private:
  bool Add(const std::string& name, NodeKind kind) {
    return node_->children.try_emplace(name, std::make_shared<Node>(kind)).second;
  }
  static void ClearBelow(Node& dir, const std::string& prefix,
                         const std::function<bool(const std::string&)>& keep) {
    for (auto it = dir.children.begin(); it != dir.children.end();) {
      std::string path = prefix.empty() ? it->first : prefix + "/" + it->first;
      if (!keep(path)) {
        Discard(*it->second);
        it = dir.children.erase(it);
        continue;
      }
      if (it->second->kind == NodeKind::kDirectory) ClearBelow(*it->second, path, keep);
      ++it;
    }
  }

  std::shared_ptr<Node> node_;
};

class ModelTree : public LayerTree {
 public:
  Result<std::unique_ptr<TreeDir>> OpenDir(std::span<const std::string> components,
                                           bool create_missing) override {
    std::shared_ptr<Node> current = root_;
    for (size_t i = 0; i < components.size(); ++i) {
      auto it = current->children.find(components[i]);
      if (it == current->children.end()) {
        if (!create_missing) return DescribeWalkFailure(components, i, WalkFailure::kMissing);
        it = current->children.emplace(components[i], std::make_shared<Node>(NodeKind::kDirectory))
                 .first;
      } else if (it->second->kind == NodeKind::kSymlink) {
        return DescribeWalkFailure(components, i, WalkFailure::kSymlink);
      } else if (it->second->kind != NodeKind::kDirectory) {
        return DescribeWalkFailure(components, i, WalkFailure::kNotDirectory);
      }
      current = it->second;
    }
    return std::unique_ptr<TreeDir>(new ModelDir(std::move(current)));
  }

 private:
  std::shared_ptr<Node> root_ = std::make_shared<Node>(NodeKind::kDirectory);
};

}  // namespace

std::unique_ptr<LayerTree> NewModelTree() { return std::make_unique<ModelTree>(); }

}  // namespace cairn::image::unpack_internal
