#include "api/ui_routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api/ui_assets.h"

namespace cairn::api {
namespace {

using ::testing::HasSubstr;

Request Get(const std::string& path) { return Request{"GET", path, {}, ""}; }

std::string Header(const Reply& reply, const std::string& name) {
  for (const auto& [key, value] : reply.headers) {
    if (key == name) return value;
  }
  return "";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(UiRoutesTest, AnswersTheDashboardPathsOnly) {
  EXPECT_TRUE(IsUiPath("/"));
  EXPECT_TRUE(IsUiPath("/ui"));
  EXPECT_TRUE(IsUiPath("/ui/"));
  EXPECT_TRUE(IsUiPath("/ui/app.js"));
  EXPECT_FALSE(IsUiPath("/uix"));
  EXPECT_FALSE(IsUiPath("/v1/status"));
  EXPECT_FALSE(IsUiPath("/v1/ui/app.js"));
}

TEST(UiRoutesTest, RootAndUiRedirectToTheIndex) {
  for (const char* path : {"/", "/ui"}) {
    Reply reply = UiRoute(Get(path), "");
    EXPECT_EQ(reply.status, 302u) << path;
    EXPECT_EQ(Header(reply, "Location"), "/ui/") << path;
  }
}

TEST(UiRoutesTest, ServesEachFileWithItsContentTypeAndNoCache) {
  struct Case {
    const char* path;
    const char* type;
    const char* text;
  };
  for (const Case& c :
       {Case{"/ui/", "text/html; charset=utf-8", "<!doctype html>"},
        Case{"/ui/index.html", "text/html; charset=utf-8", "/ui/app.js"},
        Case{"/ui/app.js", "text/javascript; charset=utf-8", "/v1/status"},
        Case{"/ui/rollout_chart.js", "text/javascript; charset=utf-8", "function rolloutCharts"},
        Case{"/ui/style.css", "text/css; charset=utf-8", ".topbar"}}) {
    Reply reply = UiRoute(Get(c.path), "");
    EXPECT_EQ(reply.status, 200u) << c.path;
    EXPECT_EQ(reply.content_type, c.type) << c.path;
    EXPECT_THAT(reply.body, HasSubstr(c.text)) << c.path;
    EXPECT_EQ(Header(reply, "Cache-Control"), "no-cache") << c.path;
    EXPECT_EQ(Header(reply, "X-Content-Type-Options"), "nosniff") << c.path;
    EXPECT_THAT(Header(reply, "ETag"), ::testing::MatchesRegex("\"[0-9a-f]{16}\"")) << c.path;
  }
}

TEST(UiRoutesTest, EmbeddedFilesAreTheSourceFilesByteForByte) {
  ASSERT_EQ(UiAssets().size(), 4u);
  for (const UiAsset& asset : UiAssets()) {
    std::string on_disk = ReadFile(std::string(CAIRN_UI_DIR) + "/" + std::string(asset.name));
    ASSERT_FALSE(on_disk.empty()) << asset.name;
    EXPECT_TRUE(asset.body == on_disk) << asset.name << " differs from the file it came from";
  }
}

TEST(UiRoutesTest, MatchingETagAnswersNotModifiedWithoutBody) {
  std::string etag = Header(UiRoute(Get("/ui/app.js"), ""), "ETag");
  for (const std::string& header : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
    Reply reply = UiRoute(Get("/ui/app.js"), header);
    EXPECT_EQ(reply.status, 304u) << header;
    EXPECT_TRUE(reply.body.empty()) << header;
    EXPECT_EQ(Header(reply, "ETag"), etag);
  }
  EXPECT_EQ(UiRoute(Get("/ui/app.js"), "\"0000000000000000\"").status, 200u);
  // Another file's ETag is no match.
  std::string css_etag = Header(UiRoute(Get("/ui/style.css"), ""), "ETag");
  EXPECT_EQ(UiRoute(Get("/ui/app.js"), css_etag).status, 200u);
}

TEST(UiRoutesTest, UnknownFileIsNotFoundWithAnErrorBody) {
  for (const char* path : {"/ui/nope.js", "/ui/../routes.cc", "/ui/app.js/", "/ui//app.js"}) {
    Reply reply = UiRoute(Get(path), "");
    EXPECT_EQ(reply.status, 404u) << path;
    auto body = nlohmann::json::parse(reply.body);
    EXPECT_EQ(body["error"]["code"], "not_found") << path;
    EXPECT_THAT(body["error"]["message"].get<std::string>(), HasSubstr(path));
  }
}

TEST(UiRoutesTest, OtherMethodsAreNotAllowed) {
  Reply reply = UiRoute(Request{"POST", "/ui/", {}, "{}"}, "");
  EXPECT_EQ(reply.status, 405u);
  EXPECT_EQ(Header(reply, "Allow"), "GET");
  EXPECT_THAT(reply.body, HasSubstr("method POST is not allowed on /ui/"));
}

}  // namespace
}  // namespace cairn::api
