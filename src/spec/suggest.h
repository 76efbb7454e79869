// "Did you mean" support for unknown field names. Private to spec/.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::spec {

// Levenshtein distance (insertions, deletions, substitutions each cost 1).
int EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a plausible typo: at most 2
// edits, and fewer edits than the word has characters. Ties go to the earlier candidate.
std::optional<std::string> ClosestMatch(std::string_view word,
                                        const std::vector<std::string>& candidates);

}  // namespace cairn::spec
