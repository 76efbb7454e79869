// Where a file nests too deep. yaml-cpp refuses YAML nested past its depth bound with the words
// "bad file" and, for flow collections ([[[... or {a: {a: ...}}), the position of the file's
// first character. This finds the place to point at instead. Private to spec/.
#pragma once

#include <yaml-cpp/mark.h>

#include <string_view>

namespace cairn::spec {

// The position to report for a nesting error yaml-cpp raised at `reported` in `text`: the
// first `[` or `{` where a cheap scan of the text (quotes and comments skipped, block nesting
// estimated from indentation) reaches kMaxYamlDepth levels; else `reported` when it is past
// the file's start (yaml-cpp's marks for block nesting are right); else the deepest bracket;
// else `reported`.
YAML::Mark NestingMark(std::string_view text, const YAML::Mark& reported);

}  // namespace cairn::spec
