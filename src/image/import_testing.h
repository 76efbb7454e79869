// Test-only helpers for the import and export tests: running real OCI tools, writing archives
// with libarchive, and hand-made layouts. Header-only; include it from *_test.cc files only.
#pragma once

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/sha256.h"
#include "image/hostile_layers_testing.h"
#include "image/image_test_util.h"
#include "image/oci_types.h"

namespace cairn::image::testing {

inline bool OnPath(const std::string& tool) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (::access((dir + "/" + tool).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// Runs `argv` (no shell expansion of our own temp paths), returning exit status and output.
inline std::pair<int, std::string> RunTool(const std::vector<std::string>& argv) {
  std::string cmd;
  for (const std::string& a : argv) cmd += "'" + a + "' ";
  cmd += "2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return {-1, "popen failed"};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

inline std::string Digest(const std::string& data) { return "sha256:" + Sha256Hex(data); }

// An archive entry holding `data`, for image archives built by tests.
inline HostileEntry ArchiveFile(std::string path, std::string data) {
  return LayerFile(std::move(path), std::move(data));
}
inline HostileEntry BlobEntry(const std::string& data) {
  return LayerFile("blobs/sha256/" + Sha256Hex(data), data);
}

// Writes a tar of `entries` at `path`.
inline void WriteArchive(const std::string& path, const std::vector<HostileEntry>& entries) {
  WriteFile(path, BuildHostileLayer(entries));
}

inline constexpr char kOciLayoutFile[] = R"({"imageLayoutVersion":"1.0.0"})";

// One image built by hand: its layers (tars, plain or gzip), config and manifest.
struct HandImage {
  std::vector<std::string> layers;
  std::string config, manifest;

  // One layer holding hello.txt; `diff_id` overrides the config's (a lie), `annotation` pads
  // the manifest.
  explicit HandImage(LayerCompression c = LayerCompression::kNone, std::string diff_id = "",
                     std::string annotation = "")
      : HandImage(std::vector<std::vector<HostileEntry>>{{LayerFile("hello.txt", "hello\n")}}, c,
                  diff_id, annotation) {}
  // One layer per element of `layer_entries`, lowest first.
  explicit HandImage(const std::vector<std::vector<HostileEntry>>& layer_entries,
                     LayerCompression c = LayerCompression::kNone, std::string diff_id = "",
                     std::string annotation = "") {
    std::vector<std::string> diff_ids;
    for (const auto& entries : layer_entries) {
      std::string tar = BuildHostileLayer(entries);
      layers.push_back(c == LayerCompression::kNone ? tar : BuildHostileLayer(entries, c));
      diff_ids.push_back(diff_id.empty() ? Digest(tar) : diff_id);
    }
    Finish(diff_ids, c, annotation);
  }
  // Uncompressed layers exactly as given (a truncated tar, say), each its own diff_id.
  static HandImage FromTars(std::vector<std::string> tars) {
    HandImage img(std::vector<std::vector<HostileEntry>>{});
    img.layers = std::move(tars);
    std::vector<std::string> diff_ids;
    for (const std::string& t : img.layers) diff_ids.push_back(Digest(t));
    img.Finish(diff_ids, LayerCompression::kNone, "");
    return img;
  }

  const std::string& layer() const { return layers.front(); }

  nlohmann::json Descriptor(const std::string& ref_name = "") const {
    nlohmann::json d = {{"mediaType", kMediaTypeImageManifest},
                        {"digest", Digest(manifest)},
                        {"size", manifest.size()}};
    if (!ref_name.empty()) d["annotations"] = {{std::string(kAnnotationRefName), ref_name}};
    return d;
  }
  // Every blob as an archive entry: layers, config, manifest.
  std::vector<HostileEntry> Blobs() const {
    std::vector<HostileEntry> out;
    for (const std::string& l : layers) out.push_back(BlobEntry(l));
    out.push_back(BlobEntry(config));
    out.push_back(BlobEntry(manifest));
    return out;
  }

 private:
  void Finish(const std::vector<std::string>& diff_ids, LayerCompression c,
              const std::string& annotation) {
    Manifest m;
    for (const std::string& l : layers) {
      m.layers.push_back(
          {std::string(c == LayerCompression::kNone ? kMediaTypeLayerTar : kMediaTypeLayerGzip),
           Digest(l),
           l.size(),
           {}});
    }
    config = nlohmann::json({{"architecture", "amd64"},
                             {"os", "linux"},
                             {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}})
                 .dump();
    m.config = {std::string(kMediaTypeImageConfig), Digest(config), config.size(), {}};
    if (!annotation.empty()) m.annotations["pad"] = annotation;
    manifest = *SerializeManifest(m);
  }
};

inline std::string IndexOf(std::vector<nlohmann::json> descriptors) {
  return nlohmann::json({{"schemaVersion", 2}, {"manifests", descriptors}}).dump();
}

// oci-layout, index.json and `blobs`, in that order: an OCI archive's entries.
inline std::vector<HostileEntry> OciArchive(const std::string& index,
                                            std::vector<HostileEntry> blobs) {
  std::vector<HostileEntry> out = {ArchiveFile("oci-layout", kOciLayoutFile),
                                   ArchiveFile("index.json", index)};
  out.insert(out.end(), blobs.begin(), blobs.end());
  return out;
}

// The same files as an OCI layout directory at `dir`.
inline void WriteLayout(const std::string& dir, const std::string& index,
                        const std::vector<HostileEntry>& blobs) {
  WriteFile(dir + "/oci-layout", kOciLayoutFile);
  WriteFile(dir + "/index.json", index);
  for (const HostileEntry& b : blobs) WriteFile(dir + "/" + b.path, b.data);
}

}  // namespace cairn::image::testing
