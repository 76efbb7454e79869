#include "control/image_provider.h"

#include <map>
#include <mutex>

namespace cairn::control {
namespace {

class StoreImageProvider final : public ImageProvider {
 public:
  StoreImageProvider(image::ImageStore& store, image::RootfsCache& cache)
      : store_(store), cache_(cache) {}

  Result<std::string> Resolve(const std::string& reference) override {
    return store_.Resolve(reference);
  }

  Result<PreparedImage> Prepare(const std::string& digest) override {
    // Checked first: a refused image's layers are not even looked up again.
    if (auto refused = RefusedBefore(digest)) return *refused;
    auto details = store_.Inspect(digest);
    if (!details.ok()) return details.error();
    std::vector<image::RootfsLayer> layers;
    for (const image::Descriptor& layer : details->manifest.layers) {
      auto path = store_.LayerPath(layer);
      if (!path.ok()) return path.error();
      layers.push_back({*path, layer.media_type, layer.digest});
    }
    auto rootfs = cache_.Prepare(digest, layers);
    if (!rootfs.ok()) {
      Remember(digest, rootfs.error());
      return rootfs.error();
    }
    const image::ImageConfig& c = details->config;
    return PreparedImage{*rootfs, c.entrypoint, c.cmd, c.env, c.working_dir};
  }

  Result<std::vector<std::string>> VerifyRoot(const std::string& digest) override {
    return cache_.Verify(digest);
  }

  Result<std::string> QuarantineRoot(const std::string& digest) override {
    return cache_.Quarantine(digest);
  }

 private:
  std::optional<Error> RefusedBefore(const std::string& digest) {
    std::lock_guard lock(mu_);
    auto it = refused_.find(digest);
    if (it == refused_.end()) return std::nullopt;
    return it->second;
  }

  // The unpack rules refusing a layer, or a layer that is not a readable archive
  // (kInvalidArgument), depend only on the image's bytes, which its digest fixes: remembered,
  // so a service that cannot start does not unpack the whole image again at every try. I/O
  // errors (a full disk, too many open files) are not: the next try may succeed. Forgotten when
  // the server restarts.
  void Remember(const std::string& digest, const Error& error) {
    if (error.code != ErrorCode::kInvalidArgument) return;
    std::lock_guard lock(mu_);
    Error remembered = error;
    remembered.message += " (this image was refused when first unpacked; it is not tried again)";
    refused_.emplace(digest, std::move(remembered));
  }

  image::ImageStore& store_;
  image::RootfsCache& cache_;
  std::mutex mu_;
  std::map<std::string, Error> refused_;  // by manifest digest; guarded by mu_
};

}  // namespace

std::unique_ptr<ImageProvider> NewStoreImageProvider(image::ImageStore& store,
                                                     image::RootfsCache& cache) {
  return std::make_unique<StoreImageProvider>(store, cache);
}

}  // namespace cairn::control
