// ImageStore::Verify and ImageStore::Gc: the two whole-store passes.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>

#include "core/sha256.h"
#include "image/file_lock.h"
#include "image/file_util.h"
#include "image/import_layer.h"
#include "image/reference.h"
#include "image/store.h"

namespace cairn::image {
namespace {

std::vector<ReachStart> TagStarts(const Index& index) {
  std::vector<ReachStart> starts;
  for (const Descriptor& d : index.manifests) {
    auto name = d.annotations.find(std::string(kAnnotationRefName));
    starts.push_back(
        ReachStart{d, name == d.annotations.end() ? "index.json entry " : "tag " + name->second});
  }
  return starts;
}

// True when `path` was modified within `grace` of `now` (or its time cannot be read: when in
// doubt, keep).
bool IsYoung(const std::string& path, WallTime now, std::chrono::seconds grace) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return errno != ENOENT;
  WallTime mtime =
      WallTime(std::chrono::seconds(st.st_mtim.tv_sec)) +
      std::chrono::duration_cast<WallTime::duration>(std::chrono::nanoseconds(st.st_mtim.tv_nsec));
  return now - mtime < grace;
}

}  // namespace

VerifyReport ImageStore::VerifyReachable(const std::vector<ReachStart>& starts,
                                         bool all_blobs) const {
  VerifyReport report;
  Reachable reach = CollectReachable(blobs_, starts, options_.max_document_size);
  report.problems = reach.problems;
  auto already_reported = [&](const std::string& digest) {
    for (const BlobProblem& p : report.problems) {
      if (p.digest == digest) return true;
    }
    return false;
  };
  auto check = [&](const std::string& digest, const Descriptor* desc, const std::string& referrer) {
    ++report.blobs_checked;
    std::string path = blobs_.PathFor(digest);
    auto size = blobs_.Size(digest);
    if (!size) {
      if (!already_reported(digest)) report.problems.push_back({digest, path, "missing", referrer});
      return;
    }
    if (desc != nullptr && !desc->media_type.empty() && *size != desc->size) {
      if (!already_reported(digest)) {
        report.problems.push_back({digest, path,
                                   "size " + std::to_string(*size) + " differs from the " +
                                       std::to_string(desc->size) + " bytes its descriptor says",
                                   referrer});
      }
      return;
    }
    auto actual = blobs_.Rehash(digest);
    if (!actual) {
      report.problems.push_back({digest, path, actual.error().message, referrer});
    } else if (*actual != digest && !already_reported(digest)) {
      report.problems.push_back({digest, path, "corrupt: content hashes to " + *actual, referrer});
    }
  };
  for (const auto& [digest, entry] : reach.blobs) check(digest, &entry.first, entry.second);
  if (all_blobs) {
    auto listed = blobs_.List();
    if (!listed) {
      report.problems.push_back({"", root() + "/blobs/sha256", listed.error().message, ""});
      return report;
    }
    for (const BlobInfo& b : *listed) {
      if (reach.blobs.contains(b.digest)) continue;
      if (!IsSha256Digest(b.digest)) {
        report.problems.push_back({b.digest, root() + "/blobs/sha256/" + b.digest.substr(7),
                                   "file name is not a sha256 digest", ""});
        continue;
      }
      check(b.digest, nullptr, "");
    }
  }
  return report;
}

void ImageStore::VerifyLayers(const std::vector<ReachStart>& starts, VerifyReport* report) const {
  auto reported = [&](const std::string& digest) {
    for (const BlobProblem& p : report->problems) {
      if (p.digest == digest) return true;
    }
    return false;
  };
  std::set<std::string> checked;
  for (const ReachStart& start : starts) {
    const std::string& digest = start.descriptor.digest;
    if (!checked.insert(digest).second || reported(digest)) continue;
    // What cannot be read was reported by VerifyReachable; only whole images are checked here.
    auto bytes = ReadBlob(digest);
    if (!bytes) continue;
    auto m = ParseManifest(*bytes, "");
    if (!m || reported(m->config.digest)) continue;
    auto config_bytes = ReadBlob(m->config.digest);
    if (!config_bytes) continue;
    auto config = ParseConfig(*config_bytes);
    if (!config) continue;
    std::vector<std::string> paths;
    for (const Descriptor& layer : m->layers) {
      if (reported(layer.digest)) break;
      auto path = LayerPath(layer);
      if (!path) break;
      paths.push_back(std::move(*path));
    }
    if (paths.size() != m->layers.size()) continue;
    size_t at = 0;
    Status s = import_internal::CheckLayers(paths, *m, *config, /*verify_diff_ids=*/true,
                                            options_.unpack_limits, &at);
    if (s) continue;
    const bool whole_image = at == m->layers.size();
    const std::string& blame = whole_image ? digest : m->layers[at].digest;
    std::string where = s.error().context.empty() ? "" : s.error().context + ": ";
    report->problems.push_back({blame, whole_image ? blobs_.PathFor(digest) : paths[at],
                                "cannot be unpacked: " + where + s.error().message,
                                start.referrer});
  }
}

