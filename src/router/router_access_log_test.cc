// Access lines end to end: a Router on loopback in front of a test backend, writing its access
// log into a pipe the test reads once the router stopped (Stop flushes every worker).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "router/router.h"
#include "router/router_test_fixture.h"

namespace cairn::router {
namespace {

class RouterAccessLogTest : public RouterTest {
 protected:
  void SetUp() override { ASSERT_EQ(pipe(fds_), 0); }
  void TearDown() override {
    RouterTest::TearDown();
    if (fds_[0] >= 0) close(fds_[0]);
    if (fds_[1] >= 0) close(fds_[1]);
  }
  RouterOptions Options(AccessLogFormat format) {
    RouterOptions options;
    options.access_log.format = format;
    options.access_log.fd = fds_[1];
    return options;
  }
  static RouteTableSnapshot Table(int backend_port, bool access_log) {
    auto t = std::make_shared<RouteTable>(
        *MakeTable({MakeVersion("revision 1", 10000, {MakeBackend("web-1-a", backend_port)})}));
    t->listeners[0].access_log = access_log;
    return t;
  }
  // Destroys the router (flushing every worker, also the lines of connections still open,
  // such as one lingering after an error answer) and returns the lines it wrote.
  std::vector<std::string> StopAndReadLines() {
    router_.reset();
    close(fds_[1]);
    fds_[1] = -1;
    std::string all;
    char buf[4096];
    for (ssize_t n; (n = read(fds_[0], buf, sizeof(buf))) > 0;) {
      all.append(buf, static_cast<size_t>(n));
    }
    std::vector<std::string> lines;
    std::istringstream in(all);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
  int fds_[2] = {-1, -1};
};

TEST_F(RouterAccessLogTest, ListenerWithAccessLogWritesOneLinePerRequest) {
  TestBackend a("a");
  Start(Table(a.port(), true), Options(AccessLogFormat::kText));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Roundtrip("GET /n" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
  }
  std::vector<std::string> lines = StopAndReadLines();
  ASSERT_EQ(lines.size(), 3u);
  for (const std::string& line : lines) {
    EXPECT_NE(line.find(" access 127.0.0.1 \"GET /n"), std::string::npos) << line;
    EXPECT_NE(line.find("ms web \"revision 1\" web-1-a"), std::string::npos) << line;
  }
  // Workers flush independently: find each request's line rather than assume an order.
  for (int i = 0; i < 3; ++i) {
    std::string request = "\"GET /n" + std::to_string(i) + " HTTP/1.1\" 200 ";
    int found = 0;
    for (const std::string& line : lines) found += line.find(request) != std::string::npos;
    EXPECT_EQ(found, 1) << request;
  }
}

TEST_F(RouterAccessLogTest, ListenerWithoutAccessLogWritesNothing) {
  TestBackend a("a");
  Start(Table(a.port(), false), Options(AccessLogFormat::kText));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Roundtrip("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
  }
  EXPECT_TRUE(StopAndReadLines().empty());
}

TEST_F(RouterAccessLogTest, JsonLinesAndANewTableTurnTheLogOnWithoutReopening) {
  TestBackend a("a");
  Start(Table(a.port(), false), Options(AccessLogFormat::kJson));
  EXPECT_EQ(Roundtrip("GET /before HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
  ASSERT_TRUE(router_->Publish(Table(a.port(), true)).ok());
  EXPECT_EQ(router_->ListenerPort("web/http"), port_);
  EXPECT_EQ(Roundtrip("GET /after HTTP/1.0\r\nHost: x\r\n\r\n").status, 200);
  std::vector<std::string> lines = StopAndReadLines();
  ASSERT_EQ(lines.size(), 1u);
  nlohmann::json j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j["msg"], "access");
  EXPECT_EQ(j["target"], "/after");
  EXPECT_EQ(j["http"], "1.0");
  EXPECT_EQ(j["status"], 200);
  EXPECT_GT(j["bytes"].get<int>(), 0);
  EXPECT_EQ(j["service"], "web");
  EXPECT_EQ(j["version"], "revision 1");
  EXPECT_EQ(j["instance"], "web-1-a");
}

TEST_F(RouterAccessLogTest, AnAnswerTheRouterMakesItselfIsLoggedToo) {
  auto table = std::make_shared<RouteTable>(*MakeTable({}));
  table->listeners[0].access_log = true;
  Start(table, Options(AccessLogFormat::kText));
  EXPECT_EQ(Roundtrip("GET /x HTTP/1.1\r\nHost: x\r\n\r\n").status, 503);
  std::vector<std::string> lines = StopAndReadLines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("\"GET /x HTTP/1.1\" 503 "), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("ms web \"-\" -"), std::string::npos) << lines[0];
}

TEST_F(RouterAccessLogTest, ARequestRefusedBeforeItsHeadParsedIsLoggedWithDashes) {
  TestBackend a("a");
  Start(Table(a.port(), true), Options(AccessLogFormat::kJson));
  // Both framings at once: a smuggling shape, refused with 400 before any backend sees it.
  EXPECT_EQ(Roundtrip("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
                .status,
            400);
  std::vector<std::string> lines = StopAndReadLines();
  ASSERT_EQ(lines.size(), 1u);
  nlohmann::json j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j["status"], 400);
  EXPECT_EQ(j["method"], "-");
  EXPECT_EQ(j["target"], "-");
  EXPECT_EQ(j["service"], "web");
  EXPECT_EQ(j["instance"], "");
  EXPECT_GT(j["bytes"].get<int>(), 0);
}

TEST_F(RouterAccessLogTest, AHeadThatNeverCompletesIsLoggedAs408) {
  TestBackend a("a");
  RouterOptions options = Options(AccessLogFormat::kText);
  options.head_timeout = Duration(200);
  Start(Table(a.port(), true), options);
  EXPECT_EQ(Roundtrip("GET / HTTP/1.1\r\nHost: x\r\n").status, 408);  // no blank line
  std::vector<std::string> lines = StopAndReadLines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(" access 127.0.0.1 \"- - HTTP/1.1\" 408 "), std::string::npos)
      << lines[0];
}

}  // namespace
}  // namespace cairn::router
