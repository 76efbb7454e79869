// The store-backed image provider over a real store and rootfs cache: an image the unpack
// rules refuse is refused again from memory, without unpacking it at every start.
#include "control/image_provider.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "image/image_test_util.h"

namespace cairn::control {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Fixture {
  Fixture(uint64_t max_entries) {
    image::testing::WriteFile(dir / "app/a", "a");
    image::testing::WriteFile(dir / "app/b", "b");
    image::testing::WriteFile(dir / "app/c", "c");
    auto opened = image::ImageStore::Open({.root = dir / "store"});
    EXPECT_TRUE(opened.ok());
    store = std::move(*opened);
    image::BuildOptions build;
    build.entrypoint = {"/a"};
    auto built = store->Build(dir / "app", build);
    EXPECT_TRUE(built.ok()) << built.error().ToString();
    digest = *built;
    image::RootfsCacheOptions cache_options;
    cache_options.dir = dir / "rootfs";
    cache_options.sync = false;
    cache_options.limits.max_entries = max_entries;
    cache = std::make_unique<image::RootfsCache>(cache_options);
    provider = NewStoreImageProvider(*store, *cache);
  }
  image::testing::TempDir dir;
  std::unique_ptr<image::ImageStore> store;
  std::unique_ptr<image::RootfsCache> cache;
  std::unique_ptr<ImageProvider> provider;
  std::string digest;
};

TEST(StoreImageProviderTest, AnImageTheUnpackRulesRefuseIsNotUnpackedAgain) {
  Fixture f(/*max_entries=*/2);
  auto first = f.provider->Prepare(f.digest);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(first.error().message, HasSubstr("max_entries"));
  EXPECT_THAT(first.error().message, Not(HasSubstr("not tried again")));

  auto again = f.provider->Prepare(f.digest);
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(again.error().message, HasSubstr("max_entries"));
  EXPECT_THAT(again.error().message,
              HasSubstr("refused when first unpacked; it is not tried again"));
  EXPECT_FALSE(f.cache->Contains(f.digest));
}

TEST(StoreImageProviderTest, AnImageWithinTheLimitsIsPreparedAndCached) {
  Fixture f(/*max_entries=*/1000);
  auto prepared = f.provider->Prepare(f.digest);
  ASSERT_TRUE(prepared.ok()) << prepared.error().ToString();
  EXPECT_EQ(prepared->entrypoint, std::vector<std::string>{"/a"});
  EXPECT_TRUE(f.cache->Contains(f.digest));
}

}  // namespace
}  // namespace cairn::control
