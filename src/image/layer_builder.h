// BuildLayer: one directory -> one deterministic, compressed OCI layer blob.
//
// Determinism rules (same tree content => same bytes, whatever the paths, owners, times, umask or
// locale of the machine that builds it):
//  - entries in depth-first order with each directory's children sorted bytewise; the root
//    directory itself is not an entry; paths are relative ("bin/app", "etc/");
//  - every mtime is `mtime` (seconds since the epoch, SOURCE_DATE_EPOCH-style), no atime/ctime;
//  - uid/gid 0, empty uname/gname, no xattrs/ACLs/file flags;
//  - modes normalized: 0755 for directories and for files with any execute bit, 0644 for other
//    files (setuid/setgid/sticky dropped); symlinks kept as symlinks with their target verbatim;
//  - hard links are written as independent copies (a checkout that lost its links builds the same
//    layer as one that kept them);
//  - device nodes, FIFOs and sockets are refused with the path named;
//  - pax (restricted) format: extended headers only where ustar cannot hold a value (long paths,
//    large files); names stored as raw bytes (hdrcharset=BINARY) so the locale cannot change them;
//  - gzip without a timestamp or file name in its header; zstd single-threaded.
// Compressed bytes also depend on the zlib/zstd library version; the diff_id (hash of the
// uncompressed tar) depends only on the tree.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"
#include "image/blob_store.h"

namespace cairn::image {

enum class Compression { kGzip, kZstd };

struct LayerResult {
  BlobInfo blob;           // the compressed layer as stored
  std::string diff_id;     // "sha256:<hex>" of the uncompressed tar
  std::string media_type;  // tar+gzip or tar+zstd
};

// Streams the tar through the compressor into `store`; files are read in chunks, never whole.
Result<LayerResult> BuildLayer(const std::string& dir, Compression compression, int64_t mtime,
                               const BlobStore& store);

}  // namespace cairn::image
