// GET /metrics: the router's histogram mapping, and the route served by a real ApiServer over
// loopback in front of a controller with a fake driver.
#include "api/metrics_route.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <future>
#include <iterator>

#include "api/metrics_router.h"
#include "api/server.h"
#include "control/controller_harness_for_test.h"
#include "core/require_tool_for_test.h"
#include "telemetry/prometheus_text.h"

namespace cairn::api {
namespace {

using ::testing::HasSubstr;
namespace beast = boost::beast;
namespace http = beast::http;

// The bucket a latency of `us` microseconds lands in.
int BucketOf(int64_t us) {
  router::LatencyHistogram h;
  h.Record(std::chrono::microseconds(us));
  for (int i = 0; i < router::LatencyHistogram::kBuckets; ++i) {
    if (h.buckets()[i]) return i;
  }
  return -1;
}

TEST(RouterMetricsTest, EveryExportedBoundHoldsExactlyTheRequestsOfItsBuckets) {
  const auto& bounds = RouterLatencyBounds();
  ASSERT_EQ(bounds.size(), 18u);
  EXPECT_DOUBLE_EQ(bounds.front().le, 0.0001);
  EXPECT_DOUBLE_EQ(bounds[3].le, 0.001);
  EXPECT_DOUBLE_EQ(bounds[12].le, 1);
  EXPECT_DOUBLE_EQ(bounds[15].le, 10);
  for (const auto& b : bounds) {
    // A latency equal to the label is at or below the bucket's edge; one microsecond more is
    // above it: so the cumulative count at this `le` is the router's count, not an estimate.
    int64_t at = std::llround(b.le * 1e6);
    EXPECT_LE(BucketOf(at), b.bucket) << "le " << b.le;
    EXPECT_GT(BucketOf(at + 1), b.bucket) << "le " << b.le;
  }
}

TEST(RouterMetricsTest, OnlyRunningInstancesAreExported) {
  router::RouterStats stats;
  stats.backends[{"web", "revision 1", "web-old"}].requests[1] = 10;
  stats.backends[{"web", "revision 2", "web-new"}].requests[1] = 5;
  stats.violations["no_backend"] = 1;
  KeepRunningInstances({"web-new"}, &stats);
  ASSERT_EQ(stats.backends.size(), 1u);
  EXPECT_EQ(stats.backends.begin()->first.instance, "web-new");
  EXPECT_EQ(stats.Violations("no_backend"), 1u) << "router-wide counters stay";
}

TEST(RouterMetricsTest, CountsBytesAndCumulativeLatencyPerInstance) {
  router::RouterStats stats;
  router::BackendStats& b = stats.backends[{"web", "revision 2", "web-ab12"}];
  b.requests[static_cast<int>(router::StatusClass::k2xx)] = 3;
  b.requests[static_cast<int>(router::StatusClass::kError)] = 1;
  for (int us : {50, 150, 2000}) b.latency.Record(std::chrono::microseconds(us));
  b.latency.Record(std::chrono::seconds(90));
  b.bytes_in = 10;
  b.bytes_out = 20;
  b.retries = 4;
  stats.violations["timeout_connect"] = 2;
  stats.connections_accepted = 7;
  telemetry::MetricRegistry r;
  AddRouterMetrics(stats, &r);
  std::string text = telemetry::WritePrometheusText(r);
  const std::string labels = "service=\"web\",version=\"revision 2\",instance_id=\"web-ab12\"";
  EXPECT_THAT(text,
              HasSubstr("cairn_router_requests_total{" + labels + ",code_class=\"2xx\"} 3\n"));
  EXPECT_THAT(text,
              HasSubstr("cairn_router_requests_total{" + labels + ",code_class=\"error\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("cairn_router_requests_total{" + labels + ",code_class=\"5xx\"} 0\n"));
  const std::string d = "cairn_router_request_duration_seconds";
  EXPECT_THAT(text, HasSubstr(d + "_bucket{" + labels + ",le=\"0.0001\"} 1\n"));
  EXPECT_THAT(text, HasSubstr(d + "_bucket{" + labels + ",le=\"0.000199\"} 2\n"));
  EXPECT_THAT(text, HasSubstr(d + "_bucket{" + labels + ",le=\"0.001995\"} 2\n"));
  EXPECT_THAT(text, HasSubstr(d + "_bucket{" + labels + ",le=\"0.005011\"} 3\n"));
  EXPECT_THAT(text, HasSubstr(d + "_bucket{" + labels + ",le=\"50.118723\"} 3\n"));
  EXPECT_THAT(text, HasSubstr(d + "_bucket{" + labels + ",le=\"+Inf\"} 4\n"));
  EXPECT_THAT(text, HasSubstr(d + "_sum{" + labels + "} 90.0022\n"));
  EXPECT_THAT(text, HasSubstr("cairn_router_request_bytes_total{" + labels + "} 10\n"));
  EXPECT_THAT(text, HasSubstr("cairn_router_response_bytes_total{" + labels + "} 20\n"));
  EXPECT_THAT(text, HasSubstr("cairn_router_retries_total{" + labels + "} 4\n"));
  EXPECT_THAT(text, HasSubstr("cairn_router_violations_total{kind=\"timeout_connect\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("cairn_router_connections_accepted_total 7\n"));
}

// A server over loopback, as server_test.cc sets it up: the test's thread runs the io_context
// (controller and server on one thread) while a blocking client runs on another.
class MetricsRouteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(h_.Start().ok());
    server_ = std::make_unique<ApiServer>(h_.io(), h_.controller());
    ASSERT_TRUE(server_->Listen(Endpoint{"127.0.0.1", 0}).ok());
  }
  void TearDown() override {
    server_->Close();
    h_.io().restart();
    h_.io().run_for(std::chrono::milliseconds(20));
  }

  http::response<http::string_body> Scrape() {
    auto result = std::async(std::launch::async, [port = server_->bound_port()] {
      boost::asio::io_context io;
      beast::tcp_stream stream(io);
      stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                                    static_cast<unsigned short>(port)));
      http::request<http::empty_body> req{http::verb::get, "/metrics", 11};
      req.set(http::field::host, "127.0.0.1");
      http::write(stream, req);
      beast::flat_buffer buffer;
      http::response<http::string_body> res;
      http::read(stream, buffer, res);
      return res;
    });
    h_.io().restart();
    while (result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      h_.io().run_for(std::chrono::milliseconds(5));
    }
    return result.get();
  }

