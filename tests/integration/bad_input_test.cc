// Bad input against a real server: every rejected apply leaves the head where it was, and says
// what is wrong and where. Also servers that cannot start.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "test_env.h"

namespace cairn::testing {
namespace {

// A server whose head is revision 1 (one hello instance).
class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    auto applied = server_.Apply(HelloYaml({.replicas = 1}), "baseline");
    ASSERT_TRUE(applied.ok()) << applied.error().ToString();
    ASSERT_EQ(server_.Revisions().size(), 1u);
  }

  // The head is still revision 1 and no revision was added.
  void ExpectHeadUnchanged() {
    EXPECT_EQ(server_.Revisions().size(), 1u);
    EXPECT_EQ(server_.Status()["head"]["number"], 1);
  }

  static std::string Message(const HttpReply& reply) {
    if (!reply.body.is_object() || !reply.body.contains("error")) return reply.text;
    return reply.body["error"].value("message", "") + " | " +
           reply.body["error"].value("context", "");
  }

  TestServer server_;
};

TEST_F(BadInputTest, MalformedYamlIsRejectedWithFileLineAndColumn) {
  HttpReply reply = server_.ApplyRaw("environment: it\nservices:\n  hello: [unclosed\n", "bad");
  EXPECT_EQ(reply.status, 400) << reply.text;
  std::string message = Message(reply);
  EXPECT_TRUE(std::regex_search(message, std::regex(R"(test\.yaml:\d+:\d+)"))) << message;
  EXPECT_NE(message.find("malformed YAML"), std::string::npos) << message;
  ExpectHeadUnchanged();
}

TEST_F(BadInputTest, UnknownFieldIsNamedWithItsLine) {
  std::string yaml = HelloYaml({.replicas = 1});
  int line = static_cast<int>(std::count(yaml.begin(), yaml.end(), '\n')) + 1;
  yaml += "    replicaz: 2\n";
  HttpReply reply = server_.ApplyRaw(yaml, "typo");
  EXPECT_EQ(reply.status, 400) << reply.text;
  std::string message = Message(reply);
  EXPECT_NE(message.find("test.yaml:" + std::to_string(line) + ":5"), std::string::npos) << message;
  EXPECT_NE(message.find("unknown field \"replicaz\""), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean \"replicas\""), std::string::npos) << message;
  ExpectHeadUnchanged();
}

TEST_F(BadInputTest, MissingCommandIsNamed) {
  HttpReply reply =
      server_.ApplyRaw(HelloYaml({.command = "cairn-no-such-command"}), "missing command");
  EXPECT_EQ(reply.status, 400) << reply.text;
  std::string message = Message(reply);
  EXPECT_NE(message.find("cairn-no-such-command"), std::string::npos) << message;
  EXPECT_NE(message.find("services.hello.command"), std::string::npos) << message;
  ExpectHeadUnchanged();
}

TEST_F(BadInputTest, DuplicateListenPortsAreRejected) {
  std::string yaml = HelloYaml({.service = "a", .replicas = 1, .listen_port = 18080});
  std::string second = HelloYaml({.service = "b", .replicas = 1, .listen_port = 18080});
  yaml += second.substr(second.find("  b:\n"));
  HttpReply reply = server_.ApplyRaw(yaml, "two services, one port");
  EXPECT_EQ(reply.status, 400) << reply.text;
  std::string message = Message(reply);
  EXPECT_NE(message.find("listen port 18080 is already used by services.a.ports.http"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("services.b.ports.http.listen"), std::string::npos) << message;
  ExpectHeadUnchanged();
}

TEST_F(BadInputTest, StaleExpectRevisionIsAConflict) {
  HttpReply reply = server_.ApplyRaw(HelloYaml({.replicas = 1, .version = "v2"}), "stale", 0);
  EXPECT_EQ(reply.status, 409) << reply.text;
  std::string message = Message(reply);
  EXPECT_NE(message.find("the head is revision 1, not 0"), std::string::npos) << message;
  ExpectHeadUnchanged();

  // The CLI maps it to its documented exit code.
  std::string file = server_.data_dir() + "/v2.yaml";
  {
    std::ofstream out(file);
    out << HelloYaml({.replicas = 1, .version = "v2"});
  }
  CliResult cli = server_.RunCli({"apply", "-f", file, "--expect-revision", "0"});
  EXPECT_EQ(cli.exit_code, 5) << cli.out << cli.err;
  EXPECT_NE(cli.err.find("head is revision 1"), std::string::npos) << cli.err;
  ExpectHeadUnchanged();

  // With the right expectation the same file applies.
  cli = server_.RunCli({"apply", "-f", file, "--expect-revision", "1"});
  EXPECT_EQ(cli.exit_code, 0) << cli.out << cli.err;
  EXPECT_EQ(server_.Revisions().size(), 2u);
}

TEST_F(BadInputTest, SecondServerOnTheSameDataDirExitsNamingIt) {
  std::string other_addr = "127.0.0.1:" + std::to_string(FreeLoopbackPort());
  CliResult second = RunProcess(
      {CAIRN_BINARY, "server", "--data-dir", server_.data_dir(), "--addr", other_addr}, 10s);
  EXPECT_NE(second.exit_code, 0) << second.err;
  EXPECT_NE(second.exit_code, -1) << "the second server kept running";
  EXPECT_NE(second.err.find(server_.data_dir()), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("in use"), std::string::npos) << second.err;
  // The first server is unharmed.
  EXPECT_EQ(HttpGet(server_.port(), "/v1/version").status, 200);
  ExpectHeadUnchanged();
}

TEST_F(BadInputTest, ServerOnABusyAddressExitsNamingIt) {
  std::string dir = MakeTempDir();
  ASSERT_FALSE(dir.empty());
  CliResult second =
      RunProcess({CAIRN_BINARY, "server", "--data-dir", dir, "--addr", server_.addr()}, 10s);
  EXPECT_NE(second.exit_code, 0) << second.err;
  EXPECT_NE(second.exit_code, -1) << "the second server kept running";
  EXPECT_NE(second.err.find(server_.addr()), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("in use"), std::string::npos) << second.err;
  EXPECT_TRUE(ProcessesTaggedWith(dir).empty());
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  EXPECT_EQ(HttpGet(server_.port(), "/v1/version").status, 200);
}

}  // namespace
}  // namespace cairn::testing
