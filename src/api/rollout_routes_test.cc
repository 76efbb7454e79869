// The rollout routes over a real controller (fake driver, fake clock, fake router): the view,
// the commands and their errors, and the rollout in GET /v1/status.
#include "api/rollout_routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/rollout_view.h"
#include "control/controller_harness_for_test.h"

namespace cairn::api {
namespace {

using control::ControllerHarness;
using control::ServiceYaml;
using nlohmann::json;
using ::testing::HasSubstr;

class FakePublisher : public control::RoutePublisher {
 public:
  Status Publish(router::RouteTable) override { return OkStatus(); }
  int InFlight(const std::string&) override { return 0; }
  router::RouterStats Stats() override { return stats; }

  // Adds `n` requests of 2 ms to a version's counters, `failed` of them 5xx.
  void Serve(const std::string& version, int n, int failed) {
    router::BackendStats& b = stats.backends[{"web", version, version + "-a"}];
    for (int i = 0; i < n; ++i) {
      ++b.requests[static_cast<int>(i < failed ? router::StatusClass::k5xx
                                               : router::StatusClass::k2xx)];
      b.latency.Record(std::chrono::microseconds(2000));
    }
  }

  router::RouterStats stats;
};

const std::string kCanary =
    "    ports: { http: { listen: 18080 } }\n"
    "    strategy:\n"
    "      canary:\n"
    "        steps: [{weight: 50}, {pause: {}}]\n";

// A judged step between the weight and the manual pause: three intervals of a second, one of
// them may fail.
const std::string kJudged =
    "    ports: { http: { listen: 18080 } }\n"
    "    strategy:\n"
    "      canary:\n"
    "        steps:\n"
    "          - weight: 50\n"
    "          - analysis: { interval: 1s, count: 3, failure_limit: 1, min_requests: 10,\n"
    "                        success_rate: \">= 99%\", latency_p99: \"<= 250ms\" }\n"
    "          - pause: {}\n";

control::ControllerOptions WithRoutes(FakePublisher* publisher) {
  control::ControllerOptions options;
  options.routes = publisher;
  options.drain_timeout = Duration(5000);
  return options;
}

class RolloutRoutesTest : public ::testing::Test {
 protected:
  RolloutRoutesTest() : h_(WithRoutes(&routes_)) {}
  void SetUp() override { ASSERT_TRUE(h_.Start().ok()); }

