// Sha256Stream: SHA-256 fed in chunks, so a layer of any size is hashed while it is written or
// read and never held in memory. core/sha256.h hashes whole strings only.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace cairn::image {

class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;

  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // Bytes fed so far.
  uint64_t size() const { return size_; }
  // "sha256:<hex>" of everything fed. REQUIRES: called once; no Update afterwards.
  std::string FinishDigest();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
  uint64_t size_ = 0;
};

}  // namespace cairn::image
