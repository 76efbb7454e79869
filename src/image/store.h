// ImageStore: cairn's content-addressed OCI image store — the face of src/image/.
//
// On disk (an OCI image layout any OCI tool can read, see README.md):
//   <root>/oci-layout                  {"imageLayoutVersion":"1.0.0"}
//   <root>/index.json                  one manifest descriptor per tag (ref.name = "name:tag")
//   <root>/blobs/sha256/<hex>          blobs, never rewritten once committed
//   <root>/cairn/lock                  flock: shared by blob commits, exclusive for tag changes/gc
//   <root>/cairn/tag-history.json      where each tag pointed, when, in order
//   <root>/cairn/ingest/               blobs being written (same file system, renamed into place)
//
// Thread-safety: every method may be called from any thread and from several processes sharing
// one root; tag changes and gc serialize on the lock file. All I/O is blocking: the server calls
// the store from its blocking-work pool, never from an event loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "image/blob_store.h"
#include "image/layer_builder.h"
#include "image/oci_types.h"
#include "image/reachability.h"
#include "image/tag_index.h"
#include "image/unpack.h"

namespace cairn::image {

struct StoreOptions {
  // The layout directory, created when missing. The server passes <data-dir>/images.
  std::string root;
  // Gc never removes a blob (or an upload in cairn/ingest) modified less than this long ago: a
  // build or import writes its blobs before it tags the manifest, and a writer that finds a blob
  // already present refreshes its mtime, so everything an unfinished build needs is young.
  // Default 1 hour: far longer than any build, short enough that space comes back the same day.
  std::chrono::seconds gc_grace{std::chrono::hours(1)};
  // Wall time for tag history and for the gc grace. nullptr (default): SystemClock::Get().
  const Clock* clock = nullptr;
  // Largest manifest, index or config read into memory. Default 4 MiB (the registry limit).
  uint64_t max_document_size = 4 << 20;
  // Events kept per tag in cairn/tag-history.json; older ones are dropped. Default 1000.
  size_t max_tag_history = 1000;
  // Caps on what one image's layers may hold, applied when import checks them against the
  // unpack rules and by Verify: the same caps the rootfs cache unpacks under (the server passes
  // one value to both), so an image accepted here can be unpacked there. Default: unpack.h's.
  UnpackLimits unpack_limits;
};

struct BuildOptions {
  // "name[:tag]" pointed at the result; empty leaves it untagged (the caller must gc-root it).
  std::string tag;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "KEY=value", kept in this order
  std::string workdir;
  std::map<std::string, std::string> labels;
  // Default gzip: every OCI tool reads it (Debian 12's umoci 0.4 and skopeo's docker-archive
  // conversion cannot read zstd). zstd builds about 8x faster (bench/store: 1.00x sha256sum,
  // gzip 0.13x on incompressible data): for images that stay with zstd-aware consumers.
  Compression compression = Compression::kGzip;
  // The mtime of every layer entry and the config's "created" (SOURCE_DATE_EPOCH semantics).
  // Default 0: 1970-01-01, so the digest never depends on when the build ran.
  int64_t source_date_epoch = 0;
  // The config's architecture; part of the digest. Default: this binary's ("amd64", "arm64", …).
  std::string architecture;
};

struct ImportOptions {
  // "name[:tag]" applied instead of the names the source carries. Required when the source names
  // its image with a bare tag ("v1", as `skopeo copy ... oci:DIR:v1` writes) or not at all. With
  // several images in the source it needs `source_ref` to pick one. Default: the source's names.
  std::string tag;
  // Imports only the image the source names so (its ref.name annotation, or a docker RepoTag).
  // Default (empty): every image in the source.
  std::string source_ref;
  // The platform picked from an image index. Defaults: "linux" and HostArchitecture().
  std::string os;
  std::string architecture;
  // Checks each layer's sha256, decompressed, against the config's rootfs.diff_ids. Docker
  // archives are always checked (their conversion relies on it). Default true: an image whose
  // diff_ids lie would unpack to something other than what a signature over its config names.
  // (Every layer is read and checked against the unpack rules either way; this only decides
  // whether the diff_ids are compared.)
  bool verify_diff_ids = true;
};

struct ImportReport {
  std::string format;                       // "oci-layout", "oci-archive" or "docker-archive"
  std::vector<std::string> digests;         // every imported manifest, in source order
  std::map<std::string, std::string> tags;  // "name:tag" -> manifest digest, all applied
};

enum class ExportFormat {
  kOciLayout,   // a directory (oci:DIR for skopeo, DIR:tag for umoci)
  kOciArchive,  // the same layout in one tar file (oci-archive:FILE)
};

struct ExportOptions {
  ExportFormat format = ExportFormat::kOciLayout;
  // The org.opencontainers.image.ref.name written in index.json. Default: the reference's
  // "name:tag"; none for a bare digest reference.
  std::string ref_name;
};

struct ImageSummary {
  std::string tag;        // "name:tag"
  std::string digest;     // manifest digest
  uint64_t size = 0;      // manifest + config + compressed layers, bytes
  std::string created;    // the config's "created" (a build's fixed time, not the tag time)
  std::string tagged_at;  // when the tag last moved here (tag history); empty if unknown
};

struct ImageDetails {
  std::string digest;
  Manifest manifest;
  ImageConfig config;
  uint64_t size = 0;
  std::vector<std::string> tags;  // every tag naming this digest, sorted
};

struct VerifyReport {
  uint64_t blobs_checked = 0;
  std::vector<BlobProblem> problems;  // each corrupt, missing or misnamed blob, digest and path
  bool ok() const { return problems.empty(); }
};

// What the store holds on disk now.
struct StoreUsage {
  uint64_t blobs = 0;  // files under blobs/sha256
  uint64_t bytes = 0;  // their sizes summed
};

struct GcReport {
  std::vector<BlobInfo> removed;
  uint64_t bytes_freed = 0;
  uint64_t kept = 0;             // blobs reachable from a tag or root
  uint64_t spared_young = 0;     // unreachable but inside the grace period
  uint64_t uploads_removed = 0;  // abandoned files in cairn/ingest older than the grace period
};

// The architecture name OCI uses for the machine this binary was compiled for.
std::string HostArchitecture();

class ImageStore {
 public:
  // Creates the layout when missing; refuses a directory whose oci-layout is not version 1.0.0.
  static Result<std::unique_ptr<ImageStore>> Open(StoreOptions options);

