#include "cli/reply_view.h"

namespace cairn::cli {
namespace {

using nlohmann::json;

const char* TypeName(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a number";
    default:
      return "something else";
  }
}

std::string Member(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

const json& Null() {
  static const json kNull;
  return kNull;
}

}  // namespace

ReplyView ReplyCheck::Root(const json& doc) { return ReplyView(&doc, "", this); }

void ReplyCheck::Fail(const std::string& path, const std::string& what) {
  if (problem_) return;  // the first one says the most; the rest often follow from it
  problem_ = (path.empty() ? std::string("the reply") : path) + " " + what;
}

Error ReplyCheck::error() const {
  return MakeError(ErrorCode::kInternal,
                   "the server's reply to " + what_ +
                       " is not what this cairn (" CAIRN_VERSION ") expects: " + *problem_ +
                       "; is the server another version?");
}

ReplyView ReplyView::operator[](std::string_view key) const {
  std::string path = Member(path_, key);
  if (json_ == nullptr) return ReplyView(nullptr, std::move(path), check_);
  if (!json_->is_object()) {
    WrongType("an object");
    return ReplyView(nullptr, std::move(path), check_);
  }
  auto it = json_->find(key);
  if (it == json_->end()) {
    check_->Fail(path, "is missing");
    return ReplyView(nullptr, std::move(path), check_);
  }
  return ReplyView(&*it, std::move(path), check_);
}

ReplyView ReplyView::Optional(std::string_view key) const {
  std::string path = Member(path_, key);
  if (json_ == nullptr || json_->is_null()) return ReplyView(nullptr, std::move(path), check_);
  if (!json_->is_object()) {
    WrongType("an object");
    return ReplyView(nullptr, std::move(path), check_);
  }
  auto it = json_->find(key);
  if (it == json_->end() || it->is_null()) return ReplyView(nullptr, std::move(path), check_);
  return ReplyView(&*it, std::move(path), check_);
}

std::vector<ReplyView> ReplyView::Items() const {
  std::vector<ReplyView> out;
  if (json_ == nullptr) return out;
  if (!json_->is_array()) {
    WrongType("an array");
    return out;
  }
  out.reserve(json_->size());
  for (size_t i = 0; i < json_->size(); ++i) {
    out.push_back(ReplyView(&(*json_)[i], path_ + "[" + std::to_string(i) + "]", check_));
  }
  return out;
}

std::vector<std::pair<std::string, ReplyView>> ReplyView::Members() const {
  std::vector<std::pair<std::string, ReplyView>> out;
  if (json_ == nullptr) return out;
  if (!json_->is_object()) {
    WrongType("an object");
    return out;
  }
  for (auto it = json_->begin(); it != json_->end(); ++it) {
    out.emplace_back(it.key(), ReplyView(&it.value(), Member(path_, it.key()), check_));
  }
  return out;
}

bool ReplyView::WrongType(const char* wanted) const {
  check_->Fail(path_, std::string("is ") + TypeName(*json_) + ", not " + wanted);
  return false;
}

std::string ReplyView::Str() const {
  if (json_ == nullptr) return {};
  if (!json_->is_string()) return WrongType("a string"), std::string();
  return json_->get<std::string>();
}

int64_t ReplyView::Int() const {
  if (json_ == nullptr) return 0;
  if (json_->is_number_unsigned()) {
    uint64_t v = json_->get<uint64_t>();
    if (v > static_cast<uint64_t>(INT64_MAX)) return WrongType("an integer below 2^63"), 0;
    return static_cast<int64_t>(v);
  }
  if (!json_->is_number_integer()) return WrongType("an integer"), 0;
  return json_->get<int64_t>();
}

uint64_t ReplyView::Uint() const {
  if (json_ == nullptr) return 0;
  if (json_->is_number_unsigned()) return json_->get<uint64_t>();
  if (json_->is_number_integer() && json_->get<int64_t>() >= 0) {
    return static_cast<uint64_t>(json_->get<int64_t>());
  }
  return WrongType("a count (an integer of 0 or more)"), 0;
}

double ReplyView::Num() const {
  if (json_ == nullptr) return 0;
  if (!json_->is_number()) return WrongType("a number"), 0.0;
  return json_->get<double>();
}

bool ReplyView::Bool() const {
  if (json_ == nullptr) return false;
  if (!json_->is_boolean()) return WrongType("a boolean"), false;
  return json_->get<bool>();
}

std::string ReplyView::StrOr(std::string fallback) const {
  if (!present()) return fallback;
  return Str();
}

int64_t ReplyView::IntOr(int64_t fallback) const {
  if (!present()) return fallback;
  return Int();
}

uint64_t ReplyView::UintOr(uint64_t fallback) const {
  if (!present()) return fallback;
  return Uint();
}

const json& ReplyView::Json() const { return json_ == nullptr ? Null() : *json_; }

}  // namespace cairn::cli
