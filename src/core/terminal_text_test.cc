#include "core/terminal_text.h"

#include <gtest/gtest.h>

#include <string>

namespace cairn {
namespace {

TEST(EscapeForTerminal, PlainTextComesBackUnchanged) {
  EXPECT_EQ(EscapeForTerminal("services.web: unknown field \"replica\""),
            "services.web: unknown field \"replica\"");
  EXPECT_EQ(EscapeForTerminal("C:\\path ünïcødé ✓"), "C:\\path ünïcødé ✓");
}

TEST(EscapeForTerminal, ControlBytesBecomeEscapes) {
  EXPECT_EQ(EscapeForTerminal("a\x1b[31mred\rb\bc\td\ne\x01\x7f"),
            "a\\e[31mred\\rb\\bc\\td\\ne\\x01\\x7f");
  EXPECT_EQ(EscapeForTerminal(std::string("nul\0here", 8)), "nul\\x00here");
}

TEST(EscapeForTerminal, NewlinesKeptOnlyWhenAsked) {
  EXPECT_EQ(EscapeForTerminal("one\ntwo\x1b", true), "one\ntwo\\e");
  EXPECT_EQ(EscapeForTerminal("one\ntwo", false), "one\\ntwo");
}

TEST(EscapeForTerminal, C1ControlsAndBidiOverridesBecomeUnicodeEscapes) {
  // U+009B is CSI on terminals that read C1 controls; U+202E reverses the text after it.
  EXPECT_EQ(EscapeForTerminal("a\xc2\x9b"
                              "31mb"),
            "a\\u009b31mb");
  EXPECT_EQ(EscapeForTerminal("x\xe2\x80\xae"
                              "cba"),
            "x\\u202ecba");
  EXPECT_EQ(EscapeForTerminal("\xe2\x81\xa6"
                              "y"),
            "\\u2066y");
}

TEST(EscapeForTerminal, BytesThatAreNotUtf8BecomeHex) {
  EXPECT_EQ(EscapeForTerminal("ok\xff\xfe"
                              "ok\xc3"),
            "ok\\xff\\xfeok\\xc3");
  EXPECT_EQ(EscapeForTerminal("\xe2\x82"
                              "x"),
            "\\xe2\\x82x");  // a sequence cut short
}

TEST(EscapeForTerminal, EscapingTwiceChangesNothing) {
  std::string once = EscapeForTerminal("a\x1b[2J\xff\xc2\x9b");
  EXPECT_EQ(EscapeForTerminal(once), once);
}

TEST(QuoteForTerminal, QuotesAndEscapesQuotesAndBackslashes) {
  EXPECT_EQ(QuoteForTerminal("web"), "\"web\"");
  EXPECT_EQ(QuoteForTerminal(""), "\"\"");
  EXPECT_EQ(QuoteForTerminal("say \"hi\" \\ bye"), "\"say \\\"hi\\\" \\\\ bye\"");
  EXPECT_EQ(QuoteForTerminal("\x1b]0;owned\x07"), "\"\\e]0;owned\\x07\"");
}

TEST(QuoteForTerminal, CutsLongValuesAndSaysHowLongTheyWere) {
  EXPECT_EQ(QuoteForTerminal(std::string(80, 'a')), "\"" + std::string(80, 'a') + "\"");
  EXPECT_EQ(QuoteForTerminal(std::string(81, 'a')), "\"" + std::string(80, 'a') + "…\" (81 bytes)");
  EXPECT_EQ(QuoteForTerminal(std::string(131072, 'x'), 4), "\"xxxx…\" (131072 bytes)");
}

TEST(QuoteForTerminal, CountsCharactersNotBytes) {
  // Three two-byte characters fit in a cut at three; a cut never splits a character.
  EXPECT_EQ(QuoteForTerminal("äöü", 3), "\"äöü\"");
  EXPECT_EQ(QuoteForTerminal("äöüß", 3), "\"äöü…\" (8 bytes)");
}

}  // namespace
}  // namespace cairn
