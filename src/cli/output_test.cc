#include "cli/output.h"

#include <gtest/gtest.h>

#include "cli/cli.h"

namespace cairn::cli {
namespace {

TEST(TableTest, PadsEveryColumnButTheLastToItsWidestCell) {
  EXPECT_EQ(Table({{"NAME", "STATE"}, {"web-1", "healthy"}, {"a", "b"}}),
            "NAME   STATE\n"
            "web-1  healthy\n"
            "a      b\n");
}

TEST(TableTest, AlignsSeveralColumns) {
  std::string out = Table({{"A", "BB", "C"}, {"xxxx", "y", "zzzzzz"}});
  EXPECT_EQ(out,
            "A     BB  C\n"
            "xxxx  y   zzzzzz\n");
}

TEST(TableTest, ShortRowsAndNoRows) {
  EXPECT_EQ(Table({}), "");
  EXPECT_EQ(Table({{"ONE", "TWO"}, {"1"}}), "ONE  TWO\n1\n");
}

TEST(FailTest, UnavailableExitsWithTheUnreachableCode) {
  testing::internal::CaptureStderr();
  int code = Fail(MakeError(ErrorCode::kUnavailable, "cannot reach the cairn server"));
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, kExitUnreachable);
  EXPECT_EQ(code, 3);
  EXPECT_EQ(err, "error: cannot reach the cairn server\n");
}

TEST(FailTest, ConflictExitsWithTheConflictCode) {
  testing::internal::CaptureStderr();
  int code = Fail(MakeError(ErrorCode::kConflict, "the head moved"));
  testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, kExitConflict);
  EXPECT_EQ(code, 5);
}

TEST(FailTest, EveryOtherKindExitsWithOne) {
  for (ErrorCode c : {ErrorCode::kInvalidArgument, ErrorCode::kNotFound, ErrorCode::kAlreadyExists,
                      ErrorCode::kIo, ErrorCode::kInternal}) {
    testing::internal::CaptureStderr();
    int code = Fail(MakeError(c, "x"));
    testing::internal::GetCapturedStderr();
    EXPECT_EQ(code, kExitError) << ErrorCodeName(c);
  }
}

TEST(FailTest, PrintsEachLineOfAMultiLineErrorOnItsOwnLine) {
  testing::internal::CaptureStderr();
  Fail(MakeError(ErrorCode::kInvalidArgument,
                 "env.yaml:3:5: services.web.replicas: not a number\n"
                 "env.yaml:7:1: services.db: unknown field"));
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "error: env.yaml:3:5: services.web.replicas: not a number\n"
            "  env.yaml:7:1: services.db: unknown field\n");
}

TEST(FailTest, IncludesTheContext) {
  testing::internal::CaptureStderr();
  Fail(MakeError(ErrorCode::kInvalidArgument, "cannot read the environment file", "cairn.yaml"));
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("cairn.yaml"), std::string::npos) << err;
  EXPECT_NE(err.find("cannot read the environment file"), std::string::npos) << err;
}

TEST(FailTest, EscapesControlBytesButKeepsTheLines) {
  testing::internal::CaptureStderr();
  Fail(MakeError(ErrorCode::kInvalidArgument,
                 "env.yaml:5:5: unknown field \x1b[2Jx\nenv.yaml:6:1: bell \a and \r back"));
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "error: env.yaml:5:5: unknown field \\e[2Jx\n"
            "  env.yaml:6:1: bell \\x07 and \\r back\n");
}

TEST(TableTest, EscapesCellsBeforeMeasuringThem) {
  EXPECT_EQ(Table({{"NAME", "MESSAGE"}, {"w\x1b[31m", "ok"}}),
            "NAME     MESSAGE\n"
            "w\\e[31m  ok\n");
}

TEST(ShortTest, KeepsTheFirstCharacters) {
  EXPECT_EQ(Short("0123456789abcdef0123"), "0123456789ab");
  EXPECT_EQ(Short("0123456789abcdef", 4), "0123");
  EXPECT_EQ(Short("abc"), "abc");
  EXPECT_EQ(Short(""), "");
}

}  // namespace
}  // namespace cairn::cli
