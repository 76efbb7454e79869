#include "api/routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "control/controller_harness_for_test.h"

namespace cairn::api {
namespace {

using control::ControllerHarness;
using control::ServiceYaml;
using nlohmann::json;
using ::testing::HasSubstr;

TEST(SplitTargetTest, PathWithoutQuery) {
  std::string path;
  std::map<std::string, std::string> query;
  SplitTarget("/v1/status", &path, &query);
  EXPECT_EQ(path, "/v1/status");
  EXPECT_TRUE(query.empty());
}

TEST(SplitTargetTest, SplitsQueryIntoDecodedPairs) {
  std::string path;
  std::map<std::string, std::string> query;
  SplitTarget("/v1/x?a=1&b=two&msg=hello%20world&plus=x+y&slash=%2Fetc%2fpasswd", &path, &query);
  EXPECT_EQ(path, "/v1/x");
  EXPECT_EQ(query, (std::map<std::string, std::string>{{"a", "1"},
                                                       {"b", "two"},
                                                       {"msg", "hello world"},
                                                       {"plus", "x y"},
                                                       {"slash", "/etc/passwd"}}));
}

TEST(SplitTargetTest, KeysWithoutValuesAndEmptyPairs) {
  std::string path;
  std::map<std::string, std::string> query;
  SplitTarget("/v1/logs/web?follow&&tail=&", &path, &query);
  EXPECT_EQ(path, "/v1/logs/web");
  EXPECT_EQ(query, (std::map<std::string, std::string>{{"follow", ""}, {"tail", ""}}));
}

TEST(SplitTargetTest, MalformedEscapesAreKeptAsWritten) {
  std::string path;
  std::map<std::string, std::string> query;
  SplitTarget("/p?a=%zz&b=100%&c=%4&d=%41", &path, &query);
  EXPECT_EQ(query.at("a"), "%zz");
  EXPECT_EQ(query.at("b"), "100%");
  EXPECT_EQ(query.at("c"), "%4");
  EXPECT_EQ(query.at("d"), "A");
}

TEST(SplitTargetTest, DecodesKeysAndKeepsTheLastOfRepeatedKeys) {
  std::string path;
  std::map<std::string, std::string> query;
  SplitTarget("/p?a%20b=1&k=first&k=second", &path, &query);
  EXPECT_EQ(query.at("a b"), "1");
  EXPECT_EQ(query.at("k"), "second");
}

// A started controller and helpers that send it requests the way the server would.
class RouteTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(h_.Start().ok()); }

  Reply Get(const std::string& target) {
    Request req;
    req.method = "GET";
    SplitTarget(target, &req.path, &req.query);
    return Route(h_.controller(), req);
  }
  Reply Post(const std::string& path, const std::string& body) {
    Request req;
    req.method = "POST";
    req.path = path;
    req.body = body;
    return Route(h_.controller(), req);
  }
  Reply PostJson(const std::string& path, const json& body) { return Post(path, body.dump()); }
  Reply ApplyYaml(const std::string& yaml, std::optional<int64_t> expect = std::nullopt) {
    json body = {{"yaml", yaml}, {"file", "env.yaml"}, {"author", "ana"}, {"message", "m"}};
    if (expect) body["expect_revision"] = *expect;
    return PostJson("/v1/apply", body);
  }

  static json Body(const Reply& reply) {
    json doc = json::parse(reply.body, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << reply.body;
    return doc;
  }
  static std::string ErrorCodeOf(const Reply& reply) {
    json doc = Body(reply);
    return doc.contains("error") ? doc["error"].value("code", "") : "";
  }

  ControllerHarness h_;
};

TEST_F(RouteTest, VersionNamesTheBuildAndTheApi) {
  Reply reply = Get("/v1/version");
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.content_type, "application/json");
  json body = Body(reply);
  EXPECT_EQ(body["version"], CAIRN_VERSION);
  EXPECT_EQ(body["api"], "v1");
}

TEST_F(RouteTest, PostWithBadJsonIsABadRequest) {
  Reply reply = Post("/v1/apply", "{not json");
  EXPECT_EQ(reply.status, 400u);
  EXPECT_EQ(ErrorCodeOf(reply), "invalid_argument");
  EXPECT_THAT(Body(reply)["error"]["message"].get<std::string>(), HasSubstr("JSON"));

  EXPECT_EQ(Post("/v1/apply", "[1, 2]").status, 400u) << "a body must be an object";
}

TEST_F(RouteTest, FieldsOfTheWrongTypeAreABadRequest) {
  Reply reply = PostJson(
      "/v1/apply", {{"yaml", ServiceYaml("v1")}, {"author", "ana"}, {"expect_revision", "three"}});
  EXPECT_EQ(reply.status, 400u);
  EXPECT_THAT(Body(reply)["error"]["message"].get<std::string>(), HasSubstr("malformed"));
  EXPECT_EQ(PostJson("/v1/apply", {{"yaml", 7}, {"author", "ana"}}).status, 400u);
}

