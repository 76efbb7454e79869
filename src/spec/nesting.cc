#include "spec/nesting.h"

#include <vector>

#include "spec/limits.h"

namespace cairn::spec {
namespace {

// 0-based line and column (in characters) of byte `offset`, as yaml-cpp's marks count.
YAML::Mark MarkAt(std::string_view text, size_t offset) {
  YAML::Mark mark;
  mark.pos = static_cast<int>(offset);
  mark.line = 0;
  mark.column = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++mark.line;
      mark.column = 0;
    } else if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) {
      ++mark.column;  // continuation bytes are not characters of their own
    }
  }
  return mark;
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

}  // namespace

YAML::Mark NestingMark(std::string_view text, const YAML::Mark& reported) {
  std::vector<int> indents;  // block levels open at the current line, by indentation
  int flow = 0;              // [ and { open
  int best_depth = -1;
  size_t best_offset = 0;
  char quote = 0;        // the quote of the scalar being read, or 0
  char previous = '\n';  // the last character outside a scalar, spaces skipped
  bool line_start = true;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote != 0) {
      if (c == '\\' && quote == '"') {
        ++i;
      } else if (c == quote) {
        if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
          ++i;  // '' is a quote inside a single-quoted scalar
        } else {
          quote = 0;
          previous = c;
        }
      }
      continue;
    }
    if (c == '\n') {
      line_start = true;
      previous = '\n';
      continue;
    }
    if (line_start && flow == 0) {
      // Block nesting: one level per indentation deeper than the enclosing line's.
      size_t indent = 0;
      while (i + indent < text.size() && text[i + indent] == ' ') ++indent;
      char first = i + indent < text.size() ? text[i + indent] : '\n';
      if (first != '\n' && first != '#') {
        while (!indents.empty() && indents.back() >= static_cast<int>(indent)) indents.pop_back();
        // A line that starts with [ or { opens a flow collection, counted below, not a block.
        if (first != '[' && first != '{') indents.push_back(static_cast<int>(indent));
      }
      i += indent;
      line_start = false;
      if (i >= text.size()) break;
      c = text[i];
    }
    line_start = false;
    if (c == '#' && (previous == '\n' || i == 0 || IsSpace(text[i - 1]))) {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;  // a comment, to the line's end
      continue;
    }
    if (IsSpace(c)) continue;
    // A bracket or quote starts a collection or scalar only where a token starts; in a plain
    // scalar such as rate(x[5m]) it is text.
    bool after_indicator = previous == '\n' || previous == ':' || previous == '-' ||
                           previous == ',' || previous == '?' || previous == '[' || previous == '{';
    if ((c == '"' || c == '\'') && after_indicator) {
      quote = c;
      continue;
    }
    if ((c == '[' || c == '{') && (flow > 0 || after_indicator)) {
      ++flow;
      int depth = flow + static_cast<int>(indents.size());
      if (depth >= kMaxYamlDepth) return MarkAt(text, i);
      if (depth > best_depth) {
        best_depth = depth;
        best_offset = i;
      }
      previous = c;
      continue;
    }
    if ((c == ']' || c == '}') && flow > 0) {
      --flow;
      previous = c;
      continue;
    }
    // ':', '-' and '?' are indicators before a space or a line's end ("a-b" and "x:y" are
    // text), ',' only inside a flow collection; anything else is text.
    char next = i + 1 < text.size() ? text[i + 1] : '\n';
    bool spaced = IsSpace(next) || next == '\n' || next == '\r';
    bool indicator =
        ((c == ':' || c == '-' || c == '?') && (spaced || flow > 0)) || (c == ',' && flow > 0);
    previous = indicator ? c : 'a';
  }
  // No bracket reached the bound: the nesting is in block mappings and lists, where yaml-cpp's
  // own mark is right; past that, the deepest bracket is the best guess.
  bool reported_known = !reported.is_null() && (reported.line > 0 || reported.column > 0);
  if (reported_known || best_depth < 0) return reported;
  return MarkAt(text, best_offset);
}

}  // namespace cairn::spec
