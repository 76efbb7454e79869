// What checking a layer at import costs, beside what import paid before and the alternative the
// check was chosen over: for one layer file (any tar, plain, gzip or zstd),
//
//   diff_id only    decompress and sha256 the stream (what import did before it checked layers)
//   check           LayerChecker::Check: the unpack rules on a model tree, plus the diff_id
//   scratch unpack  ApplyLayer into a fresh directory, then remove it (the alternative)
//
// Each is run --runs times (default 5); the fastest run is printed (a shared machine only adds
// time), with MB/s of uncompressed bytes and the peak RSS growth of the check.
//
// Usage: cairn_layer_check_bench LAYER {none|gzip|zstd} [--runs N] [--scratch DIR]
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "image/sha256_stream.h"
#include "image/unpack.h"

namespace {

using cairn::image::LayerChecker;
using cairn::image::LayerCompression;
using cairn::image::UnpackSource;

double Seconds(const std::function<bool()>& run, int runs) {
  double best = 1e9;
  for (int i = 0; i < runs; ++i) {
    auto start = std::chrono::steady_clock::now();
    if (!run()) return -1;
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    best = std::min(best, took.count());
  }
  return best;
}

// The stream decompressed and hashed, as import's ComputeDiffId did (libarchive raw format).
bool DiffIdOnly(const std::string& path, LayerCompression c, uint64_t* bytes) {
  archive* a = archive_read_new();
  if (c == LayerCompression::kGzip) archive_read_support_filter_gzip(a);
  if (c == LayerCompression::kZstd) archive_read_support_filter_zstd(a);
  archive_read_support_format_raw(a);
  bool ok = archive_read_open_filename(a, path.c_str(), 1 << 16) == ARCHIVE_OK;
  archive_entry* e = nullptr;
  ok = ok && archive_read_next_header(a, &e) == ARCHIVE_OK;
  cairn::image::Sha256Stream hash;
  std::vector<char> buf(1 << 16);
  for (la_ssize_t n; ok && (n = archive_read_data(a, buf.data(), buf.size())) != 0;) {
    if (n < 0) ok = false;
    if (ok) hash.Update(buf.data(), static_cast<size_t>(n));
  }
  *bytes = hash.size();
  archive_read_free(a);
  return ok && !hash.FinishDigest().empty();
}

long MaxRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s LAYER {none|gzip|zstd} [--runs N] [--scratch DIR]\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  const std::string kind = argv[2];
  LayerCompression c = kind == "gzip"   ? LayerCompression::kGzip
                       : kind == "zstd" ? LayerCompression::kZstd
                                        : LayerCompression::kNone;
  int runs = 5;
  std::string scratch = std::filesystem::temp_directory_path() / "cairn-layer-check-bench";
  for (int i = 3; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--scratch") == 0) scratch = argv[i + 1];
  }

  uint64_t bytes = 0;
  double diff_id = Seconds([&] { return DiffIdOnly(path, c, &bytes); }, runs);

  long rss_before = MaxRssKb();
  uint64_t entries = 0;
  std::string error;
  double check = Seconds(
      [&] {
        LayerChecker checker;
        auto r = checker.Check(UnpackSource::File(path), c);
        if (!r.ok()) error = r.error().ToString();
        entries = checker.stats().entries;
        return r.ok();
      },
      runs);
  long rss_growth = MaxRssKb() - rss_before;

  double unpack = Seconds(
      [&] {
        std::filesystem::remove_all(scratch);
        std::filesystem::create_directories(scratch);
        int fd = ::open(scratch.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        auto r = cairn::image::ApplyLayer(fd, UnpackSource::File(path), c);
        ::close(fd);
        if (!r.ok()) error = r.error().ToString();
        std::filesystem::remove_all(scratch);
        return r.ok();
      },
      runs);

  if (!error.empty()) std::fprintf(stderr, "error: %s\n", error.c_str());
  const double mb = static_cast<double>(bytes) / 1e6;
  std::printf("layer %s (%s): %.1f MB uncompressed, %llu entries; fastest of %d runs\n",
              path.c_str(), kind.c_str(), mb, static_cast<unsigned long long>(entries), runs);
  std::printf("%-16s %9s %9s\n", "", "seconds", "MB/s");
  std::printf("%-16s %9.3f %9.0f\n", "diff_id only", diff_id, mb / diff_id);
  std::printf("%-16s %9.3f %9.0f   (peak RSS +%ld KiB)\n", "check", check, mb / check, rss_growth);
  std::printf("%-16s %9.3f %9.0f\n", "scratch unpack", unpack, mb / unpack);
  return error.empty() ? 0 : 1;
}
