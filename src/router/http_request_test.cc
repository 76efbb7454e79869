#include "router/http_request.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "router/http_response.h"

namespace cairn::router {
namespace {

// Owns the text so the head's views stay valid as the result moves.
struct Parsed {
  std::unique_ptr<std::string> text;
  ParseStatus status;
  HttpError error;
  HttpRequestHead head;
};

Parsed Parse(const std::string& text, HttpLimits limits = {}) {
  Parsed p;
  p.text = std::make_unique<std::string>(text);
  p.status = ParseRequestHead(*p.text, limits, &p.head, &p.error);
  return p;
}

void ExpectRejected(const std::string& text, HttpError error, int status) {
  Parsed p = Parse(text);
  EXPECT_EQ(p.status, ParseStatus::kError) << text;
  EXPECT_EQ(p.error, error) << text << " got " << HttpErrorName(p.error);
  EXPECT_EQ(HttpErrorStatus(p.error), status) << text;
}

TEST(HttpRequestTest, ParsesSimpleGet) {
  std::string text = "GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Y:  z \r\n\r\nNEXT";
  Parsed p = Parse(text);
  ASSERT_EQ(p.status, ParseStatus::kComplete);
  EXPECT_EQ(p.head.method, "GET");
  EXPECT_EQ(p.head.target, "/a?b=1");
  EXPECT_EQ(p.head.minor_version, 1);
  EXPECT_EQ(p.head.head_bytes, text.size() - 4);
  EXPECT_EQ(p.head.Find("x-y"), "z");
  EXPECT_EQ(p.head.framing, BodyFraming::kNone);
  EXPECT_TRUE(p.head.keep_alive);
  EXPECT_TRUE(p.head.IsIdempotent());
}

TEST(HttpRequestTest, IncompleteHeadAsksForMore) {
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nHost: x\r\n").status, ParseStatus::kIncomplete);
  EXPECT_EQ(Parse("GE").status, ParseStatus::kIncomplete);
}

TEST(HttpRequestTest, BodyFraming) {
  Parsed cl = Parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n");
  ASSERT_EQ(cl.status, ParseStatus::kComplete);
  EXPECT_EQ(cl.head.framing, BodyFraming::kContentLength);
  EXPECT_EQ(cl.head.content_length, 12u);
  EXPECT_FALSE(cl.head.IsIdempotent());
  Parsed te = Parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:  Chunked \r\n\r\n");
  ASSERT_EQ(te.status, ParseStatus::kComplete);
  EXPECT_EQ(te.head.framing, BodyFraming::kChunked);
  Parsed same =
      Parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n");
  EXPECT_EQ(same.status, ParseStatus::kComplete);
}

TEST(HttpRequestTest, ConnectionSemantics) {
  EXPECT_FALSE(Parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").head.keep_alive);
  EXPECT_FALSE(Parse("GET / HTTP/1.0\r\n\r\n").head.keep_alive);
  EXPECT_TRUE(Parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").head.keep_alive);
  EXPECT_TRUE(
      Parse("PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n")
          .head.expect_continue);
  EXPECT_FALSE(Parse("PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").head.expect_continue);
}

TEST(HttpRequestTest, RejectsContentLengthWithTransferEncoding) {
  ExpectRejected(
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
      HttpError::kContentLengthWithTransferEncoding, 400);
}

TEST(HttpRequestTest, RejectsBadContentLength) {
  ExpectRejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
                 HttpError::kConflictingContentLength, 400);
  ExpectRejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n",
                 HttpError::kInvalidContentLength, 400);
  ExpectRejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5a\r\n\r\n",
                 HttpError::kInvalidContentLength, 400);
  ExpectRejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
                 HttpError::kInvalidContentLength, 400);
  ExpectRejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n",
                 HttpError::kInvalidContentLength, 400);
  ExpectRejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
                 HttpError::kInvalidContentLength, 400);
}

TEST(HttpRequestTest, RejectsEmptyHeaderName) {
  ExpectRejected("GET / HTTP/1.1\r\nHost: x\r\n: value\r\n\r\n", HttpError::kEmptyHeaderName, 400);
}

TEST(HttpRequestTest, RejectsBareLf) {
  ExpectRejected("GET / HTTP/1.1\nHost: x\n\n", HttpError::kBareLf, 400);
  ExpectRejected("GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n", HttpError::kBareLf, 400);
}

TEST(HttpRequestTest, RejectsTransferEncodingNotEndingInChunked) {
  ExpectRejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
                 HttpError::kUnsupportedTransferEncoding, 400);
  ExpectRejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
                 HttpError::kUnsupportedTransferEncoding, 400);
  ExpectRejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
                 HttpError::kUnsupportedTransferEncoding, 400);
  ExpectRejected(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n",
      HttpError::kUnsupportedTransferEncoding, 400);
  ExpectRejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n",
                 HttpError::kUnsupportedTransferEncoding, 400);
  ExpectRejected("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
                 HttpError::kTransferEncodingInHttp10, 400);
}

