// The layout the store writes is read by real OCI tools: umoci unpacks a built image and skopeo
// inspects it. Skipped (with the reason) only when a tool is not installed
// (scripts/install-deps installs both).
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/require_tool_for_test.h"
#include "image/image_test_util.h"
#include "image/store.h"

namespace cairn::image {
namespace {

using testing::TempDir;
using testing::WriteFile;

bool OnPath(const std::string& tool) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (::access((dir + "/" + tool).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// Runs `argv` (no shell), returning exit status and combined output.
std::pair<int, std::string> RunTool(const std::vector<std::string>& argv) {
  std::string cmd;
  for (const std::string& a : argv) cmd += "'" + a + "' ";  // paths are our own temp dirs
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

class OciToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(tmp_ / "src/srv/hello.txt", "hello from cairn\n");
    WriteFile(tmp_ / "src/bin/app", "#!/bin/sh\necho hi\n", 0755);
    ::symlink("hello.txt", (tmp_ / "src/srv/link").c_str());
    auto store = ImageStore::Open(StoreOptions{.root = tmp_ / "layout"});
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    store_ = std::move(*store);
  }

  std::string BuildTagged(Compression c) {
    auto d = store_->Build(tmp_ / "src", BuildOptions{.tag = "web:1",
                                                      .entrypoint = {"/bin/app"},
                                                      .env = {"GREETING=hi"},
                                                      .workdir = "/srv",
                                                      .compression = c});
    EXPECT_TRUE(d.ok()) << d.error().ToString();
    return d.ok() ? *d : "";
  }

  TempDir tmp_;
  std::unique_ptr<ImageStore> store_;
};

TEST_F(OciToolsTest, UmociUnpacksABuiltImage) {
  CAIRN_REQUIRE_TOOL(OnPath("umoci"), "umoci is not installed (scripts/install-deps installs it)");
  BuildTagged(Compression::kGzip);
  auto [rc, out] =
      RunTool({"umoci", "unpack", "--rootless", "--image", tmp_ / "layout:web:1", tmp_ / "bundle"});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(testing::ReadFile(tmp_ / "bundle/rootfs/srv/hello.txt"), "hello from cairn\n");
  char target[64] = {};
  ASSERT_GT(::readlink((tmp_ / "bundle/rootfs/srv/link").c_str(), target, sizeof target - 1), 0);
  EXPECT_STREQ(target, "hello.txt");
  // umoci turns the image config into the runtime config.
  auto config = nlohmann::json::parse(testing::ReadFile(tmp_ / "bundle/config.json"));
  EXPECT_EQ(config["process"]["cwd"], "/srv");
  EXPECT_EQ(config["process"]["args"][0], "/bin/app");
}

TEST_F(OciToolsTest, SkopeoInspectsABuiltImage) {
  CAIRN_REQUIRE_TOOL(OnPath("skopeo"),
                     "skopeo is not installed (scripts/install-deps installs it)");
  std::string digest = BuildTagged(Compression::kGzip);
  auto [rc, out] = RunTool({"skopeo", "inspect", "oci:" + (tmp_ / "layout") + ":web:1"});
  ASSERT_EQ(rc, 0) << out;
  auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  EXPECT_EQ(j["Digest"], digest);
  EXPECT_EQ(j["Architecture"], HostArchitecture());
  EXPECT_EQ(j["Os"], "linux");
  ASSERT_EQ(j["Layers"].size(), 1u);
  // skopeo can also copy it whole, re-checking every digest on the way.
  auto [rc2, out2] = RunTool({"skopeo", "copy", "oci:" + (tmp_ / "layout") + ":web:1",
                              "oci:" + (tmp_ / "copy") + ":web:1"});
  EXPECT_EQ(rc2, 0) << out2;
}

TEST_F(OciToolsTest, SkopeoReadsZstdLayers) {
  CAIRN_REQUIRE_TOOL(OnPath("skopeo"),
                     "skopeo is not installed (scripts/install-deps installs it)");
  std::string digest = BuildTagged(Compression::kZstd);
  auto [rc, out] = RunTool({"skopeo", "inspect", "oci:" + (tmp_ / "layout") + ":web:1"});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find(digest), std::string::npos);
}

}  // namespace
}  // namespace cairn::image
