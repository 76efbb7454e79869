#include "cli/commands.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/events_command.h"

namespace cairn::cli {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

json Instance(const std::string& id, int64_t revision, const std::string& state, int pid,
              bool crash_looping = false) {
  return {{"id", id},
          {"revision", revision},
          {"template_hash", "t"},
          {"pid", pid},
          {"port", 40000 + pid},
          {"state", state},
          {"health", ""},
          {"restarts", crash_looping ? 6 : 0},
          {"crash_looping", crash_looping},
          {"started_at", "2027-01-15T08:00:00.000Z"},
          {"log_path", "/data/logs/" + id + ".log"}};
}

json Status() {
  json head = {{"number", 2},           {"hash", "abcdef0123456789abcdef"},
               {"parent_hash", "1111"}, {"author", "ana"},
               {"message", "bump web"}, {"created_at", "2027-01-15T08:00:00.000Z"},
               {"spec_hash", "s"},      {"rollback_of", nullptr}};
  json web = {{"name", "web"},
              {"replicas", 2},
              {"healthy", 2},
              {"revision", 2},
              {"template_hash", "t"},
              {"rollout", "complete"},
              {"rollout_reason", ""},
              {"instances", json::array({Instance("web-0a1b2c3d", 2, "healthy", 101),
                                         Instance("web-4e5f6a7b", 2, "healthy", 102)})}};
  json worker = {{"name", "worker"},
                 {"replicas", 1},
                 {"healthy", 0},
                 {"revision", 1},
                 {"template_hash", "u"},
                 {"rollout", "failed"},
                 {"rollout_reason", "0 of 1 new instances healthy"},
                 {"instances", json::array({Instance("worker-99", 1, "crashed", 103, true)})}};
  return {{"environment", "demo"}, {"head", head}, {"services", json::array({web, worker})}};
}

// What RenderStatus gives, or its error in words (so that a failing test shows it).
std::string Rendered(const json& status, const std::string& service = "") {
  Result<std::string> out = RenderStatus(status, service);
  return out.ok() ? *out : "error: " + out.error().ToString();
}

TEST(RenderStatusTest, ServerStringsAreEscaped) {
  json status = Status();
  status["head"]["author"] = "ana\x1b[8m";
  status["head"]["message"] = "hide\rthis";
  status["services"][1]["rollout_reason"] = "exit\x1b]0;owned\x07";
  std::string out = Rendered(status);
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
  EXPECT_EQ(out.find('\r'), std::string::npos) << out;
  EXPECT_THAT(out, HasSubstr("by ana\\e[8m: hide\\rthis"));
  EXPECT_THAT(out, HasSubstr("worker: exit\\e]0;owned\\x07"));
}

TEST(EventLineTest, ServerStringsAreEscaped) {
  json event = {{"at", "2027-01-15T08:00:00.000Z"},
                {"type", "instance.exited"},
                {"service", "web"},
                {"message", "exited: \x1b[2Jgone\b"}};
  std::string line = EventLine(event);
  EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;
  EXPECT_THAT(line, HasSubstr("exited: \\e[2Jgone\\b"));
}

TEST(RenderStatusTest, WithoutARevisionSaysHowToApplyOne) {
  json status = {{"environment", ""}, {"head", nullptr}, {"services", json::array()}};
  std::string out = Rendered(status);
  EXPECT_THAT(out, HasSubstr("No revision"));
  EXPECT_THAT(out, HasSubstr("cairn apply"));
}

TEST(RenderStatusTest, ShowsTheHeadServicesAndInstances) {
  std::string out = Rendered(Status());
  EXPECT_THAT(out, HasSubstr("environment demo"));
  EXPECT_THAT(out, HasSubstr("head revision 2 (abcdef012345) by ana: bump web"));
  EXPECT_THAT(out, HasSubstr("SERVICE"));
  EXPECT_THAT(out, HasSubstr("complete"));
  EXPECT_THAT(out, HasSubstr("2/2"));
  EXPECT_THAT(out, HasSubstr("web-0a1b2c3d"));
  EXPECT_THAT(out, HasSubstr("web-4e5f6a7b"));
  EXPECT_THAT(out, HasSubstr("worker-99"));
  EXPECT_THAT(out, HasSubstr("40101"));
}

TEST(RenderStatusTest, NamesFailedRolloutsAndCrashLoops) {
  std::string out = Rendered(Status());
  EXPECT_THAT(out, HasSubstr("rollout problems:\n  worker: 0 of 1 new instances healthy\n"));
  EXPECT_THAT(out, HasSubstr("crashed (crash loop)"));
}

TEST(RenderStatusTest, CanShowOneService) {
  std::string out = Rendered(Status(), "web");
  EXPECT_THAT(out, HasSubstr("web-0a1b2c3d"));
  EXPECT_THAT(out, Not(HasSubstr("worker")));
  EXPECT_THAT(out, Not(HasSubstr("rollout problems")));
}

TEST(RenderStatusTest, ServiceRowsAreAlignedUnderTheirHeaders) {
  std::string out = Rendered(Status());
  size_t header = out.find("SERVICE");
  ASSERT_NE(header, std::string::npos);
  size_t line_start = out.rfind('\n', header) + 1;
  size_t rollout_col = out.find("ROLLOUT", header) - line_start;
  size_t web_line = out.find("\nweb ", header) + 1;
  EXPECT_EQ(out.substr(web_line + rollout_col, 8), "complete");
}

TEST(RenderStatusTest, AFieldOfTheWrongTypeIsAnErrorNamingItInsteadOfAnException) {
  json status = Status();
  status["services"][0]["healthy"] = "2";
  Result<std::string> out = RenderStatus(status, "");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ErrorCode::kInternal);
  EXPECT_THAT(out.error().message, HasSubstr("GET /v1/status"));
  EXPECT_THAT(out.error().message, HasSubstr("services[0].healthy is a string, not an integer"));
}

TEST(RenderStatusTest, AReplyThatIsNoObjectIsAnError) {
  Result<std::string> out = RenderStatus(json::array(), "");
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.error().message, HasSubstr("the reply is an array, not an object"));
}

}  // namespace
}  // namespace cairn::cli
