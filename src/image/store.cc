#include "image/store.h"

#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "image/file_lock.h"
#include "image/file_util.h"
#include "image/reference.h"

namespace cairn::image {
namespace {

constexpr std::string_view kOciLayout = R"({"imageLayoutVersion":"1.0.0"})";

}  // namespace

ImageStore::ImageStore(StoreOptions options)
    : options_(std::move(options)),
      blobs_(options_.root, options_.root + "/cairn/ingest", options_.root + "/cairn/lock") {}

Result<std::unique_ptr<ImageStore>> ImageStore::Open(StoreOptions options) {
  if (options.root.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "image store needs a root directory");
  }
  if (options.clock == nullptr) options.clock = SystemClock::Get();
  std::unique_ptr<ImageStore> store(new ImageStore(std::move(options)));
  const std::string& root = store->root();
  if (Status s = MakeDirs(root + "/cairn"); !s) return s.error();
  if (Status s = store->blobs_.Init(); !s) return s.error();

  auto lock = FileLock::Acquire(store->LockPath(), FileLock::Mode::kExclusive);
  if (!lock) return lock.error();
  std::string layout_path = root + "/oci-layout";
  auto layout = ReadWholeFile(layout_path);
  if (!layout) {
    if (layout.error().code != ErrorCode::kNotFound) return layout.error();
    if (Status s = WriteFileAtomic(layout_path, kOciLayout); !s) return s.error();
  } else {
    auto j = nlohmann::json::parse(*layout, nullptr, false);
    if (j.is_discarded() || !j.is_object() || j.value("imageLayoutVersion", "") != "1.0.0") {
      return MakeError(ErrorCode::kUnavailable,
                       "not an OCI image layout version 1.0.0; refusing to use it as a store",
                       layout_path);
    }
  }
  struct stat st;
  if (::stat((root + "/index.json").c_str(), &st) != 0) {
    if (Status s = SaveIndex(root, Index{}); !s) return s.error();
  } else if (auto index = LoadIndex(root); !index) {
    return index.error();
  }
  return store;
}

Result<std::unique_ptr<BlobWriter>> ImageStore::NewBlobWriter(BlobExpectation expect) const {
  return blobs_.NewWriter(std::move(expect));
}

Result<BlobInfo> ImageStore::PutBlob(std::string_view data, BlobExpectation expect) const {
  return blobs_.Put(data, std::move(expect));
}

Status ImageStore::CheckComplete(const Manifest& m) const {
  std::vector<const Descriptor*> needed = {&m.config};
  for (const Descriptor& l : m.layers) needed.push_back(&l);
  for (const Descriptor* d : needed) {
    auto size = blobs_.Size(d->digest);
    if (!size) {
      return MakeError(ErrorCode::kNotFound,
                       "manifest references a blob the store does not have; store it first",
                       d->digest);
    }
    if (*size != d->size) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "manifest says " + std::to_string(d->size) + " bytes, the stored blob has " +
                           std::to_string(*size),
                       d->digest);
    }
  }
  return OkStatus();
}

Status ImageStore::CheckComplete(std::string_view manifest_digest) const {
  auto bytes = blobs_.ReadSmall(manifest_digest, std::nullopt, options_.max_document_size);
  if (!bytes) return bytes.error();
  auto m = ParseManifest(*bytes, kMediaTypeImageManifest);
  if (!m) return m.error();
  return CheckComplete(*m);
}

Result<Descriptor> ImageStore::PutManifest(std::string_view bytes) const {
  auto m = ParseManifest(bytes, kMediaTypeImageManifest);
  if (!m) return m.error();
  if (Status s = CheckComplete(*m); !s) return s.error();
  auto info = blobs_.Put(bytes);
  if (!info) return info.error();
  return Descriptor{std::string(kMediaTypeImageManifest), info->digest, info->size, {}};
}

