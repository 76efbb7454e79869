// Canonical JSON helpers shared by spec_json.cc and strategy_json.cc. Private to spec/.
#pragma once

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "spec/spec.h"

namespace cairn::spec::json_internal {

using nlohmann::json;

json CountOrPercentToJson(const CountOrPercent& value);

// `strategy`: one key, the strategy in use, so a service on rolling writes exactly what it
// wrote before canary and blue_green existed (its hash is unchanged).
json StrategyToJson(const ServiceSpec& service);
void StrategyFromJson(const json& strategy, const std::string& path, ServiceSpec* service);

// ---- Reading back ----
//
// A problem deep in the tree unwinds to FromJson as a JsonShapeError, which turns it into an
// Error value; the exception never leaves spec_json.cc and strategy_json.cc.

struct JsonShapeError {
  std::string path;
  std::string message;
};

[[noreturn]] inline void Fail(const std::string& path, const std::string& message) {
  throw JsonShapeError{path, message};
}

inline std::string Join(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

// An object's fields: a missing one keeps its default (a stored spec from before a field
// existed still reads); an unknown one is an error (it would be lost silently).
class ObjectIn {
 public:
  ObjectIn(const json& object, std::string path, std::vector<std::string> known)
      : object_(object), path_(std::move(path)) {
    if (!object_.is_object()) Fail(path_, "expected an object, found " + object_.dump());
    for (const auto& [key, value] : object_.items()) {
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        Fail(Join(path_, key), "unknown field");
      }
    }
  }

  const json* Find(const std::string& key) const {
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }
  std::string PathOf(const std::string& key) const { return Join(path_, key); }

  void String(const std::string& key, std::string* out) const {
    if (const json* value = Find(key)) {
      if (!value->is_string()) Fail(PathOf(key), "expected a string, found " + value->dump());
      *out = value->get<std::string>();
    }
  }
  void Int(const std::string& key, int* out) const {
    if (const json* value = Find(key)) {
      if (!value->is_number_integer()) {
        Fail(PathOf(key), "expected an integer, found " + value->dump());
      }
      *out = value->get<int>();
    }
  }
  void Bool(const std::string& key, bool* out) const {
    if (const json* value = Find(key)) {
      if (!value->is_boolean()) Fail(PathOf(key), "expected true or false, found " + value->dump());
      *out = value->get<bool>();
    }
  }
  void DurationValue(const std::string& key, Duration* out) const {
    std::string text;
    String(key, &text);
    if (text.empty()) return;
    Result<Duration> parsed = ParseDuration(text);
    if (!parsed.ok()) Fail(PathOf(key), parsed.error().message);
    *out = *parsed;
  }
  void StringList(const std::string& key, std::vector<std::string>* out) const {
    const json* value = Find(key);
    if (value == nullptr) return;
    if (!value->is_array()) Fail(PathOf(key), "expected an array, found " + value->dump());
    out->clear();
    for (const json& item : *value) {
      if (!item.is_string()) Fail(PathOf(key), "expected strings, found " + item.dump());
      out->push_back(item.get<std::string>());
    }
  }
  void CountOrPercentValue(const std::string& key, CountOrPercent* out) const {
    const json* value = Find(key);
    if (value == nullptr) return;
    if (value->is_number_unsigned() || value->is_number_integer()) {
      *out = CountOrPercent{false, value->get<int>(), 0};
    } else if (value->is_string()) {
      Result<double> percent = ParsePercent(value->get<std::string>());
      if (!percent.ok()) Fail(PathOf(key), percent.error().message);
      *out = CountOrPercent{true, 0, *percent};
    } else {
      Fail(PathOf(key), "expected a count or a percentage, found " + value->dump());
    }
  }

 private:
  const json& object_;
  std::string path_;
};

}  // namespace cairn::spec::json_internal
