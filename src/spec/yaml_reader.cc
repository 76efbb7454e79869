#include "spec/yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>

#include "core/terminal_text.h"
#include "spec/limits.h"
#include "spec/suggest.h"

namespace cairn::spec {
namespace {

bool IsPlain(const YAML::Node& node) { return node.Tag() == "?"; }

// Parses an optionally signed decimal integer; nullopt unless `text` is exactly that.
std::optional<int64_t> ParseInteger(const std::string& text) {
  std::string_view digits = text;
  if (digits.starts_with('+')) digits.remove_prefix(1);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    // Distinguish "too big" from "not a number": an all-digit text that overflowed is huge.
    if (ec == std::errc::result_out_of_range)
      return digits.starts_with('-') ? INT64_MIN : INT64_MAX;
    return std::nullopt;
  }
  return value;
}

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& word : words) {
    if (!out.empty()) out += ", ";
    out += word;
  }
  return out;
}

// User text inside a message: escaped and cut (core/terminal_text.h).
std::string Quote(const std::string& text) { return QuoteForTerminal(text); }

}  // namespace

std::string Bare(const std::string& text) {
  bool plain = text.size() <= kQuotedValueChars && EscapeForTerminal(text) == text;
  return plain ? text : Quote(text);
}

YAML::Mark Field::ValueMark() const {
  if (!value.IsDefined() || value.IsNull() || value.Mark().is_null()) return key_node.Mark();
  return value.Mark();
}

std::string JoinPath(const std::string& parent, const std::string& key) {
  // Paths are printed in every message about the field: a key with control bytes or one of
  // 100 KiB is shown escaped and cut, like any other value.
  std::string shown = Bare(key);
  return parent.empty() ? shown : parent + "." + shown;
}

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "null";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      return IsPlain(node) ? Quote(node.Scalar()) : "the quoted string " + Quote(node.Scalar());
  }
  return "null";
}

void YamlReader::Fail(const YAML::Mark& mark, const std::string& path, const std::string& message) {
  SpecError error;
  error.file = file_;
  if (!mark.is_null()) {
    error.line = mark.line + 1;
    error.col = mark.column + 1;
  }
  // Every value a message quotes is already escaped (Quote, Describe); this makes sure no
  // message or path reaches a terminal with a raw control byte whatever its author forgot.
  error.path = EscapeForTerminal(path);
  error.message = EscapeForTerminal(message);
  errors_.push_back(std::move(error));
}

std::vector<SpecError> YamlReader::TakeErrors() {
  // File order; errors without a position (there are none from YAML) go last.
  std::stable_sort(errors_.begin(), errors_.end(), [](const SpecError& a, const SpecError& b) {
    auto key = [](const SpecError& e) {
      return std::pair(e.line == 0 ? INT32_MAX : e.line, e.col);
    };
    return key(a) < key(b);
  });
  return std::move(errors_);
}

std::vector<Field> YamlReader::KnownFields(const YAML::Node& node, const std::string& path,
                                           const std::vector<std::string>& allowed,
                                           const char* noun) {
  return Fields(node, path, &allowed, noun);
}

std::vector<Field> YamlReader::AllFields(const YAML::Node& node, const std::string& path) {
  return Fields(node, path, nullptr, "field");
}

std::vector<Field> YamlReader::Fields(const YAML::Node& node, const std::string& path,
                                      const std::vector<std::string>* allowed, const char* noun) {
  std::vector<Field> fields;
  if (!node.IsMap()) return fields;
  std::map<std::string, int> first_line;  // key -> 1-based line of its first occurrence
  for (auto it = node.begin(); it != node.end(); ++it) {
    // Copies: the iterator hands out a proxy whose pair dies with the expression.
    YAML::Node key = it->first;
    YAML::Node value = it->second;
    if (!key.IsScalar()) {
      Fail(key.Mark(), path, "keys must be plain names, found " + Describe(key));
      continue;
    }
    Field field{key.Scalar(), JoinPath(path, key.Scalar()), key, value};
    auto [seen, inserted] = first_line.emplace(field.key, key.Mark().line + 1);
    if (!inserted) {
      Fail(key.Mark(), field.path,
           "duplicate key " + Quote(field.key) + "; first defined at line " +
               std::to_string(seen->second));
      continue;
    }
    if (allowed != nullptr &&
        std::find(allowed->begin(), allowed->end(), field.key) == allowed->end()) {
      std::string where = path.empty() ? "at the top level" : "in " + path;
      std::string message = "unknown " + std::string(noun) + " " + Quote(field.key) + " " + where +
                            "; allowed: " + Join(*allowed);
      if (auto match = ClosestMatch(field.key, *allowed)) {
        message += "; did you mean " + Quote(*match) + "?";
      }
      Fail(key.Mark(), field.path, message);
      continue;
    }
    fields.push_back(std::move(field));
  }
  return fields;
}

bool YamlReader::ExpectMap(const Field& field) {
  if (field.value.IsMap() || field.value.IsNull()) return true;
  Fail(field, "expected a mapping, found " + Describe(field.value));
  return false;
}

std::optional<std::string> YamlReader::Scalar(const Field& field, const char* expected) {
  if (field.value.IsScalar()) return field.value.Scalar();
  Fail(field, std::string("expected ") + expected + ", found " + Describe(field.value));
  return std::nullopt;
}

std::optional<std::string> YamlReader::String(const Field& field, size_t max_bytes) {
  std::optional<std::string> text = Scalar(field, "a string");
  if (text && text->size() > max_bytes) {
    Fail(field, TooLong(text->size(), max_bytes));
    return std::nullopt;
  }
  return text;
}