Result<std::string> ImageStore::ReadBlob(std::string_view digest) const {
  return blobs_.ReadSmall(digest, std::nullopt, options_.max_document_size);
}

Result<std::string> ImageStore::LayerPath(const Descriptor& layer) const {
  return blobs_.OpenPath(layer.digest, layer.size);
}

Result<Descriptor> ImageStore::ManifestDescriptor(std::string_view digest) const {
  auto bytes = blobs_.ReadSmall(digest, std::nullopt, options_.max_document_size);
  if (!bytes) return bytes.error();
  auto m = ParseManifest(*bytes, "");
  if (!m) return m.error();
  return Descriptor{std::string(kMediaTypeImageManifest), std::string(digest), bytes->size(), {}};
}

Result<std::string> ImageStore::Resolve(std::string_view reference) const {
  auto ref = ParseReference(reference);
  if (!ref) return ref.error();
  if (ref->has_digest()) {
    if (auto d = ManifestDescriptor(ref->digest); !d) {
      if (d.error().code == ErrorCode::kNotFound) {
        return MakeError(ErrorCode::kNotFound, "no such image in the store", ref->digest);
      }
      return d.error();
    }
    return ref->digest;
  }
  auto index = LoadIndex(root());
  if (!index) return index.error();
  auto d = FindTag(*index, ref->TagName());
  if (!d) return MakeError(ErrorCode::kNotFound, "no such image tag", ref->TagName());
  return d->digest;
}

Status ImageStore::Tag(std::string_view tag, std::string_view manifest_digest) {
  auto ref = ParseTagReference(tag);
  if (!ref) return ref.error();
  if (Status s = BlobStore::CheckDigest(manifest_digest); !s) return s;
  auto lock = FileLock::Acquire(LockPath(), FileLock::Mode::kExclusive);
  if (!lock) return lock.error();
  // Checked under the lock: gc cannot remove anything between this check and the index update,
  // so a tag never names an incomplete image.
  auto desc = ManifestDescriptor(manifest_digest);
  if (!desc) return desc.error();
  if (Status s = CheckComplete(manifest_digest); !s) return s;
  auto index = LoadIndex(root());
  if (!index) return index.error();
  const std::string name = ref->TagName();
  std::optional<std::string> previous = SetTag(*index, name, *desc);
  if (previous && *previous == manifest_digest) return OkStatus();  // no move: no history event
  if (Status s = SaveIndex(root(), *index); !s) return s;
  // index.json is the truth and is written first; a crash here loses one history line, never
  // a tag.
  return AppendTagHistory(
      HistoryPath(), name,
      TagEvent{std::string(manifest_digest), FormatWallTime(options_.clock->WallNow())},
      options_.max_tag_history);
}

Status ImageStore::TagAll(const std::map<std::string, std::string>& tags) {
  std::vector<std::pair<std::string, std::string>> named;  // "name:tag", digest
  for (const auto& [tag, digest] : tags) {
    auto ref = ParseTagReference(tag);
    if (!ref) return ref.error();
    if (Status s = BlobStore::CheckDigest(digest); !s) return s;
    named.emplace_back(ref->TagName(), digest);
  }
  auto lock = FileLock::Acquire(LockPath(), FileLock::Mode::kExclusive);
  if (!lock) return lock.error();
  auto index = LoadIndex(root());
  if (!index) return index.error();
  // Everything is checked before index.json changes, so either every tag moves or none does.
  std::vector<std::pair<std::string, std::string>> moved;
  for (const auto& [name, digest] : named) {
    auto desc = ManifestDescriptor(digest);
    if (!desc) return desc.error();
    if (Status s = CheckComplete(digest); !s) return s;
    std::optional<std::string> previous = SetTag(*index, name, *desc);
    if (!previous || *previous != digest) moved.emplace_back(name, digest);
  }
  if (moved.empty()) return OkStatus();
  if (Status s = SaveIndex(root(), *index); !s) return s;
  const std::string at = FormatWallTime(options_.clock->WallNow());
  for (const auto& [name, digest] : moved) {
    if (Status s =
            AppendTagHistory(HistoryPath(), name, TagEvent{digest, at}, options_.max_tag_history);
        !s) {
      return s;
    }
  }
  return OkStatus();
}

