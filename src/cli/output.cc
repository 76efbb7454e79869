#include "cli/output.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "cli/cli.h"
#include "core/terminal_text.h"

namespace cairn::cli {

bool UseColor() { return isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr; }

std::string Table(const std::vector<std::vector<std::string>>& cells) {
  // Cells hold names and messages from the server: escaped before their widths are measured.
  std::vector<std::vector<std::string>> rows = cells;
  for (auto& row : rows) {
    for (std::string& cell : row) cell = EscapeForTerminal(cell);
  }
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

int Fail(const Error& error) {
  // Messages quote the user's file and the server's state: no control byte reaches the
  // terminal raw (newlines still separate the lines of a multi-line message).
  std::string text = EscapeForTerminal(error.ToString(), /*keep_newlines=*/true);
  size_t pos = 0;
  bool first = true;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::fprintf(stderr, "%s%s\n", first ? "error: " : "  ", text.substr(pos, nl - pos).c_str());
    first = false;
    pos = nl + 1;
  }
  return ExitCodeFor(error);
}

int ExitCodeFor(const Error& error) {
  switch (error.code) {
    case ErrorCode::kUnavailable:
      return kExitUnreachable;
    case ErrorCode::kConflict:
      return kExitConflict;
    default:
      return kExitError;
  }
}

std::string Short(const std::string& hash, size_t n) { return hash.substr(0, n); }

}  // namespace cairn::cli
