#include "core/http_url.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(HttpUrlTest, HostPortAndTarget) {
  auto u = ParseHttpUrl("http://127.0.0.1:9093/hook?x=1");
  ASSERT_TRUE(u.ok()) << u.error().ToString();
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "9093");
  EXPECT_EQ(u->target, "/hook?x=1");
  auto bare = ParseHttpUrl("http://prometheus.internal");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->port, "80");
  EXPECT_EQ(bare->target, "/");
  auto query = ParseHttpUrl("http://h?x=1");
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->target, "/?x=1");
  auto v6 = ParseHttpUrl("http://[::1]:8080/a");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, "8080");
  auto v6bare = ParseHttpUrl("http://[::1]/a");
  ASSERT_TRUE(v6bare.ok());
  EXPECT_EQ(v6bare->port, "80");
}

TEST(HttpUrlTest, SaysWhatIsWrong) {
  auto why = [](const std::string& url) { return ParseHttpUrl(url).error().message; };
  EXPECT_EQ(why("https://h/"), "must start with http://");
  EXPECT_EQ(why("ftp://h/"), "must start with http://");
  EXPECT_EQ(why("http:///x"), "names no host");
  EXPECT_EQ(why("http://:9090"), "names no host");
  EXPECT_EQ(why("http://u:p@h/"), "must not carry credentials");
  EXPECT_EQ(why("http://[::1/"), "has an unclosed [ in its host");
  EXPECT_EQ(why("http://h:99999/"), "has an invalid port \"99999\"");
  EXPECT_EQ(why("http://h:port/"), "has an invalid port \"port\"");
  EXPECT_EQ(why("http://h:/"), "has an invalid port \"\"");
}

}  // namespace
}  // namespace cairn
