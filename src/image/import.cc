// ImageStore::Import: detects the source format, plans the tags (so a naming problem is found
// before any blob is copied from a directory), stages and checks every image in one batch
// (import_batch.h), and only when all passed publishes their blobs and tags them all in one
// index.json update. A refused import leaves the store as it was.
#include <sys/stat.h>

#include <set>

#include "image/docker_archive.h"
#include "image/file_util.h"
#include "image/import_batch.h"
#include "image/import_layout.h"
#include "image/import_tar.h"
#include "image/input_file.h"
#include "image/oci_archive.h"
#include "image/reference.h"
#include "image/store.h"

namespace cairn::image {
namespace {

using import_internal::ArchiveSource;
using import_internal::DirSource;
using import_internal::ImportBatch;
using import_internal::LayoutEntry;
using import_internal::LayoutSource;
using import_internal::StagedImage;

// A source name that is only a tag ("v1": no repository, as skopeo writes for oci:DIR:v1).
bool IsBareTag(const std::string& name) { return name.find_first_of(":/@") == std::string::npos; }

// Docker Hub names in the short form people type ("web:2", "team/web:2"): podman and skopeo write
// "docker.io/library/web:2" into archives where docker writes "web:2"; both mean the same image.
std::string FamiliarName(const std::string& name) {
  for (std::string_view prefix : {"docker.io/library/", "docker.io/"}) {
    if (name.starts_with(prefix)) return name.substr(prefix.size());
  }
  return name;
}

// The tags for each image, from the names the source gives them (one list per image) or from
// options.tag. Fails when a name cannot become a tag, so nothing is imported under a wrong name.
Result<std::vector<std::vector<std::string>>> PlanTags(
    const std::vector<std::vector<std::string>>& names, const ImportOptions& options) {
  std::vector<std::vector<std::string>> out(names.size());
  if (!options.tag.empty()) {
    if (names.size() != 1) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "the source holds " + std::to_string(names.size()) +
                           " images; --tag names one, so pick it with --source-ref",
                       options.tag);
    }
    auto ref = ParseTagReference(options.tag);
    if (!ref) return ref.error();
    out[0] = {ref->TagName()};
    return out;
  }
  std::set<std::string> taken;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "image " + std::to_string(i) + " of the source has no name; pass --tag");
    }
    for (const std::string& name : names[i]) {
      if (IsBareTag(name)) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "the source names this image only by the tag \"" + name +
                             "\" (no repository); pass --tag name:tag",
                         name);
      }
      auto ref = ParseTagReference(FamiliarName(name));
      if (!ref) return ref.error();
      if (!taken.insert(ref->TagName()).second) {
        return MakeError(ErrorCode::kInvalidArgument, "two images of the source claim the same tag",
                         ref->TagName());
      }
      out[i].push_back(ref->TagName());
    }
  }
  return out;
}

Result<std::vector<StagedImage>> ImportLayoutEntries(const std::vector<LayoutEntry>& entries,
                                                     LayoutSource& source, ImportBatch& batch,
                                                     const ImportOptions& options) {
  std::vector<StagedImage> images;
  for (const LayoutEntry& e : entries) {
    auto image = import_internal::ImportLayoutEntry(e, source, batch, options);
    if (!image) return image.error();
    images.push_back(std::move(*image));
  }
  return images;
}

std::vector<std::vector<std::string>> LayoutNames(const std::vector<LayoutEntry>& entries) {
  std::vector<std::vector<std::string>> names;
  for (const LayoutEntry& e : entries) {
    names.push_back(e.ref_name.empty() ? std::vector<std::string>{}
                                       : std::vector<std::string>{e.ref_name});
  }
  return names;
}

// A layout's metadata file, opened beneath the layout without following links, read under `cap`.
Result<std::string> ReadLayoutFile(int dir_fd, const std::string& dir, const char* name,
                                   uint64_t cap) {
  const std::string shown = dir + "/" + name;
  auto fd = OpenInputFileAt(dir_fd, name, shown);
  if (!fd) return fd.error();
  return ReadInputFile(fd->get(), shown, cap);
}

}  // namespace