  Reply Send(const std::string& method, const std::string& path, const std::string& body = "") {
    Request req;
    req.method = method;
    req.path = path;
    req.body = body;
    return Route(h_.controller(), req);
  }
  static json Body(const Reply& reply) {
    json doc = json::parse(reply.body, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << reply.body;
    return doc;
  }
  // Ticks with time moving, so drains finish.
  void RunTicks(int ticks) {
    for (int i = 0; i < ticks; ++i) {
      h_.Advance(Duration(300));
      h_.Tick();
    }
  }
  // v1 starts plainly; v2 runs as a canary until it waits at its manual pause.
  void StartCanary() {
    ASSERT_TRUE(h_.Apply(ServiceYaml("v1", 2, kCanary)).ok());
    RunTicks(5);
    ASSERT_TRUE(h_.Apply(ServiceYaml("v2", 2, kCanary)).ok());
    RunTicks(4);
    ASSERT_TRUE(h_.Service().progressive.has_value());
  }
  // Ticks with traffic: each tick the canary and the stable version serve 20 requests each,
  // `failed` of the canary's 5xx.
  void ServeTicks(int ticks, int failed) {
    for (int i = 0; i < ticks; ++i) {
      routes_.Serve("revision 2", 20, failed);
      routes_.Serve("revision 1", 20, 0);
      RunTicks(1);
    }
  }
  // Ticks with traffic until the view has `n` intervals (at most 40 ticks: 12 s of fake time).
  json ViewWithIntervals(size_t n, int failed) {
    json view;
    for (int i = 0; i < 40; ++i) {
      view = Body(Send("GET", "/v1/rollouts/web"));
      if (view.contains("intervals") && view["intervals"].size() >= n) return view;
      ServeTicks(1, failed);
    }
    ADD_FAILURE() << "no " << n << " intervals: " << view.dump();
    return view;
  }
  const json* Audit(const std::string& action) {
    audit_ = Body(Send("GET", "/v1/audit"));
    for (const auto& r : audit_) {
      if (r["action"] == action) return &r;
    }
    return nullptr;
  }

  FakePublisher routes_;
  ControllerHarness h_;
  json audit_;
};

TEST_F(RolloutRoutesTest, TheViewShowsACanaryWaitingAtItsManualPause) {
  StartCanary();
  Reply reply = Send("GET", "/v1/rollouts/web");
  ASSERT_EQ(reply.status, 200u) << reply.body;
  json view = Body(reply);
  EXPECT_EQ(view["strategy"], "canary");
  EXPECT_EQ(view["new_revision"], 2);
  EXPECT_EQ(view["stable_revision"], 1);
  EXPECT_EQ(view["phase"], "waiting_for_promote");
  EXPECT_EQ(view["step"], 2);
  EXPECT_EQ(view["steps"], 2);
  EXPECT_FALSE(view["full_promotion"].get<bool>());
  EXPECT_EQ(view["current_step"], json({{"pause", json::object()}}));
  EXPECT_DOUBLE_EQ(view["weight_percent"].get<double>(), 50.0);
  EXPECT_FALSE(view["paused"].get<bool>());
  EXPECT_EQ(view["abort_reason"], "");
  EXPECT_EQ(view["step_analysis"]["outcome"], "running");
  EXPECT_EQ(view["step_analysis"]["passed"], 0);
  EXPECT_EQ(view["background_analysis"]["failed"], 0);
  EXPECT_TRUE(view.contains("last_verdict"));
  // No analysis in this canary: nothing judged, nothing to plot.
  EXPECT_TRUE(view["step_analysis"]["criteria"].is_null());
  EXPECT_TRUE(view["background_analysis"]["criteria"].is_null());
  EXPECT_EQ(view["intervals"], json::array());

  json status = Body(Send("GET", "/v1/status"));
  const json& web = status["services"][0];
  EXPECT_EQ(web["progressive"]["phase"], "waiting_for_promote");
  EXPECT_EQ(web["progressive"]["current_step"], view["current_step"]);
}

TEST_F(RolloutRoutesTest, TheViewListsEachJudgedIntervalWithBothSidesAndItsThresholds) {
  ASSERT_TRUE(h_.Apply(ServiceYaml("v1", 2, kJudged)).ok());
  RunTicks(5);
  ASSERT_TRUE(h_.Apply(ServiceYaml("v2", 2, kJudged)).ok());
  json view = ViewWithIntervals(1, 1);  // 1 of 20 failed: 95%, below the threshold
  EXPECT_EQ(view["step"], 2);
  const json& criteria = view["step_analysis"]["criteria"];
  ASSERT_TRUE(criteria.is_object()) << view.dump();
  EXPECT_EQ(criteria["interval_ms"], 1000);
  EXPECT_EQ(criteria["count"], 3);
  EXPECT_EQ(criteria["failure_limit"], 1);
  EXPECT_EQ(criteria["min_requests"], 10);
  EXPECT_DOUBLE_EQ(criteria["min_success_rate"].get<double>(), 0.99);
  EXPECT_EQ(criteria["max_p99_ms"], 250);
  EXPECT_FALSE(criteria["compare_baseline"].get<bool>());
  EXPECT_EQ(criteria["metrics"], json::array());

  ASSERT_EQ(view["intervals"].size(), 1u) << view.dump();
  const json& first = view["intervals"][0];
  EXPECT_EQ(first["interval"], 1);
  EXPECT_EQ(first["step"], 2);
  EXPECT_TRUE(first["at"].get<std::string>().ends_with("Z")) << first["at"];
  EXPECT_LT(first["canary"]["success_rate"].get<double>(), 0.99);
  EXPECT_GT(first["canary"]["requests"].get<int>(), 0);
  EXPECT_GT(first["canary"]["p99_ms"].get<double>(), 1.5);
  EXPECT_LT(first["canary"]["p99_ms"].get<double>(), 2.6);
  EXPECT_DOUBLE_EQ(first["baseline"]["success_rate"].get<double>(), 1.0)
      << "the stable version is measured beside the canary";
  ASSERT_EQ(first["verdicts"].size(), 1u);
  const json& verdict = first["verdicts"][0];
  EXPECT_EQ(verdict["analysis"], "step analysis");
  EXPECT_EQ(verdict["verdict"], "fail");
  EXPECT_THAT(verdict["summary"].get<std::string>(), HasSubstr("success rate"));
  EXPECT_DOUBLE_EQ(verdict["min_success_rate"].get<double>(), 0.99);
  EXPECT_EQ(verdict["max_p99_ms"], 250);

  // Healthy from now on: two passes end the step (one failure is tolerated).
  for (int i = 0; i < 40 && view["phase"] != "waiting_for_promote"; ++i) {
    ServeTicks(1, 0);
    view = Body(Send("GET", "/v1/rollouts/web"));
  }
  ASSERT_EQ(view["phase"], "waiting_for_promote") << view.dump();
  ASSERT_EQ(view["intervals"].size(), 3u);
  EXPECT_EQ(view["intervals"][2]["interval"], 3);
  EXPECT_EQ(view["intervals"][2]["verdicts"][0]["verdict"], "pass");
  EXPECT_EQ(view["step_analysis"]["passed"], 2);
  EXPECT_EQ(view["step_analysis"]["failed"], 1);
  EXPECT_TRUE(view["step_analysis"]["criteria"].is_null()) << "the manual pause judges nothing";
  // The status carries the same view.
  json web = Body(Send("GET", "/v1/status"))["services"][0];
  EXPECT_EQ(web["progressive"]["intervals"], view["intervals"]);
}

TEST_F(RolloutRoutesTest, PromoteAnswersTheViewAndTheRolloutCompletes) {
  StartCanary();
  Reply reply = Send("POST", "/v1/rollouts/web/promote", json({{"author", "ann"}}).dump());
  ASSERT_EQ(reply.status, 200u) << reply.body;
  json view = Body(reply);
  EXPECT_EQ(view["new_revision"], 2);
  EXPECT_TRUE(view["full_promotion"].get<bool>()) << view.dump();
  EXPECT_TRUE(view["current_step"].is_null());
  const json* audit = Audit("rollout.promote");
  ASSERT_NE(audit, nullptr) << audit_.dump();
  EXPECT_EQ((*audit)["actor"], "ann");
  EXPECT_EQ((*audit)["target"], "web");

  RunTicks(8);
  json web = Body(Send("GET", "/v1/status"))["services"][0];
  EXPECT_TRUE(web["progressive"].is_null());
  EXPECT_EQ(web["rollout"], "complete");
  Reply after = Send("GET", "/v1/rollouts/web");
  EXPECT_EQ(after.status, 404u);
  EXPECT_THAT(after.body, HasSubstr("no rollout of web is in progress"));
}

TEST_F(RolloutRoutesTest, AbortWithoutABodyIsRecordedAndFailsTheRollout) {
  StartCanary();
  Reply reply = Send("POST", "/v1/rollouts/web/abort");
  ASSERT_EQ(reply.status, 200u) << reply.body;
  json view = Body(reply);
  EXPECT_EQ(view["phase"], "aborted");
  EXPECT_DOUBLE_EQ(view["weight_percent"].get<double>(), 0.0);
  EXPECT_THAT(view["abort_reason"].get<std::string>(), HasSubstr(kDefaultRolloutAuthor));
  const json* audit = Audit("rollout.abort");
  ASSERT_NE(audit, nullptr);
  EXPECT_EQ((*audit)["actor"], kDefaultRolloutAuthor);
  RunTicks(6);
  json web = Body(Send("GET", "/v1/status"))["services"][0];
  EXPECT_EQ(web["rollout"], "failed");
  EXPECT_THAT(web["rollout_reason"].get<std::string>(), HasSubstr("aborted"));
}

TEST_F(RolloutRoutesTest, ACommandThatCannotApplyNowIsAConflictWithTheReason) {
  StartCanary();
  ASSERT_EQ(Send("POST", "/v1/rollouts/web/pause", "{}").status, 200u);
  EXPECT_TRUE(Body(Send("GET", "/v1/rollouts/web"))["paused"].get<bool>());
  Reply undo = Send("POST", "/v1/rollouts/web/undo", "{}");
  EXPECT_EQ(undo.status, 409u) << undo.body;
  json error = Body(undo)["error"];
  EXPECT_EQ(error["code"], "conflict");
  EXPECT_FALSE(error["message"].get<std::string>().empty());
  ASSERT_EQ(Send("POST", "/v1/rollouts/web/resume", "{}").status, 200u);
  EXPECT_FALSE(Body(Send("GET", "/v1/rollouts/web"))["paused"].get<bool>());
}

TEST_F(RolloutRoutesTest, WithoutARolloutCommandsAndTheViewAreNotFound) {
  ASSERT_TRUE(h_.Apply(ServiceYaml("v1", 1, kCanary)).ok());
  RunTicks(3);
  Reply command = Send("POST", "/v1/rollouts/web/promote", "{}");
  EXPECT_EQ(command.status, 404u);
  EXPECT_EQ(Body(command)["error"]["code"], "not_found");
  EXPECT_THAT(command.body, HasSubstr("no rollout of web is in progress"));
  EXPECT_EQ(Send("GET", "/v1/rollouts/web").status, 404u);
  Reply nosuch = Send("GET", "/v1/rollouts/nosuch");
  EXPECT_EQ(nosuch.status, 404u);
  EXPECT_THAT(nosuch.body, HasSubstr("no service named"));
  EXPECT_TRUE(Body(Send("GET", "/v1/status"))["services"][0]["progressive"].is_null());
}

TEST_F(RolloutRoutesTest, UnknownCommandsAndBadBodiesAreRefused) {
  StartCanary();
  Reply unknown = Send("POST", "/v1/rollouts/web/explode", "{}");
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_THAT(unknown.body, HasSubstr("promote-full"));
  EXPECT_EQ(Send("POST", "/v1/rollouts/web", "{}").status, 404u);
  EXPECT_EQ(Send("GET", "/v1/rollouts/web/promote").status, 404u);
  EXPECT_EQ(Send("POST", "/v1/rollouts/web/pause", "{not json").status, 400u);
  EXPECT_EQ(Send("POST", "/v1/rollouts/web/pause", R"({"author": 7})").status, 400u);
  EXPECT_FALSE(Body(Send("GET", "/v1/rollouts/web"))["paused"].get<bool>())
      << "a refused request changes nothing";
}

TEST(RolloutViewTest, CommandNamesInPaths) {
  EXPECT_EQ(RolloutCommandFromPath("promote-full"), rollout::RolloutCommand::kPromoteFull);
  EXPECT_EQ(RolloutCommandFromPath("undo"), rollout::RolloutCommand::kUndo);
  EXPECT_EQ(RolloutCommandFromPath("promote_full"), std::nullopt);
  EXPECT_EQ(RolloutCommandFromPath(""), std::nullopt);
}

TEST(RolloutViewTest, CurrentStepIsNullWhenTheSpecLacksIt) {
  control::ProgressiveInfo info;
  info.strategy = "canary";
  info.steps = 2;
  info.state.step = 1;
  json spec = {{"services", {{"web", {{"strategy", {{"canary", {{"steps", {1, 2}}}}}}}}}}};
  EXPECT_EQ(CurrentStepSpec(spec, "web", info), 2);
  EXPECT_TRUE(CurrentStepSpec(spec, "other", info).is_null());
  EXPECT_TRUE(CurrentStepSpec(json::array(), "web", info).is_null());
  info.state.step = 2;
  EXPECT_TRUE(CurrentStepSpec(spec, "web", info).is_null()) << "the full promotion";
  info.strategy = "blue_green";
  info.state.step = 0;
  EXPECT_TRUE(CurrentStepSpec(spec, "web", info).is_null());
}

}  // namespace
}  // namespace cairn::api
