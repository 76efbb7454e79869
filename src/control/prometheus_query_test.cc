#include "control/prometheus_query.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

namespace cairn::control {
namespace {

using ::testing::HasSubstr;

TEST(PrometheusQueryTest, AddressesSplitIntoHostPortAndPath) {
  auto a = ParseHttpAddress("http://127.0.0.1:9090");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, "9090");
  EXPECT_EQ(a->base_path, "");
  auto b = ParseHttpAddress("http://prometheus.internal/monitoring/");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "prometheus.internal");
  EXPECT_EQ(b->port, "80");
  EXPECT_EQ(b->base_path, "/monitoring");
  auto c = ParseHttpAddress("http://[::1]:9090");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, "9090");
}

TEST(PrometheusQueryTest, HttpsAndBrokenAddressesAreRefusedWithTheirReason) {
  auto tls = ParseHttpAddress("https://prom:9090");
  ASSERT_FALSE(tls.ok());
  EXPECT_THAT(tls.error().message, HasSubstr("https Prometheus addresses are not supported"));
  EXPECT_FALSE(ParseHttpAddress("http://host:99999").ok());
  EXPECT_FALSE(ParseHttpAddress("http://host:port").ok());
  EXPECT_FALSE(ParseHttpAddress("http://:9090").ok());
}

TEST(PrometheusQueryTest, PlaceholdersAreFilledInAndOthersLeftAlone) {
  QueryVariables vars{"web", 7, 6};
  EXPECT_EQ(ExpandQuery("sum(rate(errors{service=\"{{service}}\",revision=\"{{revision}}\"}[1m]))"
                        " / on() sum(rate(errors{revision=\"{{stable_revision}}\"}[1m]))",
                        vars),
            "sum(rate(errors{service=\"web\",revision=\"7\"}[1m]))"
            " / on() sum(rate(errors{revision=\"6\"}[1m]))");
  EXPECT_EQ(ExpandQuery("up{{job}}", vars), "up{{job}}");
}

TEST(PrometheusQueryTest, TheFormBodyIsPercentEncoded) {
  EXPECT_EQ(QueryFormBody("sum(up{job=\"a b\"}) > 0"),
            "query=sum%28up%7Bjob%3D%22a%20b%22%7D%29%20%3E%200");
}

// Answers as Prometheus 2.42 (Debian 12) writes them.
TEST(PrometheusQueryTest, AOneSampleVectorAndAScalarAreOneNumber) {
  auto vector = ParseQueryResponse(
      200, R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"app"},)"
           R"("value":[1764080000.123,"0.25"]}]}})");
  ASSERT_TRUE(vector.ok()) << vector.error().message;
  EXPECT_DOUBLE_EQ(*vector, 0.25);
  auto scalar = ParseQueryResponse(
      200, R"({"status":"success","data":{"resultType":"scalar","result":[1764080000,"42"]}})");
  ASSERT_TRUE(scalar.ok());
  EXPECT_DOUBLE_EQ(*scalar, 42);
  auto inf = ParseQueryResponse(
      200, R"({"status":"success","data":{"resultType":"scalar","result":[1764080000,"+Inf"]}})");
  ASSERT_TRUE(inf.ok());
  EXPECT_TRUE(std::isinf(*inf));
}

TEST(PrometheusQueryTest, AnythingButOneNumberSaysHowToFixTheQuery) {
  auto none =
      ParseQueryResponse(200, R"({"status":"success","data":{"resultType":"vector","result":[]}})");
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.error().message, HasSubstr("no series"));
  EXPECT_THAT(none.error().message, HasSubstr("or vector(0)"));

  auto two = ParseQueryResponse(
      200, R"({"status":"success","data":{"resultType":"vector","result":[)"
           R"({"metric":{"i":"1"},"value":[1,"1"]},{"metric":{"i":"2"},"value":[1,"2"]}]}})");
  ASSERT_FALSE(two.ok());
  EXPECT_THAT(two.error().message, HasSubstr("returned 2 series"));

  auto matrix =
      ParseQueryResponse(200, R"({"status":"success","data":{"resultType":"matrix","result":[]}})");
  ASSERT_FALSE(matrix.ok());
  EXPECT_THAT(matrix.error().message, HasSubstr("range vector"));

  auto nan = ParseQueryResponse(
      200, R"({"status":"success","data":{"resultType":"scalar","result":[1,"NaN"]}})");
  ASSERT_FALSE(nan.ok());
  EXPECT_THAT(nan.error().message, HasSubstr("NaN"));
}

TEST(PrometheusQueryTest, PrometheusErrorsAndOtherServersAreNamed) {
  auto bad = ParseQueryResponse(
      400,
      R"({"status":"error","errorType":"bad_data","error":"1:5: parse error: unclosed left parenthesis"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "Prometheus refused the query (bad_data): 1:5: parse error: unclosed left "
            "parenthesis");
  auto html = ParseQueryResponse(404, "<html>not found</html>");
  ASSERT_FALSE(html.ok());
  EXPECT_THAT(html.error().message, HasSubstr("HTTP 404 without a Prometheus API answer"));
}

}  // namespace
}  // namespace cairn::control