TEST(HttpRequestTest, RefusesCodingsTheRouterDoesNotDecode) {
  // Forwarding them would leave what the body means to the next hop: 501, as RFC 9112 asks.
  for (const char* te : {"gzip, chunked", "identity, chunked", "gzip;q=1, chunked", "x,chunked"}) {
    ExpectRejected(
        std::string("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ") + te + "\r\n\r\n",
        HttpError::kUnknownTransferCoding, 501);
  }
  ExpectRejected(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
      "Transfer-Encoding: chunked\r\n\r\n",
      HttpError::kUnknownTransferCoding, 501);
  // Not even a coding name: malformed.
  ExpectRejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \"gzip\", chunked\r\n\r\n",
                 HttpError::kUnsupportedTransferEncoding, 400);
  ExpectRejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked;x=1\r\n\r\n",
                 HttpError::kUnsupportedTransferEncoding, 400);
}

TEST(HttpRequestTest, ConnectIs405) {
  ExpectRejected("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
                 HttpError::kConnectNotAllowed, 405);
  EXPECT_STREQ(ReasonPhrase(405), "Method Not Allowed");
}

TEST(HttpRequestTest, AbsoluteFormTargetGivesItsAuthorityInPlaceOfHost) {
  Parsed p = Parse("GET http://Example.com:8080/a/b?c=1 HTTP/1.1\r\nHost: other\r\n\r\n");
  ASSERT_EQ(p.status, ParseStatus::kComplete) << HttpErrorName(p.error);
  EXPECT_EQ(p.head.target, "/a/b?c=1");
  EXPECT_EQ(p.head.authority, "Example.com:8080");
  Parsed bare = Parse("GET HTTPS://[::1]:9 HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(bare.status, ParseStatus::kComplete) << HttpErrorName(bare.error);
  EXPECT_EQ(bare.head.target, "/");
  EXPECT_EQ(bare.head.authority, "[::1]:9");
  Parsed origin = Parse("GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(origin.head.authority, "");
  Parsed star = Parse("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(star.status, ParseStatus::kComplete);
  EXPECT_EQ(star.head.target, "*");
}

TEST(HttpRequestTest, RejectsTargetsOfNoFormTheRouterServes) {
  for (const char* target : {"x", "*", "ftp://host/", "http://", "http:///path",
                             "http://user@host/", "http://h?q", "example.com:443", "http://h\"/"}) {
    ExpectRejected(std::string("GET ") + target + " HTTP/1.1\r\nHost: x\r\n\r\n",
                   HttpError::kInvalidTarget, 400);
  }
}

TEST(HttpRequestTest, RejectsWhitespaceBeforeColon) {
  ExpectRejected("POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\n",
                 HttpError::kWhitespaceBeforeColon, 400);
  ExpectRejected("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding\t: chunked\r\n\r\n",
                 HttpError::kWhitespaceBeforeColon, 400);
}

TEST(HttpRequestTest, RejectsOtherBadHeaders) {
  ExpectRejected("GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n folded\r\n\r\n",
                 HttpError::kObsoleteLineFolding, 400);
  ExpectRejected("GET / HTTP/1.1\r\nHost: x\r\nX Y: a\r\n\r\n", HttpError::kInvalidHeaderName, 400);
  ExpectRejected("GET / HTTP/1.1\r\n\r\n", HttpError::kMissingHost, 400);
  ExpectRejected("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", HttpError::kDuplicateHost, 400);
  ExpectRejected("GET / HTTP/1.1 junk\r\nHost: a\r\n\r\n", HttpError::kMalformed, 400);
}

TEST(HttpRequestTest, RejectsOversizedHead) {
  std::string big = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(70 * 1024, 'a');
  ExpectRejected(big, HttpError::kHeadTooLarge, 431);
  ExpectRejected(big + "\r\n\r\n", HttpError::kHeadTooLarge, 431);
}

TEST(HttpRequestTest, RejectsTooManyHeaders) {
  std::string text = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 101; ++i) text += "X-" + std::to_string(i) + ": v\r\n";
  ExpectRejected(text + "\r\n", HttpError::kTooManyHeaders, 431);
  ExpectRejected(text, HttpError::kTooManyHeaders, 431);  // still arriving
  std::string ok = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 99; ++i) ok += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(Parse(ok + "\r\n").status, ParseStatus::kComplete);
}

TEST(HttpRequestTest, RejectsLongUri) {
  std::string target = "/" + std::string(9000, 'a');
  ExpectRejected("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n", HttpError::kUriTooLong, 414);
  ExpectRejected("GET " + target, HttpError::kUriTooLong, 414);  // still arriving
  HttpLimits small;
  small.max_target_bytes = 4;
  EXPECT_EQ(Parse("GET /abcdef HTTP/1.1\r\nHost: x\r\n\r\n", small).error, HttpError::kUriTooLong);
}

// Found by fuzz/http_request_fuzz.cc: picohttpparser 2.2.5 took "PS/TO  HTTP/1.2" as method
// "PS/TO" with an empty target.
TEST(HttpRequestTest, RejectsEmptyTargetAndNonTokenMethod) {
  ExpectRejected("GET  HTTP/1.1\r\nHost: x\r\n\r\n", HttpError::kMalformed, 400);
  ExpectRejected("PS/TO  HTTP/1.1\r\nHost: x\r\n\r\n", HttpError::kMalformed, 400);
  ExpectRejected("G(E)T / HTTP/1.1\r\nHost: x\r\n\r\n", HttpError::kMalformed, 400);
}

// Found by fuzz/http_request_fuzz.cc: a head accepted whole must not be rejected while it is
// still arriving, whatever the read boundaries (a long method is not a long target; the empty
// line picohttpparser skips before the request line is not a header).
TEST(HttpRequestTest, HeadGetsTheSameAnswerHoweverItIsSplit) {
  HttpLimits limits;
  limits.max_target_bytes = 16;
  limits.max_headers = 2;
  for (std::string text : {"GE" + std::string(100, '$') + "T / HTTP/1.1\r\nHost: x\r\n\r\n",
                           std::string("\r\nGET / HTTP/1.1\r\nHost: x\r\nA: b\r\n\r\n")}) {
    ASSERT_EQ(Parse(text, limits).status, ParseStatus::kComplete) << text;
    for (size_t len = 0; len < text.size(); ++len) {
      EXPECT_EQ(Parse(text.substr(0, len), limits).status, ParseStatus::kIncomplete) << len;
    }
  }
  // A target already longer than the limit is still refused before the line ends.
  EXPECT_EQ(Parse("GET /" + std::string(16, 'a'), limits).error, HttpError::kUriTooLong);
  EXPECT_EQ(Parse("\r\nGET /" + std::string(16, 'a'), limits).error, HttpError::kUriTooLong);
}

TEST(HttpResponseTest, ParsesFraming) {
  HttpResponseHead head;
  HttpError error;
  HttpLimits limits;
  ASSERT_EQ(ParseResponseHead("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", "GET", limits,
                              &head, &error),
            ParseStatus::kComplete);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.framing, BodyFraming::kContentLength);
  EXPECT_EQ(head.content_length, 5u);
  ASSERT_EQ(ParseResponseHead("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "HEAD", limits, &head,
                              &error),
            ParseStatus::kComplete);
  EXPECT_EQ(head.framing, BodyFraming::kNone);
  ASSERT_EQ(ParseResponseHead("HTTP/1.0 200 OK\r\n\r\n", "GET", limits, &head, &error),
            ParseStatus::kComplete);
  EXPECT_EQ(head.framing, BodyFraming::kUntilClose);
  EXPECT_FALSE(head.keep_alive);
  ASSERT_EQ(ParseResponseHead("HTTP/1.1 204 No Content\r\n\r\n", "GET", limits, &head, &error),
            ParseStatus::kComplete);
  EXPECT_EQ(head.framing, BodyFraming::kNone);
  EXPECT_TRUE(head.keep_alive);
  EXPECT_EQ(ParseResponseHead("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: "
                              "chunked\r\n\r\n",
                              "GET", limits, &head, &error),
            ParseStatus::kError);
}

TEST(ChunkedDecoderTest, WritesChunkHeaders) {
  char buf[20];
  EXPECT_EQ(std::string(buf, WriteChunkHeader(0, buf)), "0\r\n");
  EXPECT_EQ(std::string(buf, WriteChunkHeader(255, buf)), "ff\r\n");
  EXPECT_EQ(std::string(buf, WriteChunkHeader(1 << 20, buf)), "100000\r\n");
}

}  // namespace
}  // namespace cairn::router

namespace cairn::router {
namespace {

TEST(HttpRequestTest, UpgradeNeedsBothTheHeaderAndTheConnectionToken) {
  Parsed ws = Parse(
      "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, "
      "Upgrade\r\n\r\n");
  ASSERT_EQ(ws.status, ParseStatus::kComplete);
  EXPECT_EQ(ws.head.upgrade, "websocket");
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n").head.upgrade, "");
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\n\r\n").head.upgrade, "");
  EXPECT_EQ(
      Parse("GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n").head.upgrade,
      "");
}

}  // namespace
}  // namespace cairn::router
