// Services that run an image, with a fake image provider and the fake driver: apply pins the
// tag's digest into the revision, instances get the image's program and root, and a drifted
// root's instances are replaced like an outdated version, keeping the service available.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "control/controller.h"
#include "control/controller_harness_for_test.h"

namespace cairn::control {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kDigest1 = "sha256:" + std::string(64, '1');
const std::string kDigest2 = "sha256:" + std::string(64, '2');

class FakeImages : public ImageProvider {
 public:
  Result<std::string> Resolve(const std::string& reference) override {
    auto it = tags.find(reference);
    if (it == tags.end()) {
      return MakeError(ErrorCode::kNotFound, "no image " + reference + " in the store");
    }
    return it->second;
  }
  Result<PreparedImage> Prepare(const std::string& digest) override {
    ++prepared[digest];
    return PreparedImage{"/cache/" + digest.substr(7, 8),
                         {"/bin/web"},
                         {"--port", "80"},
                         {"MODE=image", "KEEP=1"},
                         "/srv"};
  }
  Result<std::vector<std::string>> VerifyRoot(const std::string&) override {
    return std::vector<std::string>{};
  }
  Result<std::string> QuarantineRoot(const std::string& digest) override {
    return "/cache/" + digest.substr(7, 8) + ".drifted-x";
  }
  std::map<std::string, std::string> tags = {{"web:1", kDigest1}, {"web:2", kDigest2}};
  std::map<std::string, int> prepared;
};

std::string ImageYaml(const std::string& image, int replicas) {
  return "environment: test\nservices:\n  web:\n    image: " + image +
         "\n    replicas: " + std::to_string(replicas) +
         "\n    env: { MODE: service }\n    resources: { memory: 64Mi, cpu: 0.5, pids: 64 }\n";
}

struct ImageHarness {
  ImageHarness() : h(Options(&images)) {}
  static ControllerOptions Options(FakeImages* images) {
    ControllerOptions o;
    o.images = images;
    return o;
  }
  FakeImages images;
  ControllerHarness h;
};

TEST(ControllerImagesTest, ApplyPinsTheDigestAndInstancesRunTheImage) {
  ImageHarness t;
  ASSERT_TRUE(t.h.Start().ok());
  auto applied = t.h.Apply(ImageYaml("web:1", 2));
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  auto revision = t.h.controller().store().GetRevision(1);
  ASSERT_TRUE(revision.ok());
  EXPECT_THAT(revision->spec_json, HasSubstr("\"image_digest\":\"" + kDigest1 + "\""));
  t.h.Tick();
  ASSERT_EQ(t.h.driver().RunningPids().size(), 2u);
  const runtime::InstanceConfig& c =
      t.h.driver().process(t.h.driver().RunningPids().front()).config;
  EXPECT_THAT(c.argv, ElementsAre("/bin/web", "--port", "80"));
  EXPECT_EQ(c.workdir, "/srv");
  EXPECT_EQ(c.env.at("MODE"), "service");  // the service overrides the image
  EXPECT_EQ(c.env.at("KEEP"), "1");
  EXPECT_EQ(c.oci.rootfs, "/cache/11111111");
  EXPECT_EQ(c.oci.memory_bytes, 64u << 20);
  EXPECT_EQ(c.oci.cpu, 0.5);
  EXPECT_EQ(c.oci.pids_limit, 64);

  // A tag that moves changes nothing until the next apply; the plan names the new digest.
  t.images.tags["web:1"] = kDigest2;
  auto plan = t.h.controller().Plan(ImageYaml("web:1", 2), "cairn.yaml");
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(plan::RenderPlanText(*plan, false), HasSubstr(kDigest2));
}

// The image's Entrypoint is /bin/web and its Cmd "--port 80" (FakeImages): `command` replaces
// the Entrypoint and drops the Cmd, `args` replace the Cmd, as in Kubernetes.
TEST(ControllerImagesTest, CommandAndArgsOverrideTheImagesEntrypointAndCmd) {
  struct Case {
    std::string lines;
    std::vector<std::string> argv;
  };
  const std::vector<Case> cases = {
      {"", {"/bin/web", "--port", "80"}},
      {"    command: /bin/debug\n", {"/bin/debug"}},
      {"    args: [--port, \"81\"]\n", {"/bin/web", "--port", "81"}},
      {"    command: /bin/sh\n    args: [-c, run]\n", {"/bin/sh", "-c", "run"}},
  };
  for (const Case& c : cases) {
    ImageHarness t;
    ASSERT_TRUE(t.h.Start().ok());
    auto applied = t.h.Apply(ImageYaml("web:1", 1) + c.lines);
    ASSERT_TRUE(applied.ok()) << applied.error().message;
    t.h.Tick();
    ASSERT_EQ(t.h.driver().RunningPids().size(), 1u) << c.lines;
    EXPECT_EQ(t.h.driver().process(t.h.driver().RunningPids().front()).config.argv, c.argv)
        << c.lines;
  }
}

TEST(ControllerImagesTest, AnImageMissingFromTheStoreIsRefusedAtApplyByItsField) {
  ImageHarness t;
  ASSERT_TRUE(t.h.Start().ok());
  auto applied = t.h.Apply(ImageYaml("web:9", 1));
  ASSERT_FALSE(applied.ok());
  EXPECT_THAT(applied.error().message, HasSubstr("services.web.image: no image web:9"));
  EXPECT_THAT(applied.error().message, HasSubstr("cairn image ls"));
}

TEST(ControllerImagesTest, WithoutRuncImageServicesAreRefusedWithTheReason) {
  FakeImages images;
  ControllerOptions o;
  o.images = &images;
  o.images_unavailable = "this host cannot run images: runc not found";
  ControllerHarness h(o);
  ASSERT_TRUE(h.Start().ok());
  auto applied = h.Apply(ImageYaml("web:1", 1));
  ASSERT_FALSE(applied.ok());
  EXPECT_THAT(applied.error().message, HasSubstr("runc not found"));
}

TEST(ControllerImagesTest, DriftedInstancesAreReplacedKeepingTheServiceAvailable) {
  ImageHarness t;
  ASSERT_TRUE(t.h.Start().ok());
  ASSERT_TRUE(t.h.Apply(ImageYaml("web:1", 3)).ok());
  t.h.Tick();
  ASSERT_EQ(t.h.Service().healthy, 3);
  EXPECT_THAT(t.h.controller().RunningImageDigests(), ElementsAre(kDigest1));
  int replaced =
      t.h.controller().ReplaceDrifted(kDigest1, {"changed /bin/web (content)"}, "/aside");
  EXPECT_EQ(replaced, 3);
  std::set<std::string> before;
  for (const auto& i : t.h.Service().instances) before.insert(i.id);
  for (int tick = 0; tick < 30; ++tick) {
    t.h.Tick();
    int healthy = 0;
    for (const auto& i : t.h.Service().instances) {
      healthy += i.phase == InstancePhase::kHealthy ? 1 : 0;
    }
    ASSERT_GE(healthy, 3) << "tick " << tick << ": a drift replacement took capacity away";
  }
  ServiceInfo web = t.h.Service();
  EXPECT_EQ(web.rollout, RolloutState::kComplete);
  EXPECT_EQ(web.drift_replaced, 3);
  ASSERT_EQ(web.instances.size(), 3u);
  for (const auto& i : web.instances) EXPECT_EQ(before.count(i.id), 0u) << i.id << " kept";
  int events = 0;
  for (const telemetry::Event& e : t.h.controller().events().Since(0)) {
    if (e.type == "instance.drift") {
      ++events;
      EXPECT_THAT(e.message, HasSubstr("changed /bin/web (content)"));
    }
  }
  EXPECT_EQ(events, 3);
}

}  // namespace
}  // namespace cairn::control
