#include "telemetry/log_format.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "telemetry/log_writer.h"

namespace cairn::telemetry {
namespace {

using nlohmann::json;

WallTime At() { return FromUnixMillis(1796274000123); }  // 2026-12-03T05:00:00.123Z

TEST(LogFormat, ParsesTheTwoNamesOnly) {
  EXPECT_EQ(ParseLogFormat("text"), LogFormat::kText);
  EXPECT_EQ(ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(ParseLogFormat("JSON"), std::nullopt);
  EXPECT_EQ(ParseLogFormat(""), std::nullopt);
}

TEST(LogFormat, TextLineIsTimeLevelMessageThenFields) {
  EXPECT_EQ(FormatLogLine(LogFormat::kText, At(), LogLevel::kWarn, "runc is missing"),
            "2026-12-03T05:00:00.123Z warn runc is missing");
  EXPECT_EQ(FormatLogLine(LogFormat::kText, At(), LogLevel::kInfo, "listening",
                          {{"addr", "127.0.0.1:7400"}, {"dir", "/a b"}, {"n", 3}}),
            "2026-12-03T05:00:00.123Z info listening addr=127.0.0.1:7400 dir=\"/a b\" n=3");
}

TEST(LogFormat, JsonLineStartsWithTsLevelMsgAndKeepsFields) {
  std::string line = FormatLogLine(LogFormat::kJson, At(), LogLevel::kError, "boom",
                                   {{"addr", "127.0.0.1:7400"}, {"n", 3}});
  EXPECT_EQ(
      line.rfind("{\"ts\":\"2026-12-03T05:00:00.123Z\",\"level\":\"error\",\"msg\":\"boom\"", 0),
      0u)
      << line;
  json parsed = json::parse(line);
  EXPECT_EQ(parsed["addr"], "127.0.0.1:7400");
  EXPECT_EQ(parsed["n"], 3);
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(LogFormat, JsonFieldsCannotHideTheMessage) {
  json parsed = json::parse(FormatLogLine(LogFormat::kJson, At(), LogLevel::kInfo, "real",
                                          {{"msg", "fake"}, {"level", "error"}}));
  EXPECT_EQ(parsed["msg"], "real");
  EXPECT_EQ(parsed["level"], "info");
}

TEST(LogFormat, JsonEscapesQuotesControlCharactersAndBadUtf8) {
  std::string msg = "a \"quoted\" \\ path\nnext\tline \x01 \xff end";
  std::string line = FormatLogLine(LogFormat::kJson, At(), LogLevel::kInfo, msg);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  json parsed = json::parse(line);  // throws (fails the test) when not valid JSON
  std::string back = parsed["msg"];
  EXPECT_EQ(back.substr(0, 30), msg.substr(0, 30));         // up to the stray byte
  EXPECT_NE(back.find("\xEF\xBF\xBD"), std::string::npos);  // U+FFFD for the stray byte
}

TEST(LogFormat, TextQuotesFieldValuesWithSpacesOrQuotes) {
  std::string line = FormatLogLine(LogFormat::kText, At(), LogLevel::kInfo, "m",
                                   {{"why", "say \"hi\""}, {"empty", ""}});
  EXPECT_EQ(line, "2026-12-03T05:00:00.123Z info m empty=\"\" why=\"say \\\"hi\\\"\"");
}

Event SampleEvent() {
  Event e;
  e.seq = 42;
  e.at = At();
  e.type = "revision.applied";
  e.service = "web";
  e.instance = "";
  e.message = "revision 3 applied \"by ci\"";
  e.data = {{"revision", 3}, {"hash", "ab12"}};
  return e;
}

TEST(LogFormat, TextEventLineIsTheEventLogLine) {
  EXPECT_EQ(FormatEventLine(LogFormat::kText, SampleEvent()), EventLogLine(SampleEvent()));
}

TEST(LogFormat, JsonEventLineCarriesTypeSeqAndData) {
  std::string line = FormatEventLine(LogFormat::kJson, SampleEvent());
  EXPECT_EQ(line.rfind("{\"ts\":\"2026-12-03T05:00:00.123Z\",\"level\":\"info\",\"msg\":", 0), 0u);
  json parsed = json::parse(line);
  EXPECT_EQ(parsed["msg"], "revision 3 applied \"by ci\"");
  EXPECT_EQ(parsed["event"], "revision.applied");
  EXPECT_EQ(parsed["service"], "web");
  EXPECT_EQ(parsed["instance"], "");
  EXPECT_EQ(parsed["seq"], 42);
  EXPECT_EQ(parsed["data"]["revision"], 3);
  EXPECT_EQ(parsed["data"]["hash"], "ab12");
}

TEST(Logger, WritesOneWholeLinePerCallToItsDescriptor) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  FakeClock clock;
  {
    Logger logger(LogFormat::kJson, fds[1], &clock);
    logger.Info("first", {{"k", "v"}});
    logger.LogEvent(SampleEvent());
  }
  close(fds[1]);
  std::string all;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;) all.append(buf, n);
  close(fds[0]);
  size_t nl = all.find('\n');
  ASSERT_NE(nl, std::string::npos);
  EXPECT_EQ(json::parse(all.substr(0, nl))["msg"], "first");
  EXPECT_EQ(json::parse(all.substr(nl + 1))["event"], "revision.applied");
  EXPECT_EQ(all.back(), '\n');
}

}  // namespace
}  // namespace cairn::telemetry
