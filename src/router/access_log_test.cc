#include "router/access_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace cairn::router {
namespace {

AccessRecord Sample() {
  AccessRecord r;
  r.at = FromUnixMillis(1796274000123);  // 2026-12-03T05:00:00.123Z
  r.client = "127.0.0.1";
  r.method = "GET";
  r.target = "/hello?x=1";
  r.minor_version = 1;
  r.status = 200;
  r.bytes = 613;
  r.duration = std::chrono::microseconds(1412);
  r.service = "web";
  r.version = "revision 7";
  r.instance = "web-7-ab12";
  return r;
}

std::string Line(AccessLogFormat format, const AccessRecord& r) {
  std::string out;
  AppendAccessLine(format, r, &out);
  return out;
}

TEST(AccessLog, TextLineHasEveryFieldInOrder) {
  EXPECT_EQ(Line(AccessLogFormat::kText, Sample()),
            "2026-12-03T05:00:00.123Z access 127.0.0.1 \"GET /hello?x=1 HTTP/1.1\" 200 613 "
            "1.412ms web \"revision 7\" web-7-ab12\n");
}

TEST(AccessLog, TextLineMarksMissingValuesAndEscapesOddBytes) {
  AccessRecord r = Sample();
  r.target = "/a\"b\\c d\n\xff";
  r.version = "";
  r.instance = "";
  r.status = 503;
  r.minor_version = 0;
  EXPECT_EQ(Line(AccessLogFormat::kText, r),
            "2026-12-03T05:00:00.123Z access 127.0.0.1 \"GET /a\\x22b\\x5cc\\x20d\\x0a\\xff "
            "HTTP/1.0\" 503 613 1.412ms web \"-\" -\n");
}

TEST(AccessLog, JsonLineHasTheSameFieldsAsAnObject) {
  std::string line = Line(AccessLogFormat::kJson, Sample());
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j["ts"], "2026-12-03T05:00:00.123Z");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["msg"], "access");
  EXPECT_EQ(j["client"], "127.0.0.1");
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["target"], "/hello?x=1");
  EXPECT_EQ(j["http"], "1.1");
  EXPECT_EQ(j["status"], 200);
  EXPECT_EQ(j["bytes"], 613);
  EXPECT_DOUBLE_EQ(j["duration_ms"].get<double>(), 1.412);
  EXPECT_EQ(j["service"], "web");
  EXPECT_EQ(j["version"], "revision 7");
  EXPECT_EQ(j["instance"], "web-7-ab12");
}

TEST(AccessLog, JsonLineStaysValidWithQuotesControlAndHighBytes) {
  AccessRecord r = Sample();
  r.target = "/\"q\"\\\x01\x7f\xc3\xa9";
  nlohmann::json j = nlohmann::json::parse(Line(AccessLogFormat::kJson, r));
  // Bytes outside printable ASCII come back as the code points of their values.
  EXPECT_EQ(j["target"], "/\"q\"\\\x01\x7f\xc3\x83\xc2\xa9");
}

TEST(AccessLog, LongTargetsAndMethodsAreCutSoALineStaysUnderPipeBuf) {
  AccessRecord r = Sample();
  std::string target(8192, '/');
  std::string method(100, 'M');
  r.target = target;
  r.method = method;
  for (auto format : {AccessLogFormat::kText, AccessLogFormat::kJson}) {
    std::string line = Line(format, r);
    EXPECT_LT(line.size(), 4096u);
    EXPECT_NE(line.find(std::string(kAccessLogMaxTarget, '/') + "..."), std::string::npos);
    EXPECT_EQ(line.find(std::string(kAccessLogMaxTarget + 1, '/')), std::string::npos);
    EXPECT_NE(line.find(std::string(kAccessLogMaxMethod, 'M') + "..."), std::string::npos);
  }
}

// Reads everything written to a pipe whose write end the caller closed.
std::string Drain(int fd) {
  std::string all;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;) all.append(buf, static_cast<size_t>(n));
  return all;
}

TEST(AccessLogBuffer, HoldsLinesUntilFlushThenWritesThemWhole) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  AccessLogOptions options;
  options.fd = fds[1];
  {
    AccessLogBuffer buffer(options);
    EXPECT_TRUE(buffer.Append(Sample()));   // first line of a batch: arm the timer
    EXPECT_FALSE(buffer.Append(Sample()));  // already armed
    ASSERT_EQ(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
    char c;
    EXPECT_EQ(read(fds[0], &c, 1), -1);  // nothing written yet
    ASSERT_EQ(fcntl(fds[0], F_SETFL, 0), 0);
    buffer.Flush();
    EXPECT_TRUE(buffer.empty());
    EXPECT_TRUE(buffer.Append(Sample()));  // a new batch
  }                                        // the destructor flushes the third line
  close(fds[1]);
  std::string all = Drain(fds[0]);
  close(fds[0]);
  std::string one = Line(AccessLogFormat::kText, Sample());
  EXPECT_EQ(all, one + one + one);
}

TEST(AccessLogBuffer, WritesBeforeALineWouldPassFlushBytes) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  AccessLogOptions options;
  options.fd = fds[1];
  std::string one = Line(AccessLogFormat::kText, Sample());
  options.flush_bytes = one.size() * 2 + 1;  // room for two lines, not three
  {
    AccessLogBuffer buffer(options);
    EXPECT_TRUE(buffer.Append(Sample()));
    EXPECT_FALSE(buffer.Append(Sample()));
    EXPECT_TRUE(buffer.Append(Sample()));  // wrote the first two, starts a new batch
    close(fds[1]);
    fds[1] = -1;
    // The pipe holds exactly the first two lines; the third is still buffered (its flush at
    // destruction writes to a closed descriptor and is dropped quietly).
    EXPECT_EQ(Drain(fds[0]), one + one);
  }
  close(fds[0]);
}

}  // namespace
}  // namespace cairn::router