TEST_F(RouteTest, ApplyNeedsAnAuthor) {
  Reply reply = PostJson("/v1/apply", {{"yaml", ServiceYaml("v1")}});
  EXPECT_EQ(reply.status, 400u);
  EXPECT_THAT(reply.body, HasSubstr("author"));
}

TEST_F(RouteTest, AuthorsAndMessagesAreBoundedPlainText) {
  // A 1 MB author was stored in the revision, the audit and the event, and sent to every
  // stream; a control byte is an escape sequence in the terminal that prints the history.
  Reply huge =
      PostJson("/v1/apply", {{"yaml", ServiceYaml("v1")}, {"author", std::string(1 << 20, 'a')}});
  EXPECT_EQ(huge.status, 400u);
  EXPECT_NE(huge.body.find("author is 1048576 bytes long; at most 256"), std::string::npos)
      << huge.body;
  Reply escape = PostJson("/v1/apply", {{"yaml", ServiceYaml("v1")}, {"author", "ana\x1b[2J"}});
  EXPECT_EQ(escape.status, 400u);
  EXPECT_NE(escape.body.find("control character"), std::string::npos) << escape.body;
  Reply long_message = PostJson(
      "/v1/apply",
      {{"yaml", ServiceYaml("v1")}, {"author", "ana"}, {"message", std::string(5000, 'm')}});
  EXPECT_EQ(long_message.status, 400u);
  Reply multi_line = PostJson(
      "/v1/apply", {{"yaml", ServiceYaml("v1")}, {"author", "ana"}, {"message", "why\n\tdetail"}});
  EXPECT_EQ(multi_line.status, 200u) << multi_line.body;
  Reply rollback = PostJson("/v1/rollback", {{"revision", 1}, {"author", std::string(300, 'b')}});
  EXPECT_EQ(rollback.status, 400u);
}

TEST_F(RouteTest, UnknownPathsAreNotFound) {
  Reply get = Get("/v1/nothing-here");
  EXPECT_EQ(get.status, 404u);
  EXPECT_EQ(ErrorCodeOf(get), "not_found");
  EXPECT_THAT(get.body, HasSubstr("GET /v1/nothing-here"));
  EXPECT_EQ(Post("/v1/nothing-here", "{}").status, 404u);
}

TEST_F(RouteTest, OtherMethodsAreRejected) {
  Request req;
  req.method = "DELETE";
  req.path = "/v1/revisions/1";
  Reply reply = Route(h_.controller(), req);
  EXPECT_EQ(reply.status, 400u);
  EXPECT_THAT(reply.body, HasSubstr("DELETE"));
}

TEST_F(RouteTest, InvalidSpecIsABadRequestWithItsPosition) {
  Reply reply = ApplyYaml("environment: test\nservices:\n  web:\n    replicas: many\n");
  EXPECT_EQ(reply.status, 400u);
  EXPECT_THAT(reply.body, HasSubstr("env.yaml"));
}

TEST_F(RouteTest, ApplyThenHistoryRevisionAndDiff) {
  Reply first = ApplyYaml(ServiceYaml("v1"));
  ASSERT_EQ(first.status, 200u) << first.body;
  json applied = Body(first);
  EXPECT_EQ(applied["revision"]["number"], 1);
  EXPECT_EQ(applied["revision"]["author"], "ana");
  EXPECT_TRUE(applied["changes"].get<bool>());
  EXPECT_FALSE(applied["text"].get<std::string>().empty());
  ASSERT_EQ(ApplyYaml(ServiceYaml("v2")).status, 200u);

  Reply list = Get("/v1/revisions");
  ASSERT_EQ(list.status, 200u);
  json revisions = Body(list);
  ASSERT_TRUE(revisions.is_array());
  ASSERT_EQ(revisions.size(), 2u);
  EXPECT_EQ(revisions[0]["number"], 1);
  EXPECT_EQ(revisions[1]["number"], 2);
  EXPECT_EQ(revisions[1]["parent_hash"], revisions[0]["hash"]);
  EXPECT_FALSE(revisions[0].contains("spec")) << "the list leaves specs out";

  Reply one = Get("/v1/revisions/1");
  ASSERT_EQ(one.status, 200u);
  json rev1 = Body(one);
  EXPECT_EQ(rev1["number"], 1);
  EXPECT_EQ(rev1["spec"]["environment"], "test");
  EXPECT_EQ(rev1["spec"]["services"]["web"]["args"], json::array({"-c", "v1"}));
  EXPECT_TRUE(rev1["rollback_of"].is_null());

  Reply diff = Get("/v1/diff?from=1&to=2");
  ASSERT_EQ(diff.status, 200u) << diff.body;
  json d = Body(diff);
  EXPECT_EQ(d["from"], 1);
  EXPECT_EQ(d["to"], 2);
  ASSERT_EQ(d["changes"].size(), 1u) << d.dump();
  EXPECT_THAT(d["changes"][0]["path"].get<std::string>(), HasSubstr("args"));
  EXPECT_EQ(d["changes"][0]["kind"], "changed");
  EXPECT_THAT(d["text"].get<std::string>(), HasSubstr("v2"));

  EXPECT_TRUE(Body(Get("/v1/diff?from=2&to=2"))["changes"].empty());
}

