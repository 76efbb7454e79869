// ImageStore::Export: one image (manifest, config, layers) out of the store as an OCI image
// layout directory or an OCI archive that skopeo, umoci and other OCI tools read.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/ids.h"
#include "image/file_util.h"
#include "image/oci_archive.h"
#include "image/reference.h"
#include "image/sha256_stream.h"
#include "image/store.h"

namespace cairn::image {
namespace {

using nlohmann::json;

constexpr std::string_view kOciLayout = R"({"imageLayoutVersion":"1.0.0"})";

// Creates `dir` when missing. An existing directory must be empty or an OCI layout 1.0.0 (which
// the export adds to); anything else is refused rather than mixed with unrelated files.
Status PrepareLayoutDir(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) return IoError("export destination", dir, errno);
    return MakeDirs(dir + "/blobs/sha256");
  }
  if (!S_ISDIR(st.st_mode)) {
    return MakeError(ErrorCode::kAlreadyExists, "export destination exists and is not a directory",
                     dir);
  }
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return IoError("open directory", dir, errno);
  bool empty = true;
  while (struct dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name != "." && name != "..") empty = false;
  }
  ::closedir(d);
  if (!empty) {
    auto layout = ReadWholeFile(dir + "/oci-layout");
    json j = layout ? json::parse(*layout, nullptr, false) : json();
    if (!j.is_object() || j.value("imageLayoutVersion", "") != "1.0.0") {
      return MakeError(ErrorCode::kAlreadyExists,
                       "export destination is not empty and not an OCI image layout 1.0.0; "
                       "refusing to write into it",
                       dir);
    }
  }
  return MakeDirs(dir + "/blobs/sha256");
}

// Copies one blob from the store, re-hashing it, unless the layout already has it.
Status CopyBlob(const std::string& from, const Descriptor& d, const std::string& dir) {
  const std::string to = dir + "/blobs/sha256/" + d.digest.substr(7);
  struct stat st;
  if (::stat(to.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) == d.size) {
    return OkStatus();
  }
  const std::string tmp = to + ".tmp-" + RandomHexId(6);
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return IoError("open blob", from, errno);
  int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (out < 0) {
    ::close(in);
    return IoError("create", tmp, errno);
  }
  Sha256Stream hash;
  Status s;
  std::vector<char> buf(1 << 16);
  for (;;) {
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) s = IoError("read blob", from, errno);
    if (n <= 0) break;
    hash.Update(buf.data(), static_cast<size_t>(n));
    for (ssize_t off = 0; off < n && s;) {
      ssize_t w = ::write(out, buf.data() + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) s = IoError("write", tmp, errno);
      off += w > 0 ? w : 0;
    }
    if (!s) break;
  }
  ::close(in);
  if (s && hash.FinishDigest() != d.digest) {
    s = MakeError(ErrorCode::kIo, "stored blob does not match its digest; run cairn image verify",
                  d.digest);
  }
  if (s) s = FsyncFd(out, tmp);
  ::close(out);
  if (s && ::rename(tmp.c_str(), to.c_str()) != 0) s = IoError("rename", to, errno);
  if (!s) ::unlink(tmp.c_str());
  return s;
}

json DescriptorJson(const Descriptor& d) {
  json j = {{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  return j;
}

// Adds `top` to the layout's index.json, replacing an entry with the same ref name. The JSON is
// edited as is, so what other tools wrote (platform, their annotations) survives.
Status UpdateLayoutIndex(const std::string& dir, const Descriptor& top) {
  const std::string path = dir + "/index.json";
  json index = {{"schemaVersion", 2}, {"manifests", json::array()}};
  if (auto bytes = ReadWholeFile(path); bytes) {
    index = json::parse(*bytes, nullptr, false);
    if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array()) {
      return MakeError(ErrorCode::kInvalidArgument, "existing index.json is not an image index",
                       path);
    }
  } else if (bytes.error().code != ErrorCode::kNotFound) {
    return bytes.error();
  }
  auto name = top.annotations.find(std::string(kAnnotationRefName));
  json kept = json::array();
  for (const json& d : index["manifests"]) {
    const json* ann = d.contains("annotations") ? &d["annotations"] : nullptr;
    const bool same_name = name != top.annotations.end() && ann && ann->is_object() &&
                           ann->value(std::string(kAnnotationRefName), "") == name->second;
    const bool same_unnamed = name == top.annotations.end() && d.value("digest", "") == top.digest;
    if (!same_name && !same_unnamed) kept.push_back(d);
  }
  kept.push_back(DescriptorJson(top));
  index["manifests"] = kept;
  index["mediaType"] = kMediaTypeImageIndex;
  return WriteFileAtomic(path, index.dump());
}

}  // namespace

Result<Descriptor> ImageStore::Export(std::string_view reference, const std::string& dest,
                                      const ExportOptions& options) const {
  auto digest = Resolve(reference);
  if (!digest) return digest.error();
  std::string ref_name = options.ref_name;
  if (ref_name.empty()) {
    auto ref = ParseReference(reference);
    if (ref && !ref->has_digest()) ref_name = ref->TagName();
  }
  auto bytes = ReadBlob(*digest);
  if (!bytes) return bytes.error();
  auto m = ParseManifest(*bytes, kMediaTypeImageManifest);
  if (!m) return m.error();

  Descriptor top{std::string(kMediaTypeImageManifest), *digest, bytes->size(), {}};
  if (!ref_name.empty()) top.annotations[std::string(kAnnotationRefName)] = ref_name;
  std::vector<Descriptor> blobs = {m->config};
  blobs.insert(blobs.end(), m->layers.begin(), m->layers.end());
  blobs.push_back(Descriptor{top.media_type, top.digest, top.size, {}});

  if (options.format == ExportFormat::kOciArchive) {
    auto index = SerializeIndex(Index{{top}, {}});
    if (!index) return index.error();
    if (Status s = import_internal::WriteOciArchive(dest, *this, blobs, *index); !s) {
      return s.error();
    }
    return top;
  }
  if (Status s = PrepareLayoutDir(dest); !s) return s.error();
  for (const Descriptor& d : blobs) {
    auto from = LayerPath(d);  // the stored blob, its size checked against the manifest
    if (!from) return from.error();
    if (Status s = CopyBlob(*from, d, dest); !s) return s.error();
  }
  // Blobs first, index.json last: a reader never sees a descriptor whose blobs are missing.
  if (::access((dest + "/oci-layout").c_str(), F_OK) != 0) {
    if (Status s = WriteFileAtomic(dest + "/oci-layout", kOciLayout); !s) return s.error();
  }
  if (Status s = UpdateLayoutIndex(dest, top); !s) return s.error();
  return top;
}

}  // namespace cairn::image