bool YamlReader::CheckCount(const Field& field, size_t count, size_t max, const char* what) {
  if (count <= max) return true;
  // At the first one past the bound: the list or mapping's own position when it has none.
  YAML::Mark mark = field.ValueMark();
  if (field.value.IsSequence() && field.value[max].IsDefined() &&
      !field.value[max].Mark().is_null()) {
    mark = field.value[max].Mark();
  } else if (field.value.IsMap()) {
    size_t i = 0;
    for (auto it = field.value.begin(); it != field.value.end(); ++it, ++i) {
      if (i == max) {
        YAML::Node key = it->first;
        if (!key.Mark().is_null()) mark = key.Mark();
        break;
      }
    }
  }
  Fail(mark, field.path,
       "holds " + std::to_string(count) + " " + what + "; at most " + std::to_string(max) +
           " are allowed (this is the first past the limit)");
  return false;
}

std::string TooLong(size_t bytes, size_t max_bytes) {
  return "is " + std::to_string(bytes) + " bytes long; at most " + std::to_string(max_bytes) +
         " bytes are allowed here";
}

std::optional<int> YamlReader::Int(const Field& field, int min, int max) {
  std::optional<int64_t> value;
  if (field.value.IsScalar() && IsPlain(field.value)) value = ParseInteger(field.value.Scalar());
  if (!value) {
    Fail(field, "expected an integer, found " + Describe(field.value));
    return std::nullopt;
  }
  if (*value < min || *value > max) {
    Fail(field, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                    ", found " + Bare(field.value.Scalar()));
    return std::nullopt;
  }
  return static_cast<int>(*value);
}

std::optional<bool> YamlReader::Bool(const Field& field) {
  if (field.value.IsScalar() && IsPlain(field.value)) {
    if (field.value.Scalar() == "true") return true;
    if (field.value.Scalar() == "false") return false;
  }
  Fail(field, "expected true or false, found " + Describe(field.value));
  return std::nullopt;
}

std::optional<double> YamlReader::Number(const Field& field) {
  if (field.value.IsScalar() && IsPlain(field.value)) {
    const std::string& text = field.value.Scalar();
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    if (!text.empty() && end == text.c_str() + text.size() && std::isfinite(value)) return value;
  }
  Fail(field, "expected a number, found " + Describe(field.value));
  return std::nullopt;
}

std::optional<std::vector<std::string>> YamlReader::StringList(const Field& field, size_t max_items,
                                                               size_t max_item_bytes) {
  if (!field.value.IsSequence()) {
    Fail(field, "expected a list of strings, found " + Describe(field.value));
    return std::nullopt;
  }
  if (!CheckCount(field, field.value.size(), max_items, "items")) return std::nullopt;
  std::vector<std::string> out;
  bool ok = true;
  for (size_t i = 0; i < field.value.size(); ++i) {
    YAML::Node item = field.value[i];
    if (!item.IsScalar()) {
      Fail(item.Mark().is_null() ? field.ValueMark() : item.Mark(),
           field.path + "[" + std::to_string(i) + "]",
           "expected a string, found " + Describe(item));
      ok = false;
      continue;
    }
    if (item.Scalar().size() > max_item_bytes) {
      Fail(item.Mark().is_null() ? field.ValueMark() : item.Mark(),
           field.path + "[" + std::to_string(i) + "]",
           TooLong(item.Scalar().size(), max_item_bytes));
      ok = false;
      continue;
    }
    out.push_back(item.Scalar());
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<Duration> YamlReader::DurationValue(const Field& field, Duration min) {
  std::optional<std::string> text = Scalar(field, "a duration such as 500ms, 30s or 5m");
  if (!text) return std::nullopt;
  Result<Duration> parsed = ParseDuration(*text);
  if (!parsed.ok()) {
    Fail(field, parsed.error().message);
    return std::nullopt;
  }
  if (*parsed < min) {
    Fail(field, min == Duration(0)
                    ? "must not be negative"
                    : "must be at least " + FormatDuration(min) + ", found " + *text);
    return std::nullopt;
  }
  return *parsed;
}

std::optional<uint64_t> YamlReader::ByteSize(const Field& field) {
  std::optional<std::string> text = Scalar(field, "a size such as 256Mi or 1G");
  if (!text) return std::nullopt;
  Result<uint64_t> parsed = ParseByteSize(*text);
  if (!parsed.ok()) {
    Fail(field, parsed.error().message);
    return std::nullopt;
  }
  return *parsed;
}

std::optional<CountOrPercent> YamlReader::CountOrPercentValue(const Field& field) {
  constexpr const char* kExpected = "an integer >= 0 or a percentage such as \"25%\"";
  std::optional<std::string> text = Scalar(field, kExpected);
  if (!text) return std::nullopt;
  if (text->ends_with('%')) {
    Result<double> percent = ParsePercent(*text);
    if (!percent.ok()) {
      Fail(field, percent.error().message);
      return std::nullopt;
    }
    return CountOrPercent{true, 0, *percent};
  }
  std::optional<int64_t> count;
  if (IsPlain(field.value)) count = ParseInteger(*text);
  if (!count || *count < 0 || *count > 1000) {
    Fail(field,
         std::string("expected ") + kExpected + " (at most 1000), found " + Describe(field.value));
    return std::nullopt;
  }
  return CountOrPercent{false, static_cast<int>(*count), 0};
}

}  // namespace cairn::spec
