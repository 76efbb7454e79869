// Terminal output helpers: aligned tables, colour only on a terminal, error printing.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace cairn::cli {

// True when stdout is a terminal and NO_COLOR is unset.
bool UseColor();

// Rows of cells printed with columns padded to their widest cell; the first row is the header.
// Cells are escaped for the terminal (core/terminal_text.h).
std::string Table(const std::vector<std::vector<std::string>>& rows);

// Prints "error: ..." (each line of a multi-line message on its own line, control bytes
// escaped) to stderr and returns the exit code that matches the error's kind.
int Fail(const Error& error);
// The exit code that matches the error's kind, without printing anything.
int ExitCodeFor(const Error& error);

// First `n` characters of a hash, for humans.
std::string Short(const std::string& hash, size_t n = 12);

}  // namespace cairn::cli
