// Checked reads of a server reply. A reply is input like any file: a server of another version,
// a proxy in between or a bug can send a field with another type or none at all, and
// nlohmann's get<T>() would throw through the command. A ReplyView reads a field and, when it
// is missing or of the wrong type, returns an empty value and records the first such problem,
// with its path, in the ReplyCheck the view came from; the command renders what it has and
// then asks the check whether all was there:
//
//   ReplyCheck check("GET /v1/status");
//   ReplyView root = check.Root(*status);
//   for (ReplyView s : root["services"].Items()) name = s["name"].Str();
//   if (!check.ok()) return Fail(check.error());
//   // error: the server's reply to GET /v1/status is not what this cairn expects:
//   //        services[2].healthy is a string, not an integer
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace cairn::cli {

class ReplyView;

// The first problem found reading one reply. Not thread-safe; one per reply read.
class ReplyCheck {
 public:
  // `what` names the request, for the error: "GET /v1/status".
  explicit ReplyCheck(std::string what) : what_(std::move(what)) {}
  ReplyCheck(const ReplyCheck&) = delete;
  ReplyCheck& operator=(const ReplyCheck&) = delete;

  // A view of the whole reply. `doc` must outlive every view taken from it.
  ReplyView Root(const nlohmann::json& doc);

  bool ok() const { return !problem_.has_value(); }
  // REQUIRES: !ok()
  Error error() const;
  // Records a problem found by the caller (an enum value it does not know, say).
  void Fail(const std::string& path, const std::string& what);

 private:
  std::string what_;
  std::optional<std::string> problem_;
};

// A position in a reply: a JSON value (or nothing, after a missing field) and its path.
// Cheap to copy; holds pointers into the document and its check.
class ReplyView {
 public:
  // The member `key` of an object; missing or not an object is a problem.
  ReplyView operator[](std::string_view key) const;
  // The member `key` when present and not null; an empty view otherwise, with no problem.
  ReplyView Optional(std::string_view key) const;
  // The elements of an array (a problem, and none, when it is not one).
  std::vector<ReplyView> Items() const;
  // The members of an object as (key, view) pairs.
  std::vector<std::pair<std::string, ReplyView>> Members() const;

  // Whether this view holds a value (not missing, not null).
  bool present() const { return json_ != nullptr && !json_->is_null(); }
  bool IsString() const { return json_ != nullptr && json_->is_string(); }
  bool IsNumber() const { return json_ != nullptr && json_->is_number(); }

  // The value, or an empty one (and a problem) when it has another type. On an empty view (a
  // missing field, already recorded; or Optional's absent one) they return the empty value.
  std::string Str() const;
  int64_t Int() const;
  uint64_t Uint() const;
  double Num() const;
  bool Bool() const;
  // The same with a default for an absent or null value; a value of another type is still a
  // problem.
  std::string StrOr(std::string fallback) const;
  int64_t IntOr(int64_t fallback) const;
  uint64_t UintOr(uint64_t fallback) const;

  // The JSON itself (null when missing), for printing it whole with -o json or comparing.
  const nlohmann::json& Json() const;
  const std::string& path() const { return path_; }

 private:
  friend class ReplyCheck;
  ReplyView(const nlohmann::json* json, std::string path, ReplyCheck* check)
      : json_(json), path_(std::move(path)), check_(check) {}
  // Records that the value is not a `wanted`; returns false.
  bool WrongType(const char* wanted) const;

  const nlohmann::json* json_;  // nullptr: nothing here
  std::string path_;            // "services[2].name"; empty at the root
  ReplyCheck* check_;
};

}  // namespace cairn::cli
