#include "image/import_batch.h"

#include <sys/stat.h>

#include <cerrno>

#include "core/sha256.h"
#include "image/file_util.h"

namespace cairn::image::import_internal {

Result<std::unique_ptr<BlobWriter>> ImportBatch::NewWriter(BlobExpectation expect) const {
  return store_.NewBlobWriter(std::move(expect));
}

Result<BlobInfo> ImportBatch::Add(std::unique_ptr<BlobWriter> writer) {
  auto info = writer->Seal();
  if (!info) return info.error();
  blobs_.try_emplace(info->digest, std::move(writer));  // a second copy is discarded with it
  return info;
}

Result<BlobInfo> ImportBatch::AddBytes(std::string_view data) {
  auto writer = NewWriter();
  if (!writer) return writer.error();
  if (Status s = (*writer)->Write(data); !s) return s.error();
  return Add(std::move(*writer));
}

Result<std::string> ImportBatch::Path(const Descriptor& d) const {
  auto it = blobs_.find(d.digest);
  if (it == blobs_.end()) {
    return MakeError(ErrorCode::kNotFound, "the source does not hold this blob", d.digest);
  }
  const std::string& path = it->second->sealed_path();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return IoError("stat staged blob", path, errno);
  if (static_cast<uint64_t>(st.st_size) != d.size) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "blob has " + std::to_string(st.st_size) + " bytes, its descriptor says " +
                         std::to_string(d.size),
                     d.digest);
  }
  return path;
}

Result<std::string> ImportBatch::ReadDocument(const Descriptor& d) const {
  const uint64_t cap = store_.options().max_document_size;
  if (d.size > cap) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "document is " + std::to_string(d.size) + " bytes, over the " +
                         std::to_string(cap) + "-byte cap for image metadata",
                     d.digest);
  }
  auto path = Path(d);
  if (!path) return path.error();
  auto data = ReadWholeFile(*path);
  if (!data) return data.error();
  // Hashed when sealed; hashed again since the file is read anew (and is ours, but on disk).
  if ("sha256:" + Sha256Hex(*data) != d.digest) {
    return MakeError(ErrorCode::kIo, "staged blob " + *path + " changed after it was checked",
                     d.digest);
  }
  return data;
}

Status ImportBatch::Publish(const std::vector<std::string>& digests) {
  for (const std::string& digest : digests) {
    if (published_.contains(digest)) continue;  // a layer two images share
    auto it = blobs_.find(digest);
    if (it == blobs_.end()) {
      return MakeError(ErrorCode::kInternal, "publishing a blob the import did not stage", digest);
    }
    if (auto info = it->second->Commit(); !info) return info.error();
    blobs_.erase(it);
    published_.insert(digest);
  }
  return OkStatus();
}

std::vector<std::string> BlobsOf(const std::string& manifest_digest, const Manifest& m) {
  std::vector<std::string> out;
  for (const Descriptor& layer : m.layers) out.push_back(layer.digest);
  out.push_back(m.config.digest);
  out.push_back(manifest_digest);
  return out;
}

}  // namespace cairn::image::import_internal