TEST_F(RouteTest, RevisionAndDiffArgumentsAreChecked) {
  ASSERT_EQ(ApplyYaml(ServiceYaml("v1")).status, 200u);
  EXPECT_EQ(Get("/v1/revisions/abc").status, 400u);
  EXPECT_EQ(Get("/v1/revisions/-1").status, 400u);
  EXPECT_EQ(Get("/v1/revisions/9").status, 404u);
  EXPECT_EQ(Get("/v1/diff").status, 400u);
  EXPECT_EQ(Get("/v1/diff?from=1").status, 400u);
  EXPECT_EQ(Get("/v1/diff?from=1&to=x").status, 400u);
  EXPECT_EQ(Get("/v1/diff?from=1&to=5").status, 404u);
}

TEST_F(RouteTest, StaleExpectRevisionIsAConflict) {
  ASSERT_EQ(ApplyYaml(ServiceYaml("v1"), 0).status, 200u);
  Reply stale = ApplyYaml(ServiceYaml("v2"), 0);
  EXPECT_EQ(stale.status, 409u);
  EXPECT_EQ(ErrorCodeOf(stale), "conflict");
  EXPECT_EQ(Body(Get("/v1/revisions")).size(), 1u);
}

TEST_F(RouteTest, ApplyWithoutChangesReturnsNoRevision) {
  ASSERT_EQ(ApplyYaml(ServiceYaml("v1")).status, 200u);
  Reply again = ApplyYaml(ServiceYaml("v1"));
  ASSERT_EQ(again.status, 200u);
  json body = Body(again);
  EXPECT_TRUE(body["revision"].is_null());
  EXPECT_FALSE(body["changes"].get<bool>());
}

TEST_F(RouteTest, PlanChangesNothing) {
  Reply plan = PostJson("/v1/plan", {{"yaml", ServiceYaml("v1")}, {"file", "env.yaml"}});
  ASSERT_EQ(plan.status, 200u) << plan.body;
  EXPECT_TRUE(Body(plan)["changes"].get<bool>());
  EXPECT_TRUE(Body(Get("/v1/revisions")).empty());
}

TEST_F(RouteTest, RollbackAppendsARevisionMarkedAsSuch) {
  ASSERT_EQ(ApplyYaml(ServiceYaml("v1")).status, 200u);
  ASSERT_EQ(ApplyYaml(ServiceYaml("v2")).status, 200u);
  EXPECT_EQ(PostJson("/v1/rollback", {{"author", "ana"}}).status, 400u);
  EXPECT_EQ(PostJson("/v1/rollback", {{"revision", 1}}).status, 400u);
  EXPECT_EQ(
      PostJson("/v1/rollback", {{"revision", 1}, {"author", "ana"}, {"expect_revision", 1}}).status,
      409u);

  Reply back = PostJson("/v1/rollback", {{"revision", 1}, {"author", "ana"}});
  ASSERT_EQ(back.status, 200u) << back.body;
  json rev = Body(back)["revision"];
  EXPECT_EQ(rev["number"], 3);
  EXPECT_EQ(rev["rollback_of"], 1);
  EXPECT_EQ(Body(Get("/v1/revisions/3"))["spec_hash"], Body(Get("/v1/revisions/1"))["spec_hash"]);
}

TEST_F(RouteTest, StatusEventsAndAuditReflectTheController) {
  ASSERT_EQ(ApplyYaml(ServiceYaml("v1", 2)).status, 200u);
  h_.Tick();

  json status = Body(Get("/v1/status"));
  EXPECT_EQ(status["environment"], "test");
  EXPECT_EQ(status["head"]["number"], 1);
  ASSERT_EQ(status["services"].size(), 1u);
  const json& web = status["services"][0];
  EXPECT_EQ(web["name"], "web");
  EXPECT_EQ(web["rollout"], "complete");
  EXPECT_EQ(web["healthy"], 2);
  ASSERT_EQ(web["instances"].size(), 2u);
  EXPECT_EQ(web["instances"][0]["state"], "healthy");

  json events = Body(Get("/v1/events?service=web"));
  ASSERT_FALSE(events.empty());
  for (const auto& e : events) EXPECT_EQ(e["service"], "web");
  int64_t last = events.back()["seq"];
  EXPECT_TRUE(Body(Get("/v1/events?after=" + std::to_string(last) + "&service=web")).empty());
  json all = Body(Get("/v1/events"));
  EXPECT_EQ(all[0]["seq"], 1);

  json audit = Body(Get("/v1/audit?limit=1"));
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0]["action"], "apply");
  EXPECT_EQ(audit[0]["actor"], "ana");
  EXPECT_EQ(audit[0]["result"], "ok");
  EXPECT_EQ(Body(Get("/v1/audit")).size(), 2u);  // server.start and the apply
}

}  // namespace
}  // namespace cairn::api
