#include "spec/text_check.h"

#include <utf8.h>  // utfcpp (Debian's libutfcpp-dev): validation by the Unicode rules

#include <cstdio>

#include "spec/limits.h"

namespace cairn::spec {
namespace {

// Line and column of byte `offset` in `text`, which is valid UTF-8 up to there.
void Position(std::string_view text, size_t offset, int* line, int* col) {
  *line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++*line;
      line_start = i + 1;
    }
  }
  // Continuation bytes (10xxxxxx) are not characters of their own.
  int chars = 0;
  for (size_t i = line_start; i < offset; ++i) {
    chars += (static_cast<unsigned char>(text[i]) & 0xc0) != 0x80;
  }
  *col = chars + 1;
}

std::string Hex(unsigned char byte) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%02x", byte);
  return buf;
}

}  // namespace

std::optional<SpecError> CheckSpecText(std::string_view text, const std::string& file) {
  auto error_at = [&](size_t offset, std::string message) {
    SpecError e;
    e.file = file;
    Position(text, offset, &e.line, &e.col);
    e.message = std::move(message);
    return e;
  };
  auto bad = utf8::find_invalid(text.begin(), text.end());
  size_t valid_until = static_cast<size_t>(bad - text.begin());
  // A NUL or a misplaced BOM before the first invalid byte is the first problem.
  static constexpr std::string_view kBom = "\xef\xbb\xbf";
  for (size_t i = 0; i < valid_until; ++i) {
    if (text[i] == '\0') {
      return error_at(i, "the file holds a NUL byte (0x00), which YAML text cannot hold");
    }
    if (i > 0 && text.compare(i, kBom.size(), kBom) == 0) {
      return error_at(i,
                      "a byte-order mark (U+FEFF) inside the file; one is allowed only as its "
                      "first character (was the file concatenated from several?)");
    }
  }
  if (bad != text.end()) {
    return error_at(valid_until, "the file is not valid UTF-8: byte " +
                                     Hex(static_cast<unsigned char>(*bad)) +
                                     " cannot start or continue a character here; cairn reads "
                                     "environment files as UTF-8");
  }
  return std::nullopt;
}

std::optional<SpecError> CheckSpecSize(uint64_t bytes, const std::string& file) {
  if (bytes <= kMaxFileBytes) return std::nullopt;
  SpecError e;
  e.file = file;
  e.message = "the environment file is " + std::to_string(bytes) + " bytes; at most " +
              std::to_string(kMaxFileBytes) + " (4 MiB) are accepted";
  return e;
}

}  // namespace cairn::spec
