#include "spec/text_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace cairn::spec {
namespace {

using ::testing::HasSubstr;

constexpr const char* kValid = "environment: demo\nservices: {}\n";

std::string Where(const std::optional<SpecError>& e) {
  if (!e) return "none";
  return e->file + ":" + std::to_string(e->line) + ":" + std::to_string(e->col);
}

TEST(CheckSpecTextTest, ValidUtf8WithALeadingBomIsFine) {
  EXPECT_FALSE(CheckSpecText(kValid, "f.yaml"));
  EXPECT_FALSE(CheckSpecText(std::string("\xef\xbb\xbf") + kValid, "f.yaml"));
  EXPECT_FALSE(CheckSpecText("# caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\nenvironment: x\n", "f"));
  EXPECT_FALSE(CheckSpecText("", "f"));
}

TEST(CheckSpecTextTest, AnInvalidByteIsReportedAtItsLineAndColumn) {
  // The byte that made the CLI abort: 0xff in a comment.
  auto e = CheckSpecText("environment: demo\n# caf\xc3\xa9 \xff\nservices: {}\n", "env.yaml");
  ASSERT_TRUE(e);
  EXPECT_EQ(Where(e), "env.yaml:2:8");  // "# café " is 7 characters
  EXPECT_THAT(e->message, HasSubstr("not valid UTF-8: byte 0xff"));
}

TEST(CheckSpecTextTest, OverlongSurrogateAndTruncatedSequencesAreInvalid) {
  for (const char* bad : {"a: \xc0\xaf\n", "a: \xed\xa0\x80\n", "a: \xe2\x82\n",
                          "a: \xf4\x90\x80\x80", "a: \x80\n"}) {
    auto e = CheckSpecText(bad, "f");
    ASSERT_TRUE(e) << bad;
    EXPECT_EQ(Where(e), "f:1:4") << bad;
  }
}

TEST(CheckSpecTextTest, ANulByteIsNamed) {
  std::string text = "environment: demo\nservices:\n  web:\n    command: \"a";
  text += '\0';
  text += "b\"\n";
  auto e = CheckSpecText(text, "f");
  ASSERT_TRUE(e);
  EXPECT_EQ(Where(e), "f:4:16");
  EXPECT_THAT(e->message, HasSubstr("NUL byte"));
}

TEST(CheckSpecTextTest, AByteOrderMarkPastTheStartIsNamed) {
  auto e = CheckSpecText(std::string(kValid) + "\xef\xbb\xbfservices: {}\n", "f");
  ASSERT_TRUE(e);
  EXPECT_EQ(Where(e), "f:3:1");
  EXPECT_THAT(e->message, HasSubstr("byte-order mark"));
}

TEST(ParseSpecTextTest, TheParserReportsBadTextBeforeYaml) {
  ParseOutcome outcome = ParseSpec("environment: demo\nservices: {}\n# \xff\n", "env.yaml");
  ASSERT_EQ(outcome.errors.size(), 1u);
  EXPECT_EQ(outcome.errors[0].ToString().substr(0, 13), "env.yaml:3:3:");
}

TEST(ParseSpecTextTest, SeveralDocumentsAreRefusedAtTheSecond) {
  ParseOutcome outcome =
      ParseSpec("environment: a\nservices: {}\n---\nenvironment: b\nservices: {}\n", "env.yaml");
  ASSERT_EQ(outcome.errors.size(), 1u);
  EXPECT_EQ(outcome.errors[0].line, 4);
  EXPECT_THAT(outcome.errors[0].message, HasSubstr("holds 2 YAML documents"));
  // One document with explicit markers is still one.
  EXPECT_TRUE(ParseSpec("---\nenvironment: a\nservices: {}\n...\n", "f").errors.empty());
}

}  // namespace
}  // namespace cairn::spec
