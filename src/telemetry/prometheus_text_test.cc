#include "telemetry/prometheus_text.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "core/require_tool_for_test.h"

namespace cairn::telemetry {
namespace {

TEST(PrometheusTextTest, EscapesBackslashQuoteAndNewlineInLabelValues) {
  EXPECT_EQ(EscapeLabelValue("plain"), "plain");
  EXPECT_EQ(EscapeLabelValue("a\\b"), "a\\\\b");
  EXPECT_EQ(EscapeLabelValue("say \"hi\""), "say \\\"hi\\\"");
  EXPECT_EQ(EscapeLabelValue("two\nlines"), "two\\nlines");
  EXPECT_EQ(EscapeLabelValue("tab\tand ünïcode"), "tab\tand ünïcode");
}

TEST(PrometheusTextTest, HelpEscapesBackslashAndNewlineButNotQuotes) {
  EXPECT_EQ(EscapeHelp("a \"quoted\" \\ word\nnext"), "a \"quoted\" \\\\ word\\nnext");
}

TEST(PrometheusTextTest, FormatsWholeNumbersExactlyAndOthersShortest) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(42), "42");
  EXPECT_EQ(FormatValue(-3), "-3");
  EXPECT_EQ(FormatValue(9007199254740992.0), "9007199254740992");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(0.000199), "0.000199");
  EXPECT_EQ(FormatValue(0.0001), "0.0001");  // as Go writes it, not "1e-04"
  EXPECT_EQ(FormatValue(0.0005), "0.0005");
  EXPECT_EQ(FormatValue(0.00001), "1e-05");
  EXPECT_EQ(FormatValue(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(FormatValue(1e300), "1e+300");
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
}

TEST(PrometheusTextTest, WritesHelpTypeAndLabelledSamples) {
  MetricRegistry r;
  r.Family("cairn_x_total", "Things counted.\nSecond line.", MetricType::kCounter);
  r.Add("cairn_x_total", {{"service", "web"}, {"note", "a\"b"}}, 3);
  r.Family("cairn_y", "A level.", MetricType::kGauge);
  r.Add("cairn_y", {}, 1.5);
  EXPECT_EQ(WritePrometheusText(r),
            "# HELP cairn_x_total Things counted.\\nSecond line.\n"
            "# TYPE cairn_x_total counter\n"
            "cairn_x_total{service=\"web\",note=\"a\\\"b\"} 3\n"
            "# HELP cairn_y A level.\n"
            "# TYPE cairn_y gauge\n"
            "cairn_y 1.5\n");
}

TEST(PrometheusTextTest, HistogramBucketsAreCumulativeAndEndWithInf) {
  MetricRegistry r;
  r.Family("cairn_d_seconds", "Durations.", MetricType::kHistogram);
  Histogram h({0.1, 1});
  h.Observe(0.05);
  h.Observe(0.1);  // on the bound: counted in le="0.1"
  h.Observe(0.5);
  h.Observe(7);
  r.AddHistogram("cairn_d_seconds", {{"service", "web"}}, h);
  EXPECT_EQ(WritePrometheusText(r),
            "# HELP cairn_d_seconds Durations.\n"
            "# TYPE cairn_d_seconds histogram\n"
            "cairn_d_seconds_bucket{service=\"web\",le=\"0.1\"} 2\n"
            "cairn_d_seconds_bucket{service=\"web\",le=\"1\"} 3\n"
            "cairn_d_seconds_bucket{service=\"web\",le=\"+Inf\"} 4\n"
            "cairn_d_seconds_sum{service=\"web\"} 7.65\n"
            "cairn_d_seconds_count{service=\"web\"} 4\n");
}

TEST(PrometheusTextTest, HistogramWithoutLabelsHasOnlyLe) {
  MetricRegistry r;
  r.Family("cairn_d_seconds", "Durations.", MetricType::kHistogram);
  r.AddHistogram("cairn_d_seconds", {}, Histogram({1}));
  EXPECT_EQ(WritePrometheusText(r),
            "# HELP cairn_d_seconds Durations.\n"
            "# TYPE cairn_d_seconds histogram\n"
            "cairn_d_seconds_bucket{le=\"1\"} 0\n"
            "cairn_d_seconds_bucket{le=\"+Inf\"} 0\n"
            "cairn_d_seconds_sum 0\n"
            "cairn_d_seconds_count 0\n");
}

// Runs `promtool check metrics` over `text`; returns its exit code and puts its output in
// `output`, or returns -1 when promtool is not installed.
int Promtool(const std::string& text, std::string* output) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) return -1;
  char dir[] = "/tmp/cairn-promtool.XXXXXX";
  if (!mkdtemp(dir)) return -2;
  std::string in = std::string(dir) + "/metrics.txt";
  std::string out = std::string(dir) + "/out.txt";
  std::ofstream(in) << text;
  int status = std::system(("promtool check metrics <" + in + " >" + out + " 2>&1").c_str());
  std::ifstream read(out);
  output->assign(std::istreambuf_iterator<char>(read), {});
  std::remove(in.c_str());
  std::remove(out.c_str());
  rmdir(dir);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -3;
}

MetricRegistry Representative() {
  MetricRegistry r;
  r.Family("cairn_router_requests_total", "Requests answered.", MetricType::kCounter);
  r.Add("cairn_router_requests_total",
        {{"service", "web"}, {"version", "3"}, {"instance", "web-1a2b"}, {"code_class", "2xx"}},
        120);
  r.Add("cairn_router_requests_total",
        {{"service", "we\"ird\\name\n"},
         {"version", "3"},
         {"instance", "x"},
         {"code_class", "error"}},
        1);
  r.Family("cairn_router_request_duration_seconds", "Request latency.", MetricType::kHistogram);
  Histogram h({0.0001, 0.000199, 0.001, 1, 50.118723});
  for (double v : {0.00005, 0.0002, 0.01, 3.0, 100.0}) h.Observe(v);
  r.AddHistogram("cairn_router_request_duration_seconds", {{"service", "web"}}, h);
  r.Family("cairn_instances", "Instances by state.", MetricType::kGauge);
  r.Add("cairn_instances", {{"service", "web"}, {"state", "healthy"}}, 2);
  r.Family("cairn_store_bytes", "Bytes in the image store.", MetricType::kGauge);
  r.Add("cairn_store_bytes", {}, 1e12);
  r.Family("cairn_empty_total", "Declared, nothing counted yet.", MetricType::kCounter);
  return r;
}

TEST(PrometheusTextTest, RepresentativeOutputPassesPromtool) {
  std::string output;
  int code = Promtool(WritePrometheusText(Representative()), &output);
  CAIRN_REQUIRE_TOOL(code != -1, "promtool is not on PATH (scripts/install-deps installs it)");
  EXPECT_EQ(code, 0) << output;
  EXPECT_EQ(output, "");  // no lint complaint either
}

TEST(PrometheusTextTest, PromtoolCatchesALintProblemSoTheCheckAboveMeansSomething) {
  MetricRegistry r;
  r.Family("cairn_misnamed", "A counter without _total.", MetricType::kCounter);
  r.Add("cairn_misnamed", {}, 1);
  std::string output;
  int code = Promtool(WritePrometheusText(r), &output);
  CAIRN_REQUIRE_TOOL(code != -1, "promtool is not on PATH (scripts/install-deps installs it)");
  EXPECT_NE(code, 0);
  EXPECT_NE(output.find("_total"), std::string::npos) << output;
}

}  // namespace
}  // namespace cairn::telemetry