Result<VerifyReport> ImageStore::Verify() const {
  auto index = LoadIndex(root());
  if (!index) return index.error();
  std::vector<ReachStart> starts = TagStarts(*index);
  VerifyReport report = VerifyReachable(starts, /*all_blobs=*/true);
  VerifyLayers(starts, &report);
  return report;
}

Result<VerifyReport> ImageStore::Verify(std::string_view reference) const {
  auto ref = ParseReference(reference);
  if (!ref) return ref.error();
  Descriptor start{"", ref->digest, 0, {}};
  if (!ref->has_digest()) {
    auto index = LoadIndex(root());
    if (!index) return index.error();
    auto d = FindTag(*index, ref->TagName());
    if (!d) return MakeError(ErrorCode::kNotFound, "no such image tag", ref->TagName());
    start = *d;
  }
  std::vector<ReachStart> starts = {ReachStart{start, ref->ToString()}};
  VerifyReport report = VerifyReachable(starts, /*all_blobs=*/false);
  VerifyLayers(starts, &report);
  return report;
}

Result<GcReport> ImageStore::Gc(const std::vector<std::string>& roots) {
  for (const std::string& r : roots) {
    if (Status s = BlobStore::CheckDigest(r); !s) return s.error();
  }
  // Exclusive: no tag moves and no blob commit (they take the lock shared) while we decide and
  // delete. A blob still being written lives in cairn/ingest until its commit.
  auto lock = FileLock::Acquire(LockPath(), FileLock::Mode::kExclusive);
  if (!lock) return lock.error();
  auto index = LoadIndex(root());
  if (!index) return index.error();
  std::vector<ReachStart> starts = TagStarts(*index);
  for (const std::string& r : roots) starts.push_back(ReachStart{{"", r, 0, {}}, "gc root"});
  Reachable reach = CollectReachable(blobs_, starts, options_.max_document_size);
  for (const BlobProblem& p : reach.problems) {
    // A missing image has nothing left to protect; anything else hides what it references.
    if (p.problem == "missing") continue;
    return MakeError(ErrorCode::kIo,
                     "gc refused, nothing removed: cannot follow " + p.ToString() + " (run verify)",
                     p.digest);
  }
  auto listed = blobs_.List();
  if (!listed) return listed.error();
  GcReport report;
  WallTime now = options_.clock->WallNow();
  for (const BlobInfo& b : *listed) {
    if (reach.blobs.contains(b.digest)) {
      ++report.kept;
      continue;
    }
    if (!IsSha256Digest(b.digest)) continue;  // not ours to judge; Verify names it
    if (IsYoung(blobs_.PathFor(b.digest), now, options_.gc_grace)) {
      ++report.spared_young;
      continue;
    }
    if (Status s = blobs_.Remove(b.digest); !s) return s.error();
    report.bytes_freed += b.size;
    report.removed.push_back(b);
  }
  if (!report.removed.empty()) {
    if (Status s = FsyncDir(root() + "/blobs/sha256"); !s) return s.error();
  }
  // Uploads abandoned by a crashed writer: a live writer keeps its file's mtime fresh.
  if (DIR* d = ::opendir(blobs_.ingest_dir().c_str())) {
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      std::string path = blobs_.ingest_dir() + "/" + name;
      if (IsYoung(path, now, options_.gc_grace)) continue;
      if (::unlink(path.c_str()) == 0) ++report.uploads_removed;
    }
    ::closedir(d);
  }
  return report;
}

Result<StoreUsage> ImageStore::Usage() const {
  auto blobs = blobs_.List();
  if (!blobs.ok()) return blobs.error();
  StoreUsage usage;
  usage.blobs = blobs->size();
  for (const BlobInfo& b : *blobs) usage.bytes += b.size;
  return usage;
}

}  // namespace cairn::image