Result<ImportReport> ImageStore::Import(const std::string& path, const ImportOptions& options) {
  // Opened once, without blocking on a FIFO; everything below reads through this descriptor.
  auto input = OpenInputPath(path);
  if (!input) return input.error();
  struct stat st;
  if (::fstat(input->get(), &st) != 0) return IoError("fstat", path, errno);
  ImportReport report;
  std::vector<std::vector<std::string>> tags;
  // Every blob waits here until every image is checked; a failure below discards them all.
  ImportBatch batch(*this);
  std::vector<StagedImage> images;

  if (S_ISDIR(st.st_mode)) {
    report.format = "oci-layout";
    auto layout = ReadLayoutFile(input->get(), path, "oci-layout", options_.max_document_size);
    if (!layout) {
      if (layout.error().code != ErrorCode::kNotFound) return layout.error();
      return MakeError(ErrorCode::kInvalidArgument,
                       "directory is not an OCI image layout (it has no oci-layout file)", path);
    }
    auto index = ReadLayoutFile(input->get(), path, "index.json", options_.max_document_size);
    if (!index) return index.error();
    auto entries = import_internal::ReadLayoutIndex(*layout, *index, options.source_ref);
    if (!entries) return entries.error();
    auto planned = PlanTags(LayoutNames(*entries), options);
    if (!planned) return planned.error();
    tags = std::move(*planned);
    DirSource source(input->get(), path, batch);
    auto staged = ImportLayoutEntries(*entries, source, batch, options);
    if (!staged) return staged.error();
    images = std::move(*staged);
  } else {  // a regular file: OpenInputPath refused anything else
    auto contents =
        import_internal::IngestTar(input->get(), path, batch, options_.max_document_size);
    if (!contents) return contents.error();
    const auto& files = contents->small_files;
    if (files.contains("oci-layout")) {
      report.format = "oci-archive";
      if (!files.contains("index.json")) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "OCI archive has an oci-layout but no index.json", path);
      }
      auto entries = import_internal::ReadLayoutIndex(files.at("oci-layout"),
                                                      files.at("index.json"), options.source_ref);
      if (!entries) return entries.error();
      auto planned = PlanTags(LayoutNames(*entries), options);
      if (!planned) return planned.error();
      tags = std::move(*planned);
      ArchiveSource source(*contents, batch);
      auto staged = ImportLayoutEntries(*entries, source, batch, options);
      if (!staged) return staged.error();
      images = std::move(*staged);
    } else if (files.contains("manifest.json")) {
      report.format = "docker-archive";
      auto entries = import_internal::ReadDockerManifest(*contents, options.source_ref);
      if (!entries) return entries.error();
      std::vector<std::vector<std::string>> names;
      for (const auto& e : *entries) names.push_back(e.repo_tags);
      auto planned = PlanTags(names, options);
      if (!planned) return planned.error();
      tags = std::move(*planned);
      for (const auto& e : *entries) {
        auto image = import_internal::ConvertDockerImage(e, *contents, batch);
        if (!image) return image.error();
        images.push_back(std::move(*image));
      }
    } else {
      return MakeError(ErrorCode::kInvalidArgument,
                       "archive holds neither oci-layout (an OCI archive) nor manifest.json (a "
                       "docker archive)",
                       path);
    }
  }

  // Every image passed: publish what the images need (nothing else the source held), then tag.
  for (const StagedImage& image : images) {
    if (Status s = batch.Publish(import_internal::BlobsOf(image.digest, image.manifest)); !s) {
      return s.error();
    }
    report.digests.push_back(image.digest);
  }
  for (size_t i = 0; i < tags.size(); ++i) {
    for (const std::string& t : tags[i]) report.tags[t] = report.digests[i];
  }
  if (Status s = TagAll(report.tags); !s) return s.error();
  return report;
}

}  // namespace cairn::image
