#include "spec/threshold.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "core/terminal_text.h"

namespace cairn::spec {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

struct Split {
  Comparison comparison;
  std::string_view rest;
};

// The comparison at the front of `text` and what follows it, trimmed.
std::optional<Split> SplitComparison(std::string_view text) {
  text = Trim(text);
  // Two-character operators first, so "<=" is not read as "<" followed by "=...".
  for (auto [op, comparison] :
       {std::pair{">=", Comparison::kGreaterOrEqual}, std::pair{"<=", Comparison::kLessOrEqual},
        std::pair{">", Comparison::kGreater}, std::pair{"<", Comparison::kLess}}) {
    std::string_view prefix = op;
    if (text.starts_with(prefix)) return Split{comparison, Trim(text.substr(prefix.size()))};
  }
  return std::nullopt;
}

Error Invalid(std::string_view text, const std::string& allowed) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "invalid value " + QuoteForTerminal(text) + ": expected " + allowed);
}

}  // namespace

const char* ComparisonText(Comparison comparison) {
  switch (comparison) {
    case Comparison::kLess:
      return "<";
    case Comparison::kLessOrEqual:
      return "<=";
    case Comparison::kGreater:
      return ">";
    case Comparison::kGreaterOrEqual:
      return ">=";
  }
  return ">=";
}

Result<ThresholdSpec> ParseSuccessRate(std::string_view text) {
  const std::string allowed =
      "a comparison (>= or >) and a percentage, such as \">= 99%\" or \"> 99.5%\"";
  std::optional<Split> split = SplitComparison(text);
  if (!split || (split->comparison != Comparison::kGreaterOrEqual &&
                 split->comparison != Comparison::kGreater)) {
    return Invalid(text, allowed);
  }
  Result<double> percent = ParsePercent(split->rest);
  if (!percent.ok()) return Invalid(text, allowed);
  if (split->comparison == Comparison::kGreater && *percent >= 100) {
    return MakeError(ErrorCode::kInvalidArgument,
                     QuoteForTerminal(text) + " can never hold: no success rate is above " +
                         "100%; write \">= 100%\" to require every request to succeed");
  }
  return ThresholdSpec{split->comparison, *percent};
}

Result<LatencyThresholdSpec> ParseLatency(std::string_view text) {
  const std::string allowed =
      "a comparison (<= or <) and a duration greater than 0, such as \"<= 250ms\" or \"< 1s\"";
  std::optional<Split> split = SplitComparison(text);
  if (!split ||
      (split->comparison != Comparison::kLessOrEqual && split->comparison != Comparison::kLess)) {
    return Invalid(text, allowed);
  }
  Result<Duration> limit = ParseDuration(split->rest);
  if (!limit.ok() || *limit <= Duration(0)) return Invalid(text, allowed);
  return LatencyThresholdSpec{split->comparison, *limit};
}

Result<ThresholdSpec> ParseCondition(std::string_view text) {
  const std::string allowed =
      "a comparison (<, <=, > or >=) and a number, such as \"<= 0.5\" or \"> 100\"";
  std::optional<Split> split = SplitComparison(text);
  if (!split || split->rest.empty()) return Invalid(text, allowed);
  std::string number(split->rest);
  char* end = nullptr;
  double value = std::strtod(number.c_str(), &end);
  // strtod also reads "inf", "nan" and hex; a threshold is a plain finite decimal.
  bool plain = number.find_first_not_of("0123456789.+-eE") == std::string::npos;
  if (!plain || end != number.c_str() + number.size() || !std::isfinite(value)) {
    return Invalid(text, allowed);
  }
  return ThresholdSpec{split->comparison, value};
}

std::string FormatNumber(double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return ec == std::errc() ? std::string(buffer, end) : std::to_string(value);
}

std::string FormatSuccessRate(const ThresholdSpec& threshold) {
  return std::string(ComparisonText(threshold.comparison)) + " " + FormatNumber(threshold.value) +
         "%";
}

std::string FormatLatency(const LatencyThresholdSpec& threshold) {
  return std::string(ComparisonText(threshold.comparison)) + " " + FormatDuration(threshold.limit);
}

std::string FormatCondition(const ThresholdSpec& threshold) {
  return std::string(ComparisonText(threshold.comparison)) + " " + FormatNumber(threshold.value);
}

}  // namespace cairn::spec
