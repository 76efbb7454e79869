#include "router/chunked_decoder.h"

#include <gtest/gtest.h>

#include <string>

#include "router/http_response.h"

namespace cairn::router {
namespace {

struct Outcome {
  ChunkedDecoder::State state = ChunkedDecoder::State::kNeedMore;
  HttpError error = HttpError::kNone;
  std::string body;
  std::string rest;
};

// Decodes `in` in pieces of `step` bytes (0: all at once).
Outcome Decode(const std::string& in, size_t step = 0, ChunkedLimits limits = {}) {
  Outcome out;
  ChunkedDecoder decoder(limits);
  size_t pos = 0;
  do {
    size_t n = step == 0 ? in.size() - pos : std::min(step, in.size() - pos);
    std::string piece = in.substr(pos, n);
    pos += n;
    size_t decoded = 0, leftover = 0;
    out.state = decoder.Decode(piece.data(), piece.size(), &decoded, &leftover);
    out.body += piece.substr(0, decoded);
    if (out.state == ChunkedDecoder::State::kError) {
      out.error = decoder.error();
      return out;
    }
    if (out.state == ChunkedDecoder::State::kDone) {
      out.rest = piece.substr(decoded, leftover) + in.substr(pos);
      return out;
    }
  } while (pos < in.size());
  return out;
}

void ExpectRefused(const std::string& in, HttpError error) {
  for (size_t step : {0, 1, 3}) {
    Outcome o = Decode(in, step);
    EXPECT_EQ(o.state, ChunkedDecoder::State::kError) << in << " step " << step;
    EXPECT_EQ(o.error, error) << in << " step " << step << " got " << HttpErrorName(o.error);
    EXPECT_EQ(HttpErrorStatus(o.error), 400);
  }
}

TEST(ChunkedDecoderTest, DecodesAcrossEverySplitWithLeftover) {
  std::string in =
      "4\r\nWiki\r\n5;ext=1\r\npedia\r\n10\r\n0123456789abcdef\r\n0\r\nT: v\r\n\r\nGET";
  for (size_t split = 1; split < in.size() - 3; ++split) {
    ChunkedDecoder decoder;
    std::string a = in.substr(0, split), b = in.substr(split);
    size_t decoded = 0, leftover = 0;
    ASSERT_EQ(decoder.Decode(a.data(), a.size(), &decoded, &leftover),
              ChunkedDecoder::State::kNeedMore)
        << split;
    std::string out = a.substr(0, decoded);
    ASSERT_EQ(decoder.Decode(b.data(), b.size(), &decoded, &leftover), ChunkedDecoder::State::kDone)
        << split;
    out += b.substr(0, decoded);
    EXPECT_EQ(out, "Wikipedia0123456789abcdef") << split;
    EXPECT_EQ(b.substr(decoded, leftover), "GET") << split;
  }
}

TEST(ChunkedDecoderTest, AcceptsEveryExtensionTheGrammarAllows) {
  for (const char* line :
       {"3;a", "3;a=b", "3 ;a", "3; a", "3;a =b", "3;a= b", "3;a=\"x y\\\"z\"", "3;a;b=c;d=\"\"",
        "3;a=b ;c", "3;a=\"q\" ;b", "3\t;a", "03", "3;a=\"\\\\\""}) {
    std::string in = std::string(line) + "\r\nabc\r\n0\r\n\r\n";
    Outcome o = Decode(in);
    EXPECT_EQ(o.state, ChunkedDecoder::State::kDone) << line << " " << HttpErrorName(o.error);
    EXPECT_EQ(o.body, "abc") << line;
  }
  Outcome last = Decode("0;done=yes\r\n\r\n");
  EXPECT_EQ(last.state, ChunkedDecoder::State::kDone);
  EXPECT_EQ(Decode("000\r\n\r\nX").rest, "X");
}

TEST(ChunkedDecoderTest, RefusesSizesThatAreNotHexDigits) {
  // Each of these is read as some size by a lenient decoder (phr_decode_chunked took "0x4b" and
  // "0_5" as 0 and "5zz" as 5), which is how a front hop and cairn come to disagree.
  ExpectRefused("0x4b\r\n\r\n", HttpError::kInvalidChunkSize);
  ExpectRefused("0_5\r\n\r\n", HttpError::kInvalidChunkSize);
  ExpectRefused("5zz\r\nhello\r\n0\r\n\r\n", HttpError::kInvalidChunkSize);
  ExpectRefused("zz\r\nab\r\n0\r\n\r\n", HttpError::kInvalidChunkSize);
  ExpectRefused("-1\r\nx\r\n", HttpError::kInvalidChunkSize);
  ExpectRefused("+1\r\nx\r\n", HttpError::kInvalidChunkSize);
  ExpectRefused("\r\n", HttpError::kInvalidChunkSize);
  ExpectRefused(" 1\r\nx\r\n0\r\n\r\n", HttpError::kInvalidChunkSize);
  ExpectRefused(";a\r\nx\r\n", HttpError::kInvalidChunkSize);
}

TEST(ChunkedDecoderTest, RefusesASizePast64Bits) {
  ExpectRefused("10000000000000000\r\n", HttpError::kChunkSizeOverflow);
  Outcome biggest = Decode("ffffffffffffffff\r\nabc");
  EXPECT_EQ(biggest.state, ChunkedDecoder::State::kNeedMore);
  EXPECT_EQ(biggest.body, "abc");
}

TEST(ChunkedDecoderTest, RefusesExtensionsOffTheGrammar) {
  for (const char* line :
       {"3 ", "3;", "3;=b", "3;a=", "3;a b", "3;a=b c", "3;a=\"x", "3;a=\"x\"y", "3;a=\"\x01\"",
        "3;a=b\x7f", "3;a@b", "3;a=\"x\" ", "3;a ", "3 \t", "3;a=\"\\\x01\""}) {
    std::string in = std::string(line) + "\r\nabc\r\n0\r\n\r\n";
    Outcome o = Decode(in);
    EXPECT_EQ(o.state, ChunkedDecoder::State::kError) << line;
    EXPECT_EQ(o.error, HttpError::kInvalidChunkExtension) << line << " " << HttpErrorName(o.error);
  }
}

TEST(ChunkedDecoderTest, RefusesBareLfAndMissingCrlf) {
  ExpectRefused("3\nabc\r\n0\r\n\r\n", HttpError::kInvalidChunk);
  ExpectRefused("3\r\nabc\n0\r\n\r\n", HttpError::kInvalidChunk);
  ExpectRefused("3\r\nabcd\r\n0\r\n\r\n", HttpError::kInvalidChunk);
  ExpectRefused("3\r\nabc\r\n0\r\n\n", HttpError::kInvalidTrailer);
  ExpectRefused("3\r\nabc\r\n0\r\n\rX", HttpError::kInvalidChunk);
  ExpectRefused("3\r\r\nabc\r\n0\r\n\r\n", HttpError::kInvalidChunk);
  ExpectRefused("0\n\r\n", HttpError::kInvalidChunk);
}

TEST(ChunkedDecoderTest, ChecksTrailersAsHeaderFields) {
  Outcome ok = Decode("1\r\nx\r\n0\r\nChecksum: abc\r\nX-Empty:\r\nX-Obs: caf\xc3\xa9\r\n\r\nNEXT");
  EXPECT_EQ(ok.state, ChunkedDecoder::State::kDone) << HttpErrorName(ok.error);
  EXPECT_EQ(ok.body, "x");
  EXPECT_EQ(ok.rest, "NEXT");
  ExpectRefused("0\r\nNo colon\r\n\r\n", HttpError::kInvalidTrailer);
  ExpectRefused("0\r\nName : v\r\n\r\n", HttpError::kInvalidTrailer);
  ExpectRefused("0\r\n: v\r\n\r\n", HttpError::kInvalidTrailer);
  ExpectRefused("0\r\nA: v\r\n folded\r\n\r\n", HttpError::kInvalidTrailer);
  ExpectRefused("0\r\nA: v\nB: w\r\n\r\n", HttpError::kInvalidTrailer);
  ExpectRefused(std::string("0\r\nA: v\0w\r\n\r\n", 13), HttpError::kInvalidTrailer);
  // A smuggled request dressed as a trailer is not a header field either.
  ExpectRefused("0\r\nGET /admin HTTP/1.1\r\n\r\n", HttpError::kInvalidTrailer);
}

TEST(ChunkedDecoderTest, BoundsSizeLinesAndTrailers) {
  ChunkedLimits limits;
  limits.max_line_bytes = 16;
  limits.max_trailer_bytes = 32;
  EXPECT_EQ(Decode("3;aaaaaaaaaaa\r\nabc\r\n0\r\n\r\n", 0, limits).state,
            ChunkedDecoder::State::kDone);
  Outcome long_line = Decode("3;aaaaaaaaaaaaaaaaaaaa\r\nabc\r\n0\r\n\r\n", 0, limits);
  EXPECT_EQ(long_line.error, HttpError::kChunkLineTooLong);
  Outcome zeros = Decode(std::string(17, '0') + "\r\n\r\n", 0, limits);
  EXPECT_EQ(zeros.error, HttpError::kChunkLineTooLong);
  Outcome trailers = Decode("0\r\nA: " + std::string(40, 'v') + "\r\n\r\n", 0, limits);
  EXPECT_EQ(trailers.error, HttpError::kTrailerTooLarge);
  // The limit is per line: many short chunks are fine.
  std::string many;
  for (int i = 0; i < 100; ++i) many += "1;aaaaaaaaaa\r\nx\r\n";
  EXPECT_EQ(Decode(many + "0\r\n\r\n", 0, limits).body, std::string(100, 'x'));
}

TEST(ChunkedDecoderTest, DataBeforeAViolationIsKeptAndNothingAfter) {
  Outcome o = Decode("3\r\nabc\r\n2x\r\nde\r\n0\r\n\r\n");
  EXPECT_EQ(o.state, ChunkedDecoder::State::kError);
  EXPECT_EQ(o.body, "abc");
}

TEST(ChunkedDecoderTest, WritesChunkHeadersItReads) {
  char line[24];
  for (size_t size : {size_t{1}, size_t{255}, size_t{1} << 20}) {
    std::string in(line, WriteChunkHeader(size, line));
    in += std::string(size, 'z') + "\r\n0\r\n\r\n";
    EXPECT_EQ(Decode(in).body.size(), size);
  }
}

}  // namespace
}  // namespace cairn::router
