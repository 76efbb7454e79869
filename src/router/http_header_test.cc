#include "router/http_header.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cairn::router {
namespace {

TEST(HttpHeaderTest, ClassifiesEveryKnownNameInAnyCase) {
  struct Case {
    std::string name;
    HeaderKind kind;
  };
  std::vector<Case> cases = {
      {"Connection", HeaderKind::kConnection},
      {"KEEP-ALIVE", HeaderKind::kKeepAlive},
      {"proxy-connection", HeaderKind::kProxyConnection},
      {"TE", HeaderKind::kTe},
      {"Trailer", HeaderKind::kTrailer},
      {"upgrade", HeaderKind::kUpgrade},
      {"Content-Length", HeaderKind::kContentLength},
      {"transfer-ENCODING", HeaderKind::kTransferEncoding},
      {"HoSt", HeaderKind::kHost},
      {"Expect", HeaderKind::kExpect},
      {"Cookie", HeaderKind::kCookie},
      {"X-Forwarded-For", HeaderKind::kXForwardedFor},
      {"x-forwarded-proto", HeaderKind::kXForwardedProto},
  };
  for (const Case& c : cases) EXPECT_EQ(ClassifyHeader(c.name), c.kind) << c.name;
}

TEST(HttpHeaderTest, OtherNamesOfTheSameLengthAreOther) {
  // Same lengths as known names, one byte off, or a byte whose case-fold is a known letter
  // only by a bit trick ('@' | 0x20 == '`'): none may be mistaken for a hop-by-hop header.
  for (const char* name :
       {"User-Agent", "Connectio_", "Te-", "tf", "Hos\x14", "Cookies", "Content-Type",
        "X-Forwarded-Fox", "Transfer-Encodinf", "", "Upgradd", "\xC3\xA9xpect", "Keep-Alivf"}) {
    EXPECT_EQ(ClassifyHeader(name), HeaderKind::kOther) << name;
  }
}

TEST(HttpHeaderTest, HopByHopKinds) {
  EXPECT_TRUE(IsHopByHop(HeaderKind::kConnection));
  EXPECT_TRUE(IsHopByHop(HeaderKind::kUpgrade));
  EXPECT_TRUE(IsHopByHop(HeaderKind::kTe));
  EXPECT_FALSE(IsHopByHop(HeaderKind::kContentLength));
  EXPECT_FALSE(IsHopByHop(HeaderKind::kHost));
  EXPECT_FALSE(IsHopByHop(HeaderKind::kOther));
}

TEST(HttpHeaderTest, TokensAndCase) {
  EXPECT_TRUE(EqualsIgnoreCase("Chunked", "cHUNKED"));
  EXPECT_FALSE(EqualsIgnoreCase("chunked", "chunke"));
  EXPECT_FALSE(EqualsIgnoreCase("a@", "a`"));
  EXPECT_TRUE(HasToken("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(HasToken(" close ", "close"));
  EXPECT_FALSE(HasToken("closed, x", "close"));
  EXPECT_EQ(TrimOws(" \t a b \t"), "a b");
  std::vector<std::string> tokens;
  ForEachToken(" gzip ,, chunked,", [&](std::string_view t) { tokens.emplace_back(t); });
  EXPECT_EQ(tokens, (std::vector<std::string>{"gzip", "chunked"}));
}

}  // namespace
}  // namespace cairn::router
