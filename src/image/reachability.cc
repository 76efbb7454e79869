#include "image/reachability.h"

#include <nlohmann/json.hpp>

namespace cairn::image {
namespace {

// Indexes nest rarely; a bound stops a hostile cycle of documents (impossible with real digests,
// but cheap to rule out).
constexpr int kMaxDepth = 8;

class Walker {
 public:
  Walker(const BlobStore& blobs, uint64_t max_doc) : blobs_(blobs), max_doc_(max_doc) {}

  void Visit(const Descriptor& d, const std::string& referrer, bool bare, int depth) {
    if (out_.blobs.contains(d.digest)) return;
    out_.blobs.emplace(d.digest, std::make_pair(d, referrer));
    bool manifest = d.media_type == kMediaTypeImageManifest;
    bool index = d.media_type == kMediaTypeImageIndex;
    if (!bare && !manifest && !index) return;  // a layer or config: a leaf
    if (depth > kMaxDepth) return Problem(d.digest, "documents nested too deeply", referrer);

    std::optional<uint64_t> size;
    if (!bare) size = d.size;
    if (bare) {
      auto actual = blobs_.Size(d.digest);
      if (!actual) return Problem(d.digest, "missing", referrer);
      if (*actual > max_doc_) return;  // too big to be a manifest: a layer root, kept as is
    }
    auto bytes = blobs_.ReadSmall(d.digest, size, max_doc_);
    if (!bytes) {
      bool missing = bytes.error().code == ErrorCode::kNotFound;
      return Problem(d.digest, missing ? "missing" : bytes.error().message, referrer);
    }
    if (bare) {
      // A root given as a digest: follow it if it is a manifest or index, else keep it as a leaf.
      nlohmann::json j = nlohmann::json::parse(*bytes, nullptr, false);
      if (j.is_discarded() || !j.is_object()) return;
      if (j.contains("layers")) {
        manifest = true;
      } else if (j.contains("manifests")) {
        index = true;
      } else {
        return;
      }
    }
    const std::string self = d.digest;
    if (manifest) {
      auto m = ParseManifest(*bytes, bare ? "" : d.media_type);
      if (!m) return Problem(d.digest, "unreadable manifest: " + m.error().message, referrer);
      Visit(m->config, self, false, depth + 1);
      for (const Descriptor& l : m->layers) Visit(l, self, false, depth + 1);
    } else {
      auto i = ParseIndex(*bytes);
      if (!i) return Problem(d.digest, "unreadable index: " + i.error().message, referrer);
      for (const Descriptor& c : i->manifests) Visit(c, self, false, depth + 1);
    }
  }

  Reachable Take() { return std::move(out_); }

 private:
  void Problem(const std::string& digest, std::string what, const std::string& referrer) {
    out_.problems.push_back(BlobProblem{digest, blobs_.PathFor(digest), std::move(what), referrer});
  }

  const BlobStore& blobs_;
  uint64_t max_doc_;
  Reachable out_;
};

}  // namespace

std::string BlobProblem::ToString() const {
  std::string s = digest + " (" + path + "): " + problem;
  if (!referrer.empty()) s += ", needed by " + referrer;
  return s;
}

Reachable CollectReachable(const BlobStore& blobs, const std::vector<ReachStart>& starts,
                           uint64_t max_document_size) {
  Walker w(blobs, max_document_size);
  for (const ReachStart& s : starts) {
    bool bare = s.descriptor.media_type.empty();
    w.Visit(s.descriptor, s.referrer, bare, 0);
  }
  return w.Take();
}

}  // namespace cairn::image
