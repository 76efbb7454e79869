#include "control/image_provider.h"

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
    auto details = store_.Inspect(digest);
    if (!details.ok()) return details.error();
    std::vector<image::RootfsLayer> layers;
    for (const image::Descriptor& layer : details->manifest.layers) {
      auto path = store_.LayerPath(layer);
      if (!path.ok()) return path.error();
      layers.push_back({*path, layer.media_type, layer.digest});
    }
    auto rootfs = cache_.Prepare(digest, layers);
    if (!rootfs.ok()) return rootfs.error();
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
  image::ImageStore& store_;
  image::RootfsCache& cache_;
};

}  // namespace

std::unique_ptr<ImageProvider> NewStoreImageProvider(image::ImageStore& store,
                                                     image::RootfsCache& cache) {
  return std::make_unique<StoreImageProvider>(store, cache);
}

}  // namespace cairn::control