  control::ControllerHarness h_;
  std::unique_ptr<ApiServer> server_;
};

TEST_F(MetricsRouteTest, ServesEveryFamilyInTheTextFormatWithItsType) {
  ASSERT_TRUE(h_.Apply(control::ServiceYaml("v1", 2)).ok());
  h_.Tick();
  auto res = Scrape();
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res[http::field::content_type], telemetry::kPrometheusTextContentType);
  const std::string& text = res.body();
  for (const char* family : {"cairn_router_requests_total counter",
                             "cairn_router_request_duration_seconds histogram",
                             "cairn_router_upstream_connections gauge",
                             "cairn_router_client_connections gauge",
                             "cairn_router_connections_accepted_total counter",
                             "cairn_router_retries_total counter",
                             "cairn_router_ejections_total counter",
                             "cairn_router_request_bytes_total counter",
                             "cairn_router_response_bytes_total counter",
                             "cairn_router_violations_total counter",
                             "cairn_revisions_total counter",
                             "cairn_head_revision gauge",
                             "cairn_rollouts_started_total counter",
                             "cairn_rollouts_finished_total counter",
                             "cairn_rollouts_in_progress gauge",
                             "cairn_rollout_verdicts_total counter",
                             "cairn_reconcile_duration_seconds histogram",
                             "cairn_instances gauge",
                             "cairn_service_desired_replicas gauge",
                             "cairn_instance_starts_total counter",
                             "cairn_instance_restarts_total counter",
                             "cairn_instance_crash_loops_total counter",
                             "cairn_instance_start_duration_seconds histogram",
                             "cairn_store_blobs gauge",
                             "cairn_store_bytes gauge",
                             "cairn_store_gc_runs_total counter",
                             "cairn_store_gc_removed_blobs_total counter",
                             "cairn_store_gc_freed_bytes_total counter",
                             "cairn_build_info gauge"}) {
    EXPECT_THAT(text, HasSubstr(std::string("# TYPE ") + family + "\n"));
  }
  EXPECT_THAT(text,
              HasSubstr("cairn_instances{service=\"web\",revision=\"1\",state=\"healthy\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("cairn_revisions_total{action=\"apply\"} 1\n"));

  // And Prometheus's own checker accepts it, lint included.
  CAIRN_REQUIRE_TOOL(std::system("command -v promtool >/dev/null 2>&1") == 0,
                     "promtool is not on PATH (scripts/install-deps installs it)");
  std::string file = h_.data_dir() + "/scrape.txt";
  std::ofstream(file) << text;
  int status = std::system(("promtool check metrics <" + file + " >" + file + ".out 2>&1").c_str());
  std::ifstream out(file + ".out");
  std::string complaints((std::istreambuf_iterator<char>(out)), {});
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << complaints;
  EXPECT_EQ(complaints, "");
}

}  // namespace
}  // namespace cairn::api
