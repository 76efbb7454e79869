#include "image/reference.h"

#include <gtest/gtest.h>

namespace cairn::image {
namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');

TEST(ReferenceTest, ParsesEveryAcceptedForm) {
  auto r = ParseReference("web:1.4.2");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->name, "web");
  EXPECT_EQ(r->tag, "1.4.2");
  EXPECT_EQ(r->TagName(), "web:1.4.2");

  r = ParseReference("web");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->tag, "latest");

  r = ParseReference("team/web@" + kDigest);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->name, "team/web");
  EXPECT_EQ(r->tag, "");
  EXPECT_EQ(r->digest, kDigest);

  r = ParseReference(kDigest);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->name, "");
  EXPECT_EQ(r->digest, kDigest);
  EXPECT_EQ(r->ToString(), kDigest);

  r = ParseReference("localhost:5000/team/web:v2");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->name, "localhost:5000/team/web");
  EXPECT_EQ(r->tag, "v2");

  r = ParseReference("my_app.v2--x:Tag_1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ToString(), "my_app.v2--x:Tag_1");
}

TEST(ReferenceTest, MalformedReferencesSayWhatIsWrong) {
  struct Case {
    std::string text;
    std::string expect_in_message;
  };
  for (const Case& c : std::vector<Case>{
           {"", "empty"},
           {"Web:1", "invalid image name"},
           {"web:", "invalid tag"},
           {"web:-1", "invalid tag"},
           {"web:a b", "invalid tag"},
           {"web@sha256:abc", "invalid digest"},
           {"web@md5:" + std::string(32, 'a'), "invalid digest"},
           {"sha256:" + std::string(63, 'a'), "invalid digest"},
           {"sha256:" + std::string(64, 'A'), "invalid digest"},
           {"web//api", "invalid image name"},
           {"/web", "invalid image name"},
           {"web-:1", "invalid image name"},
           {":tag", "invalid image name"},
       }) {
    auto r = ParseReference(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().context, c.text);
    EXPECT_NE(r.error().message.find(c.expect_in_message), std::string::npos)
        << c.text << ": " << r.error().message;
  }
}

TEST(ReferenceTest, TagReferencesRefuseDigests) {
  EXPECT_TRUE(ParseTagReference("web:1").ok());
  EXPECT_FALSE(ParseTagReference("web@" + kDigest).ok());
  EXPECT_FALSE(ParseTagReference(kDigest).ok());
}

}  // namespace
}  // namespace cairn::image
