#include "image/oci_types.h"

#include <gtest/gtest.h>

#include "core/sha256.h"

namespace cairn::image {
namespace {

const std::string kA = "sha256:" + std::string(64, 'a');
const std::string kB = "sha256:" + std::string(64, 'b');

Manifest SampleManifest() {
  Manifest m;
  m.config = {std::string(kMediaTypeImageConfig), kA, 10, {}};
  m.layers.push_back({std::string(kMediaTypeLayerGzip), kB, 20, {}});
  return m;
}

TEST(OciTypesTest, ManifestSerializationIsCanonicalAndRoundTrips) {
  auto bytes = SerializeManifest(SampleManifest());
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes,
            R"({"config":{"digest":")" + kA +
                R"(","mediaType":"application/vnd.oci.image.config.v1+json","size":10},)"
                R"("layers":[{"digest":")" +
                kB +
                R"(","mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","size":20}],)"
                R"("mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2})");
  auto back = ParseManifest(*bytes, kMediaTypeImageManifest);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->config, SampleManifest().config);
  EXPECT_EQ(back->layers, SampleManifest().layers);
  EXPECT_EQ(*SerializeManifest(*back), *bytes);
}

TEST(OciTypesTest, ConfigRoundTripsAndIsStable) {
  ImageConfig c;
  c.created = "1970-01-01T00:00:00Z";
  c.architecture = "amd64";
  c.os = "linux";
  c.entrypoint = {"/bin/app"};
  c.cmd = {"--port", "8080"};
  c.env = {"B=2", "A=1"};  // order kept: it is not a map
  c.working_dir = "/srv";
  c.diff_ids = {kA};
  auto bytes = SerializeConfig(c);
  ASSERT_TRUE(bytes.ok());
  auto back = ParseConfig(*bytes);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->entrypoint, c.entrypoint);
  EXPECT_EQ(back->cmd, c.cmd);
  EXPECT_EQ(back->env, c.env);
  EXPECT_EQ(back->working_dir, "/srv");
  EXPECT_EQ(back->diff_ids, c.diff_ids);
  EXPECT_EQ(*SerializeConfig(*back), *bytes);
}

TEST(OciTypesTest, InvalidUtf8IsRefusedRatherThanSilentlyReplaced) {
  ImageConfig c;
  c.env = {"X=\xff\xfe"};
  EXPECT_FALSE(SerializeConfig(c).ok());
}

TEST(OciTypesTest, ManifestThatAlsoCarriesManifestsIsAmbiguous) {
  std::string doc = *SerializeManifest(SampleManifest());
  doc.insert(1, R"("manifests":[],)");
  auto m = ParseManifest(doc, kMediaTypeImageManifest);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("ambiguous"), std::string::npos);
}

TEST(OciTypesTest, IndexThatAlsoCarriesLayersIsAmbiguous) {
  std::string doc = R"({"schemaVersion":2,"manifests":[],"layers":[]})";
  auto i = ParseIndex(doc);
  ASSERT_FALSE(i.ok());
  EXPECT_NE(i.error().message.find("ambiguous"), std::string::npos);
}

TEST(OciTypesTest, MediaTypeMustAgreeWithContentAndDescriptor) {
  std::string doc = *SerializeManifest(SampleManifest());
  // The document claims to be an index but has the shape of a manifest.
  std::string lying = doc;
  lying.replace(lying.find(kMediaTypeImageManifest), kMediaTypeImageManifest.size(),
                kMediaTypeImageIndex);
  EXPECT_FALSE(ParseManifest(lying, "").ok());
  // The descriptor that led here says index.
  auto m = ParseManifest(doc, kMediaTypeImageIndex);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("descriptor says"), std::string::npos);
  // Both agree: fine; no descriptor type known: fine.
  EXPECT_TRUE(ParseManifest(doc, kMediaTypeImageManifest).ok());
  EXPECT_TRUE(ParseManifest(doc, "").ok());
}

TEST(OciTypesTest, MalformedDescriptorsAreRefused) {
  auto with_layer = [](const std::string& layer) {
    return R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
           kA + R"(","size":1},"layers":[)" + layer + "]}";
  };
  EXPECT_FALSE(
      ParseManifest(with_layer(R"({"mediaType":"x","digest":")" + kB + R"(","size":1})"), "").ok());
  EXPECT_FALSE(ParseManifest(with_layer(R"({"mediaType":"application/vnd.oci.image.layer.v1.tar",)"
                                        R"("digest":"sha256:12","size":1})"),
                             "")
                   .ok());
  EXPECT_FALSE(ParseManifest(with_layer(R"({"mediaType":"application/vnd.oci.image.layer.v1.tar",)"
                                        R"("digest":")" +
                                        kB + R"(","size":-1})"),
                             "")
                   .ok());
  EXPECT_FALSE(ParseManifest("not json", "").ok());
  EXPECT_FALSE(ParseManifest("[]", "").ok());
}

}  // namespace
}  // namespace cairn::image