  // Builds `dir` into a one-layer image (deterministically, see layer_builder.h) and tags it when
  // options.tag is set. Returns the manifest digest.
  Result<std::string> Build(const std::string& dir, const BuildOptions& options);

  // Blobs. Writers hash as they go and check `expect` on Commit.
  Result<std::unique_ptr<BlobWriter>> NewBlobWriter(BlobExpectation expect = {}) const;
  Result<BlobInfo> PutBlob(std::string_view data, BlobExpectation expect = {}) const;
  // Stores a manifest after checking it parses unambiguously and everything it names is present
  // with the right size. Returns its descriptor (for Tag).
  Result<Descriptor> PutManifest(std::string_view bytes) const;
  // A small blob (manifest, config) whole; size and digest checked.
  Result<std::string> ReadBlob(std::string_view digest) const;
  // The on-disk path of a layer after checking its size against the descriptor; for unpacking.
  Result<std::string> LayerPath(const Descriptor& layer) const;

  // Tags and references. Resolve accepts everything ParseReference does and returns the manifest
  // digest (a digest reference must name a manifest present in the store).
  Result<std::string> Resolve(std::string_view reference) const;
  // Points "name[:tag]" at a stored manifest, recording the move in the tag history.
  Status Tag(std::string_view tag, std::string_view manifest_digest);
  // Points every tag of `tags` ("name[:tag]" -> manifest digest) in one index.json update: all
  // move or none does (each image checked complete first).
  Status TagAll(const std::map<std::string, std::string>& tags);
  // Removes a tag (kNotFound when it does not exist); its blobs stay until gc.
  Status Untag(std::string_view tag);
  Result<std::vector<TagEvent>> TagHistory(std::string_view tag) const;
  // Every tag, sorted by name.
  Result<std::vector<ImageSummary>> List() const;
  Result<ImageDetails> Inspect(std::string_view reference) const;

  // Imports an OCI image layout directory, an OCI archive (the layout in a tar) or a docker
  // archive (`docker save`), detected from the content. Every blob is re-hashed on its way in and
  // every layer checked against the unpack rules (import_layer.h); blobs enter blobs/sha256 and
  // tags move only after every imported image passed, so a refused import leaves the store as it
  // was. See README.md "Import and export" and "What import refuses".
  Result<ImportReport> Import(const std::string& path, const ImportOptions& options = {});
  // Writes the image `reference` names as an OCI image layout at `dest` (created when missing; an
  // existing non-empty directory must be an OCI layout, which the image is added to), or as an
  // OCI archive file (which must not exist yet). Returns the manifest descriptor written to
  // index.json.
  Result<Descriptor> Export(std::string_view reference, const std::string& dest,
                            const ExportOptions& options = {}) const;

  // Re-hashes every blob in the store, checks every tagged image is complete, and checks each
  // tagged image's layers as import does (the unpack rules, the diff_ids).
  Result<VerifyReport> Verify() const;
  // Only what `reference` needs.
  Result<VerifyReport> Verify(std::string_view reference) const;

  // Removes blobs reachable from neither a tag nor `roots` (manifest digests — or any blob
  // digest — the caller must keep: revisions in history, running instances), older than the grace
  // period. Holds the lock exclusively throughout. Refuses (nothing removed) when a tagged or
  // rooted manifest cannot be read, since what it references would be unknown.
  Result<GcReport> Gc(const std::vector<std::string>& roots);
  // Counts the blobs and their bytes: one directory read and a stat per blob, no lock (a commit
  // or gc running meanwhile is seen before or after). For /metrics.
  Result<StoreUsage> Usage() const;

  const std::string& root() const { return options_.root; }
  const StoreOptions& options() const { return options_; }

 private:
  explicit ImageStore(StoreOptions options);
  std::string LockPath() const { return options_.root + "/cairn/lock"; }
  std::string HistoryPath() const { return options_.root + "/cairn/tag-history.json"; }
  Result<Descriptor> ManifestDescriptor(std::string_view digest) const;
  uint64_t ImageSize(const Manifest& m, const Descriptor& manifest) const;
  // Config and layers present with the sizes the manifest gives.
  Status CheckComplete(const Manifest& m) const;
  Status CheckComplete(std::string_view manifest_digest) const;
  VerifyReport VerifyReachable(const std::vector<ReachStart>& starts, bool all_blobs) const;
  // Adds a problem for each image of `starts` whose layers an unpack would refuse.
  void VerifyLayers(const std::vector<ReachStart>& starts, VerifyReport* report) const;

  StoreOptions options_;
  BlobStore blobs_;
};

}  // namespace cairn::image
