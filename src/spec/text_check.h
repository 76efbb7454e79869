// Checks an environment file's bytes before any YAML parser sees them: the text must be UTF-8
// (the YAML 1.2 encoding cairn reads, and what a revision's canonical JSON must hold), hold no
// NUL byte and no byte-order mark past its start. yaml-cpp reads such bytes without complaint
// or with a message about something else ("unknown escape character" for a NUL), and invalid
// UTF-8 later fails JSON encoding far from the file. Here each gets file:line:col.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "spec/spec.h"

namespace cairn::spec {

// The first problem in `text` (read from `file`), or nothing when it is fine. Lines and columns
// count from 1; a column counts characters (code points) before the problem, plus one.
std::optional<SpecError> CheckSpecText(std::string_view text, const std::string& file);

// A file of `bytes` bytes over kMaxFileBytes (spec/limits.h), or nothing. Called before the
// file is read whole where its size is known first (the CLI, ParseSpecFile), and again on the
// text (the server's API), so the bound holds whoever sends the file.
std::optional<SpecError> CheckSpecSize(uint64_t bytes, const std::string& file);

}  // namespace cairn::spec
