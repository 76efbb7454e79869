#include "core/units.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "core/terminal_text.h"

namespace cairn {
namespace {

// Reads a non-negative decimal number at the start of `text`; returns chars consumed (0: none).
size_t ReadNumber(std::string_view text, double* out) {
  size_t i = 0;
  bool digits = false;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    ++i;
    digits = true;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      ++i;
      digits = true;
    }
  }
  if (!digits) return 0;
  *out = std::strtod(std::string(text.substr(0, i)).c_str(), nullptr);
  return i;
}

Error Invalid(std::string_view text, const char* allowed) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "invalid value " + QuoteForTerminal(text) + ": expected " + allowed);
}

}  // namespace

Result<Duration> ParseDuration(std::string_view text) {
  constexpr const char* kAllowed = "a duration such as 500ms, 30s, 5m or 1h30m";
  if (text == "0") return Duration(0);
  if (text.empty()) return Invalid(text, kAllowed);
  double total_ms = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    double number = 0;
    size_t n = ReadNumber(rest, &number);
    if (n == 0) return Invalid(text, kAllowed);
    rest.remove_prefix(n);
    double scale = 0;
    if (rest.starts_with("ms")) {
      scale = 1;
      rest.remove_prefix(2);
    } else if (rest.starts_with("s")) {
      scale = 1000;
      rest.remove_prefix(1);
    } else if (rest.starts_with("m")) {
      scale = 60'000;
      rest.remove_prefix(1);
    } else if (rest.starts_with("h")) {
      scale = 3'600'000;
      rest.remove_prefix(1);
    } else {
      return Invalid(text, kAllowed);
    }
    total_ms += number * scale;
  }
  if (total_ms > 1e15) return Invalid(text, kAllowed);
  double rounded = std::round(total_ms);
  if (std::fabs(rounded - total_ms) > 1e-6) {
    return Invalid(text, "a duration in whole milliseconds");
  }
  return Duration(static_cast<int64_t>(rounded));
}

std::string FormatDuration(Duration d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms % 1000 != 0 && ms < 1000) return std::to_string(ms) + "ms";
  int64_t h = ms / 3'600'000;
  ms %= 3'600'000;
  int64_t m = ms / 60'000;
  ms %= 60'000;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (ms) {
    if (ms % 1000 == 0) {
      out += std::to_string(ms / 1000) + "s";
    } else {
      std::string frac = std::to_string(ms % 1000);
      frac.insert(0, 3 - frac.size(), '0');
      while (!frac.empty() && frac.back() == '0') frac.pop_back();
      out += std::to_string(ms / 1000) + "." + frac + "s";
    }
  }
  return out;
}

Result<uint64_t> ParseByteSize(std::string_view text) {
  constexpr const char* kAllowed = "a size such as 512, 64k, 256Mi or 1Gi";
  double number = 0;
  size_t n = ReadNumber(text, &number);
  if (n == 0) return Invalid(text, kAllowed);
  std::string_view unit = text.substr(n);
  double scale = 1;
  if (unit.empty()) {
    scale = 1;
  } else if (unit == "k" || unit == "K") {
    scale = 1e3;
  } else if (unit == "M") {
    scale = 1e6;
  } else if (unit == "G") {
    scale = 1e9;
  } else if (unit == "T") {
    scale = 1e12;
  } else if (unit == "Ki") {
    scale = 1024.0;
  } else if (unit == "Mi") {
    scale = 1024.0 * 1024;
  } else if (unit == "Gi") {
    scale = 1024.0 * 1024 * 1024;
  } else if (unit == "Ti") {
    scale = 1024.0 * 1024 * 1024 * 1024;
  } else {
    return Invalid(text, kAllowed);
  }
  double bytes = number * scale;
  if (bytes > 1.8e19) return Invalid(text, kAllowed);
  if (std::fabs(bytes - std::round(bytes)) > 1e-6) {
    return Invalid(text, "a whole number of bytes");
  }
  return static_cast<uint64_t>(std::llround(bytes));
}

std::string FormatByteSize(uint64_t bytes) {
  static const char* kUnits[] = {"Ti", "Gi", "Mi", "Ki"};
  static const uint64_t kScales[] = {1ULL << 40, 1ULL << 30, 1ULL << 20, 1ULL << 10};
  for (int i = 0; i < 4; ++i) {
    if (bytes != 0 && bytes % kScales[i] == 0) {
      return std::to_string(bytes / kScales[i]) + kUnits[i];
    }
  }
  return std::to_string(bytes);
}

Result<double> ParsePercent(std::string_view text) {
  constexpr const char* kAllowed = "a percentage between 0% and 100%, such as 25% or 0.5%";
  if (!text.ends_with('%')) return Invalid(text, kAllowed);
  double number = 0;
  size_t n = ReadNumber(text.substr(0, text.size() - 1), &number);
  if (n == 0 || n != text.size() - 1 || number > 100) return Invalid(text, kAllowed);
  return number;
}

Result<int64_t> ParseInt64(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec == std::errc::invalid_argument || end != text.data() + text.size()) {
    return MakeError(ErrorCode::kInvalidArgument, "not a whole number");
  }
  if (ec == std::errc::result_out_of_range) {
    return MakeError(ErrorCode::kInvalidArgument, "out of range for a 64-bit integer");
  }
  return value;
}

}  // namespace cairn
