// The Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): what GET /metrics answers.
// Pure functions of a MetricRegistry; no I/O.
#pragma once

#include <string>
#include <string_view>

#include "telemetry/metric_registry.h"

namespace cairn::telemetry {

// The Content-Type of the text format.
inline constexpr char kPrometheusTextContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// A label value inside its double quotes: backslash, double quote and line feed escaped as
// \\, \" and \n (the only escapes the format has).
std::string EscapeLabelValue(std::string_view value);
// A HELP text: backslash and line feed escaped (a double quote stays as it is).
std::string EscapeHelp(std::string_view help);
// A sample value or an `le` bound: whole numbers without a fraction or exponent (exact up to
// 2^53), others with the fewest digits that read back to the same double, in %g's layout (as
// Go's strconv writes them: "0.0001", "1e-05"), and "+Inf", "-Inf", "NaN" as the format spells
// them.
std::string FormatValue(double value);

// Every family: "# HELP", "# TYPE", then its samples; a histogram as cumulative
// NAME_bucket{...,le="B"} lines ending with le="+Inf", then NAME_sum and NAME_count. Ends with a
// line feed.
std::string WritePrometheusText(const MetricRegistry& registry);

}  // namespace cairn::telemetry
