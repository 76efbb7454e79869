// YamlReader: typed, path-aware reads from a yaml-cpp tree that record every problem as a
// SpecError instead of stopping at the first. Private to spec/.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/units.h"
#include "spec/limits.h"
#include "spec/spec.h"

namespace cairn::spec {

// One `key: value` pair of a mapping, with its field path ("services.web.replicas").
struct Field {
  std::string key;
  std::string path;
  YAML::Node key_node;
  YAML::Node value;

  // Where errors about the value point: the value itself, or its key when the value is null
  // (yaml-cpp gives an empty value the position of the next token, which misleads).
  YAML::Mark ValueMark() const;
  YAML::Mark KeyMark() const { return key_node.Mark(); }
};

// "services.web" + "replicas" -> "services.web.replicas"; "" + "environment" -> "environment".
std::string JoinPath(const std::string& parent, const std::string& key);

class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  // Records one problem at `mark` (0-based, as yaml-cpp reports it).
  void Fail(const YAML::Mark& mark, const std::string& path, const std::string& message);
  void Fail(const Field& field, const std::string& message) {
    Fail(field.ValueMark(), field.path, message);
  }

  // The pairs of a mapping with fixed field names, in file order. Reports non-scalar and
  // duplicate keys and any key not in `allowed` (naming the allowed ones, with a suggestion
  // for a likely typo); those pairs are left out. A null node is an empty mapping. The caller
  // has checked that `node` is a mapping or null.
  // `noun` names what the keys are in the message ("unknown strategy \"canary\" ...").
  std::vector<Field> KnownFields(const YAML::Node& node, const std::string& path,
                                 const std::vector<std::string>& allowed,
                                 const char* noun = "field");
  // The pairs of a mapping whose keys are names chosen by the user (services, env, ports).
  // Reports non-scalar and duplicate keys only.
  std::vector<Field> AllFields(const YAML::Node& node, const std::string& path);

  // Typed reads. Each reports a type or range error and returns nullopt on failure.
  bool ExpectMap(const Field& field);  // a mapping, or null (an empty mapping)
  // A string of at most `max_bytes` bytes.
  std::optional<std::string> String(const Field& field, size_t max_bytes = kMaxStringBytes);
  std::optional<int> Int(const Field& field, int min, int max);
  std::optional<double> Number(const Field& field);
  // Plain `true` or `false` only: YAML 1.1's yes/no/on/off are refused (ambiguous to a reader).
  std::optional<bool> Bool(const Field& field);
  // At most `max_items` strings, each at most `max_item_bytes` bytes.
  std::optional<std::vector<std::string>> StringList(const Field& field, size_t max_items,
                                                     size_t max_item_bytes);
  // `min`: the smallest allowed value, 0 or a positive duration like 1ms.
  std::optional<Duration> DurationValue(const Field& field, Duration min);
  std::optional<uint64_t> ByteSize(const Field& field);
  std::optional<CountOrPercent> CountOrPercentValue(const Field& field);

  // Reports `field` (a list or a mapping) holding more than `max` entries (`what`: "services",
  // "steps"), at the first entry past the bound; true when within it.
  bool CheckCount(const Field& field, size_t count, size_t max, const char* what);

  const std::string& file() const { return file_; }
  std::vector<SpecError> TakeErrors();

 private:
  std::vector<Field> Fields(const YAML::Node& node, const std::string& path,
                            const std::vector<std::string>* allowed, const char* noun);
  // The value as scalar text, or a type error naming `expected` and nullopt.
  std::optional<std::string> Scalar(const Field& field, const char* expected);

  std::string file_;
  std::vector<SpecError> errors_;
};

// "is 200000 bytes long; at most 4096 bytes are allowed here": the end of a message about a
// value over a size bound.
std::string TooLong(size_t bytes, size_t max_bytes);

// A value shown without quotes ("found 70000", a key in a path): itself when it is at most
// kQuotedValueChars bytes with nothing to escape, else quoted, escaped and cut.
std::string Bare(const std::string& text);

// "\"three\"", "a mapping", "a list", "null": what the user wrote, for "found ..." messages.
std::string Describe(const YAML::Node& node);

}  // namespace cairn::spec
