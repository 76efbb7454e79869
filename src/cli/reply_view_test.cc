#include "cli/reply_view.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cairn::cli {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json StatusReply() {
  json web = {{"name", "web"}, {"healthy", 2}, {"ratio", 0.5}, {"ready", true}};
  json worker = {{"name", "worker"}, {"healthy", 1}, {"ratio", 1}, {"ready", false}};
  return {{"environment", "demo"},
          {"head", nullptr},
          {"labels", {{"team", "core"}}},
          {"services", json::array({web, worker})}};
}

// The problem recorded, without the words around it: "services[1].name is missing".
std::string Problem(const ReplyCheck& check) {
  if (check.ok()) return "";
  std::string message = check.error().message;
  const std::string before = "expects: ";
  size_t start = message.find(before);
  size_t end = message.rfind("; is the server");
  if (start == std::string::npos || end == std::string::npos || end < start) return message;
  start += before.size();
  return message.substr(start, end - start);
}

TEST(ReplyViewTest, AWellFormedReplyReadsWithoutAProblem) {
  json reply = StatusReply();
  ReplyCheck check("GET /v1/status");
  ReplyView root = check.Root(reply);
  EXPECT_EQ(root["environment"].Str(), "demo");
  std::vector<ReplyView> services = root["services"].Items();
  ASSERT_EQ(services.size(), 2u);
  EXPECT_EQ(services[0]["name"].Str(), "web");
  EXPECT_EQ(services[0]["healthy"].Int(), 2);
  EXPECT_EQ(services[1]["healthy"].Uint(), 1u);
  EXPECT_EQ(services[0]["ratio"].Num(), 0.5);
  EXPECT_EQ(services[1]["ratio"].Num(), 1.0);  // an integer is a number too
  EXPECT_TRUE(services[0]["ready"].Bool());
  EXPECT_EQ(services[1]["healthy"].path(), "services[1].healthy");
  auto labels = root["labels"].Members();
  ASSERT_EQ(labels.size(), 1u);
  EXPECT_EQ(labels[0].first, "team");
  EXPECT_EQ(labels[0].second.Str(), "core");
  EXPECT_EQ(labels[0].second.path(), "labels.team");
  EXPECT_TRUE(check.ok()) << Problem(check);
}

TEST(ReplyViewTest, AMissingFieldIsRecordedWithItsPath) {
  json reply = StatusReply();
  reply["services"][1].erase("name");
  ReplyCheck check("GET /v1/status");
  EXPECT_EQ(check.Root(reply)["services"].Items()[1]["name"].Str(), "");
  EXPECT_EQ(Problem(check), "services[1].name is missing");
}

TEST(ReplyViewTest, ReadingBelowAMissingFieldAddsNoProblemOfItsOwn) {
  json reply = StatusReply();
  ReplyCheck check("GET /v1/status");
  ReplyView number = check.Root(reply)["revision"]["number"];
  EXPECT_FALSE(number.present());
  EXPECT_EQ(number.Int(), 0);
  EXPECT_EQ(Problem(check), "revision is missing");
}

TEST(ReplyViewTest, AStringWhereAnIntegerIsExpectedIsRecordedWithItsPath) {
  json reply = StatusReply();
  reply["services"][1]["healthy"] = "1";
  ReplyCheck check("GET /v1/status");
  EXPECT_EQ(check.Root(reply)["services"].Items()[1]["healthy"].Int(), 0);
  EXPECT_EQ(Problem(check), "services[1].healthy is a string, not an integer");
}

TEST(ReplyViewTest, ANegativeNumberIsNoCount) {
  json reply = StatusReply();
  reply["services"][0]["healthy"] = -1;
  ReplyCheck check("GET /v1/status");
  EXPECT_EQ(check.Root(reply)["services"].Items()[0]["healthy"].Uint(), 0u);
  EXPECT_EQ(Problem(check),
            "services[0].healthy is an integer, not a count (an integer of 0 or more)");
}

TEST(ReplyViewTest, AFractionIsNoInteger) {
  json reply = StatusReply();
  reply["services"][0]["healthy"] = 1.5;
  ReplyCheck check("GET /v1/status");
  EXPECT_EQ(check.Root(reply)["services"].Items()[0]["healthy"].Int(), 0);
  EXPECT_EQ(Problem(check), "services[0].healthy is a number, not an integer");
}

TEST(ReplyViewTest, AnObjectWhereAnArrayIsExpectedGivesNoItems) {
  json reply = StatusReply();
  reply["services"] = {{"web", {{"name", "web"}}}};
  ReplyCheck check("GET /v1/status");
  EXPECT_TRUE(check.Root(reply)["services"].Items().empty());
  EXPECT_EQ(Problem(check), "services is an object, not an array");
}

TEST(ReplyViewTest, ARootThatIsNoObjectIsRecordedAsTheReply) {
  json reply = json::array({1, 2});
  ReplyCheck check("GET /v1/status");
  EXPECT_EQ(check.Root(reply)["services"].Items().size(), 0u);
  EXPECT_EQ(Problem(check), "the reply is an array, not an object");
}

TEST(ReplyViewTest, OnlyTheFirstProblemIsKept) {
  json reply = StatusReply();
  reply["environment"] = 7;
  reply["services"][0]["healthy"] = "2";
  ReplyCheck check("GET /v1/status");
  ReplyView root = check.Root(reply);
  root["environment"].Str();
  root["services"].Items()[0]["healthy"].Int();
  root["missing"].Str();
  EXPECT_EQ(Problem(check), "environment is an integer, not a string");
}

TEST(ReplyViewTest, OptionalOfAnAbsentOrNullMemberIsNoProblem) {
  json reply = StatusReply();
  ReplyCheck check("GET /v1/status");
  ReplyView root = check.Root(reply);
  EXPECT_FALSE(root.Optional("head").present());   // null
  EXPECT_FALSE(root.Optional("drift").present());  // absent
  EXPECT_EQ(root.Optional("head")["number"].Int(), 0);
  EXPECT_EQ(root.Optional("drift").IntOr(-1), -1);
  EXPECT_EQ(root.Optional("drift").UintOr(3), 3u);
  EXPECT_EQ(root.Optional("text").StrOr("none"), "none");
  EXPECT_TRUE(check.ok()) << Problem(check);
}

TEST(ReplyViewTest, ADefaultDoesNotHideAValueOfTheWrongType) {
  json reply = StatusReply();
  ReplyCheck check("GET /v1/status");
  EXPECT_EQ(check.Root(reply).Optional("environment").IntOr(5), 0);
  EXPECT_EQ(Problem(check), "environment is a string, not an integer");
}

TEST(ReplyViewTest, TheErrorNamesTheRequestAndTheProblem) {
  json reply = StatusReply();
  ReplyCheck check("GET /v1/status");
  check.Root(reply)["services"].Items()[1]["name"].Bool();
  ASSERT_FALSE(check.ok());
  Error error = check.error();
  EXPECT_EQ(error.code, ErrorCode::kInternal);
  EXPECT_THAT(error.message, HasSubstr("the server's reply to GET /v1/status"));
  EXPECT_THAT(error.message, HasSubstr("services[1].name is a string, not a boolean"));
}

}  // namespace
}  // namespace cairn::cli
