#include "core/terminal_text.h"

#include <utf8.h>  // utfcpp (Debian's libutfcpp-dev), header only

#include <cstdint>
#include <cstdio>

namespace cairn {
namespace {

void AppendHex(std::string* out, unsigned char byte) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "\\x%02x", byte);
  *out += buf;
}

// Whether code point `c` changes what a terminal shows beyond printing itself.
bool IsTerminalControl(uint32_t c) {
  return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) ||           // C0, DEL, C1
         (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);  // bidi embeddings, isolates
}

void AppendEscaped(std::string* out, uint32_t c, bool keep_newlines) {
  switch (c) {
    case '\n':
      *out += keep_newlines ? "\n" : "\\n";
      return;
    case '\r':
      *out += "\\r";
      return;
    case '\t':
      *out += "\\t";
      return;
    case '\b':
      *out += "\\b";
      return;
    case 0x1b:
      *out += "\\e";
      return;
  }
  if (c < 0x80) {
    AppendHex(out, static_cast<unsigned char>(c));
    return;
  }
  char buf[12];
  std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
  *out += buf;
}

// Calls `emit(code_point, bytes)` for each character of `text`, or `emit(-1, byte)` for each
// byte that is not part of a valid UTF-8 sequence; stops when `emit` returns false.
template <typename Emit>
void ForEachCharacter(std::string_view text, Emit emit) {
  const char* it = text.data();
  const char* end = text.data() + text.size();
  while (it != end) {
    // Valid up to `bad`: decode without checks; at `bad`, one raw byte, then look again.
    const char* bad = utf8::find_invalid(it, end);
    while (it != bad) {
      const char* start = it;
      uint32_t c = utf8::unchecked::next(it);
      if (!emit(static_cast<int64_t>(c), std::string_view(start, it - start))) return;
    }
    if (bad == end) return;
    if (!emit(-1, std::string_view(bad, 1))) return;
    it = bad + 1;
  }
}

std::string Escape(std::string_view text, bool keep_newlines, bool quoting, size_t max_chars,
                   bool* cut) {
  std::string out;
  out.reserve(text.size() < 256 ? text.size() + 8 : 256);
  size_t chars = 0;
  ForEachCharacter(text, [&](int64_t c, std::string_view bytes) {
    if (chars == max_chars) {
      *cut = true;
      return false;
    }
    ++chars;
    if (c < 0) {
      AppendHex(&out, static_cast<unsigned char>(bytes[0]));
    } else if (IsTerminalControl(static_cast<uint32_t>(c))) {
      AppendEscaped(&out, static_cast<uint32_t>(c), keep_newlines);
    } else if (quoting && (c == '"' || c == '\\')) {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      out += bytes;
    }
    return true;
  });
  return out;
}

}  // namespace

std::string EscapeForTerminal(std::string_view text, bool keep_newlines) {
  bool cut = false;
  return Escape(text, keep_newlines, false, SIZE_MAX, &cut);
}

std::string QuoteForTerminal(std::string_view text, size_t max_chars) {
  bool cut = false;
  std::string inner = Escape(text, false, true, max_chars, &cut);
  if (!cut) return "\"" + inner + "\"";
  return "\"" + inner + "…\" (" + std::to_string(text.size()) + " bytes)";
}

}  // namespace cairn
