#include "api/request_fields.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "spec/limits.h"

namespace cairn::api {
namespace {

using ::testing::HasSubstr;

std::string Problem(const Status& s) { return s.ok() ? "ok" : s.error().message; }

TEST(CheckImageConfigFields, AnOrdinaryBuildPasses) {
  EXPECT_EQ(Problem(CheckImageConfigFields({"/app/web"}, {"--port", "8080"}, {"MODE=prod"},
                                           {{"org.opencontainers.image.source", "git"}})),
            "ok");
}

TEST(CheckImageConfigFields, EnvEntriesAreKeyValueWithinMaxArgStrlen) {
  EXPECT_EQ(Problem(CheckImageConfigFields({}, {}, {"NOEQUALS"}, {})),
            "env entry \"NOEQUALS\": expected KEY=value, KEY not empty and without a NUL");
  EXPECT_EQ(Problem(CheckImageConfigFields({}, {}, {std::string("A\0B=c", 5)}, {})),
            "env entry \"A\\x00B=c\": expected KEY=value, KEY not empty and without a NUL");
  EXPECT_EQ(Problem(CheckImageConfigFields({}, {}, {"A=" + std::string(131070, 'v')}, {})),
            "env[0] is 131072 bytes long; at most 131071 are accepted (execve's MAX_ARG_STRLEN)");
}

TEST(CheckImageConfigFields, ArgvCountsAndTheWholeBudgetAreBounded) {
  std::vector<std::string> many(spec::kMaxArgs + 1, "a");
  EXPECT_EQ(Problem(CheckImageConfigFields({}, many, {}, {})),
            "cmd has 4097 items; at most 4096 are accepted");
  std::vector<std::string> env(9, "V=" + std::string(120000, 'x'));
  EXPECT_THAT(Problem(CheckImageConfigFields({"/app"}, {}, env, {})),
              HasSubstr("entrypoint, cmd and env would give execve 1080128 bytes"));
}

TEST(CheckImageConfigFields, LabelsAreCountedSizedAndPlainText) {
  std::map<std::string, std::string> many;
  for (size_t i = 0; i <= kMaxLabels; ++i) many["l" + std::to_string(i)] = "v";
  EXPECT_EQ(Problem(CheckImageConfigFields({}, {}, {}, many)),
            "the build has 257 labels; at most 256 are accepted");
  EXPECT_THAT(Problem(CheckImageConfigFields({}, {}, {}, {{std::string(300, 'k'), "v"}})),
              HasSubstr("(300 bytes) is 300 bytes long; at most 256 are accepted"));
  EXPECT_EQ(Problem(CheckImageConfigFields({}, {}, {}, {{"k", std::string(5000, 'v')}})),
            "the value of label \"k\" is 5000 bytes long; at most 4096 are accepted");
  EXPECT_THAT(Problem(CheckImageConfigFields({}, {}, {}, {{"k", "a\x1b[2J"}})),
              HasSubstr("holds a control character (byte 27 at offset 1)"));
}

}  // namespace
}  // namespace cairn::api