Status ImageStore::Untag(std::string_view tag) {
  auto ref = ParseTagReference(tag);
  if (!ref) return ref.error();
  auto lock = FileLock::Acquire(LockPath(), FileLock::Mode::kExclusive);
  if (!lock) return lock.error();
  auto index = LoadIndex(root());
  if (!index) return index.error();
  const std::string name = ref->TagName();
  if (!RemoveTag(*index, name)) return MakeError(ErrorCode::kNotFound, "no such image tag", name);
  if (Status s = SaveIndex(root(), *index); !s) return s;
  return AppendTagHistory(HistoryPath(), name,
                          TagEvent{"", FormatWallTime(options_.clock->WallNow())},
                          options_.max_tag_history);
}

Result<std::vector<TagEvent>> ImageStore::TagHistory(std::string_view tag) const {
  auto ref = ParseTagReference(tag);
  if (!ref) return ref.error();
  return LoadTagHistory(HistoryPath(), ref->TagName());
}

uint64_t ImageStore::ImageSize(const Manifest& m, const Descriptor& manifest) const {
  uint64_t size = manifest.size + m.config.size;
  for (const Descriptor& l : m.layers) size += l.size;
  return size;
}

Result<std::vector<ImageSummary>> ImageStore::List() const {
  auto index = LoadIndex(root());
  if (!index) return index.error();
  std::vector<ImageSummary> out;
  for (const Descriptor& d : index->manifests) {
    auto name = d.annotations.find(std::string(kAnnotationRefName));
    if (name == d.annotations.end()) continue;
    ImageSummary s{name->second, d.digest, d.size, "", ""};
    if (auto bytes = blobs_.ReadSmall(d.digest, d.size, options_.max_document_size); bytes) {
      if (auto m = ParseManifest(*bytes, d.media_type); m) {
        s.size = ImageSize(*m, d);
        auto cfg = blobs_.ReadSmall(m->config.digest, m->config.size, options_.max_document_size);
        if (cfg) {
          if (auto c = ParseConfig(*cfg); c) s.created = c->created;
        }
      }
    }
    if (auto h = LoadTagHistory(HistoryPath(), s.tag); h && !h->empty()) {
      if (h->back().digest == s.digest) s.tagged_at = h->back().at;
    }
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const ImageSummary& a, const ImageSummary& b) { return a.tag < b.tag; });
  return out;
}

Result<ImageDetails> ImageStore::Inspect(std::string_view reference) const {
  auto digest = Resolve(reference);
  if (!digest) return digest.error();
  ImageDetails out;
  out.digest = *digest;
  auto bytes = blobs_.ReadSmall(*digest, std::nullopt, options_.max_document_size);
  if (!bytes) return bytes.error();
  auto m = ParseManifest(*bytes, kMediaTypeImageManifest);
  if (!m) return m.error();
  auto cfg = blobs_.ReadSmall(m->config.digest, m->config.size, options_.max_document_size);
  if (!cfg) return cfg.error();
  auto c = ParseConfig(*cfg);
  if (!c) return c.error();
  out.size = ImageSize(*m, Descriptor{"", *digest, bytes->size(), {}});
  out.manifest = std::move(*m);
  out.config = std::move(*c);
  auto index = LoadIndex(root());
  if (!index) return index.error();
  for (const Descriptor& d : index->manifests) {
    auto name = d.annotations.find(std::string(kAnnotationRefName));
    if (name != d.annotations.end() && d.digest == *digest) out.tags.push_back(name->second);
  }
  std::sort(out.tags.begin(), out.tags.end());
  return out;
}

}  // namespace cairn::image
