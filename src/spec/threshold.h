// Threshold texts of an analysis (">= 99%", "<= 250ms", "> 0.5"): read and written the same
// way by the parser and by canonical JSON. Private to spec/.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "spec/spec.h"

namespace cairn::spec {

const char* ComparisonText(Comparison comparison);  // ">=", ">", "<=", "<"

// success_rate: ">= 99%" or "> 99.5%" (a request succeeds unless answered 5xx or not at all).
Result<ThresholdSpec> ParseSuccessRate(std::string_view text);
// latency_pNN: "<= 250ms" or "< 1s"; the duration must be greater than 0.
Result<LatencyThresholdSpec> ParseLatency(std::string_view text);
// A Prometheus condition: any of <, <=, >, >= and a finite number ("<= 0.5", "> -3").
Result<ThresholdSpec> ParseCondition(std::string_view text);

std::string FormatSuccessRate(const ThresholdSpec& threshold);     // ">= 99.5%"
std::string FormatLatency(const LatencyThresholdSpec& threshold);  // "<= 250ms"
std::string FormatCondition(const ThresholdSpec& threshold);       // "<= 0.5"

// Shortest text that reads back as the same double: 25 -> "25", 12.5 -> "12.5".
std::string FormatNumber(double value);

}  // namespace cairn::spec
