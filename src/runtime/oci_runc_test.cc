#include "runtime/oci_runc.h"

#include <gtest/gtest.h>

namespace cairn::runtime {
namespace {

using namespace std::chrono_literals;

TEST(OciRuncTest, LastRuncErrorTakesTheLastErrorMessage) {
  std::string log =
      R"({"level":"warning","msg":"something odd","time":"t"})"
      "\n"
      R"({"level":"error","msg":"first","time":"t"})"
      "\n"
      R"({"level":"error","msg":"runc run failed: exec: \"nosuch\": executable file not found in $PATH","time":"t"})"
      "\n";
  EXPECT_EQ(LastRuncError(log),
            "runc run failed: exec: \"nosuch\": executable file not found in $PATH");
}

TEST(OciRuncTest, LastRuncErrorFallsBackToTheLastLine) {
  EXPECT_EQ(LastRuncError("plain text\nlast words\n\n"), "last words");
  EXPECT_EQ(LastRuncError(""), "");
}

TEST(OciRuncTest, ContainerIdFromASupervisorsCommandLine) {
  RuncCli runc("/usr/sbin/runc", "/data/runc");
  auto argv = runc.RunArgv("web-1", "/data/bundles/web-1", "/b/init.pid", "/b/runc.log");
  std::string cmdline;
  for (const auto& arg : argv) cmdline += arg + '\0';
  auto id = ContainerIdFromCmdline(cmdline, "/data/runc");
  ASSERT_TRUE(id.ok()) << id.error().ToString();
  EXPECT_EQ(*id, "web-1");
  // Another state root, or another program, is not ours.
  EXPECT_FALSE(ContainerIdFromCmdline(cmdline, "/other/runc").ok());
  std::string sleep = std::string("sleep") + '\0' + "100" + '\0';
  EXPECT_FALSE(ContainerIdFromCmdline(sleep, "/data/runc").ok());
  EXPECT_FALSE(ContainerIdFromCmdline("", "/data/runc").ok());
}

TEST(OciRuncTest, RunToolCapturesOutputAndExitCode) {
  auto result = RunTool({"sh", "-c", "echo out; echo err >&2; exit 3"}, 5s);
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(result->exit_code, 3);
  EXPECT_EQ(result->output, "out\nerr\n");
}

TEST(OciRuncTest, RunToolStopsACommandPastItsTimeout) {
  auto start = std::chrono::steady_clock::now();
  auto result = RunTool({"sleep", "10"}, 100ms);
  EXPECT_FALSE(result.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_FALSE(RunTool({"/nonexistent/tool"}, 1s).ok());
}

}  // namespace
}  // namespace cairn::runtime
