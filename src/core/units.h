// Durations ("500ms", "30s", "5m", "1h30m"), byte sizes ("256Mi", "1G", "512")
// and percentages ("99%", "99.5%", "0.5") as the environment file writes them.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace cairn {

using Duration = std::chrono::milliseconds;

// Accepts one or more <number><unit> groups, units ms, s, m, h; numbers may have a fraction
// ("1.5s"). Zero may be written "0". Rejects negative values, empty input and unknown units.
Result<Duration> ParseDuration(std::string_view text);
// The shortest exact form: 1500ms -> "1.5s", 90000ms -> "1m30s", 0 -> "0s".
std::string FormatDuration(Duration d);

// Accepts a non-negative integer or decimal with an optional suffix: k, M, G, T (powers of
// 1000) or Ki, Mi, Gi, Ti (powers of 1024). The result must be a whole number of bytes.
Result<uint64_t> ParseByteSize(std::string_view text);
// "256Mi" when exact in a binary unit, else the plain byte count.
std::string FormatByteSize(uint64_t bytes);

// A whole decimal integer ("42", "-7") and nothing else: no spaces, no '+', no trailing text,
// within int64. For numbers cairn stored itself and reads back (revisions, counts).
Result<int64_t> ParseInt64(std::string_view text);

// "25%" or "12.5%" -> 25.0 / 12.5. Must lie in [0, 100].
Result<double> ParsePercent(std::string_view text);

}  // namespace cairn
