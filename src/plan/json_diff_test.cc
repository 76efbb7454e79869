#include <gtest/gtest.h>

#include "plan/plan.h"

namespace cairn::plan {
namespace {

using nlohmann::json;

// "path: old -> new" with "(absent)" for a missing side, to compare whole diffs at once.
std::vector<std::string> Describe(const std::vector<FieldChange>& changes) {
  std::vector<std::string> out;
  for (const FieldChange& c : changes) {
    out.push_back(c.path + ": " + (c.old_value ? c.old_value->dump() : "(absent)") + " -> " +
                  (c.new_value ? c.new_value->dump() : "(absent)"));
  }
  return out;
}

TEST(DiffJson, IdenticalDocumentsHaveNoChanges) {
  json doc = {{"a", {{"b", 1}}}, {"args", {"x", "y"}}, {"empty", json::object()}};
  EXPECT_TRUE(DiffJson(doc, doc).empty());
}

TEST(DiffJson, NestedChangedAddedAndRemovedLeaves) {
  json old_doc = {{"env", {{"LOG_LEVEL", "info"}, {"OLD", "1"}}},
                  {"ports", {{"http", {{"listen", 8080}, {"protocol", "http"}}}}}};
  json new_doc = {{"env", {{"LOG_LEVEL", "debug"}, {"NEW", "x"}}},
                  {"ports", {{"http", {{"listen", 9090}, {"protocol", "http"}}}}}};
  EXPECT_EQ(Describe(DiffJson(old_doc, new_doc)),
            (std::vector<std::string>{"env.LOG_LEVEL: \"info\" -> \"debug\"",
                                      "env.NEW: (absent) -> \"x\"", "env.OLD: \"1\" -> (absent)",
                                      "ports.http.listen: 8080 -> 9090"}));
}

TEST(DiffJson, ArraysDiffByIndexInNumericOrder) {
  json old_doc = {{"args", {"a", "--old", "c", "d", "e", "f", "g", "h", "i", "j", "k"}}};
  json new_doc = {{"args", {"a", "--new", "X", "d", "e", "f", "g", "h", "i", "j", "Y", "Z"}}};
  EXPECT_EQ(Describe(DiffJson(old_doc, new_doc)),
            (std::vector<std::string>{"args[1]: \"--old\" -> \"--new\"", "args[2]: \"c\" -> \"X\"",
                                      "args[10]: \"k\" -> \"Y\"", "args[11]: (absent) -> \"Z\""}));
}

TEST(DiffJson, ShorterArrayRemovesTrailingLeaves) {
  json old_doc = {{"args", {"a", "b"}}};
  json new_doc = {{"args", {"a"}}};
  EXPECT_EQ(Describe(DiffJson(old_doc, new_doc)),
            (std::vector<std::string>{"args[1]: \"b\" -> (absent)"}));
}

TEST(DiffJson, EmptyContainerGivesWayToLeavesBeneathIt) {
  json old_doc = {{"args", json::array()}, {"env", json::object()}};
  json new_doc = {{"args", {"a"}}, {"env", {{"K", "v"}}}};
  EXPECT_EQ(Describe(DiffJson(old_doc, new_doc)),
            (std::vector<std::string>{"args[0]: (absent) -> \"a\"", "env.K: (absent) -> \"v\""}));
  EXPECT_EQ(Describe(DiffJson(new_doc, old_doc)),
            (std::vector<std::string>{"args[0]: \"a\" -> (absent)", "env.K: \"v\" -> (absent)"}));
}

TEST(DiffJson, EmptyContainerIsALeafWhenNothingIsBeneathIt) {
  json old_doc = {{"env", json::object()}};
  json new_doc = json::object();
  EXPECT_EQ(Describe(DiffJson(old_doc, new_doc)),
            (std::vector<std::string>{"env: {} -> (absent)"}));
}

TEST(DiffJson, TypeChangesAndNulls) {
  json old_doc = {{"memory", nullptr}, {"x", 1}};
  json new_doc = {{"memory", 268435456}, {"x", {{"y", 1}}}};
  EXPECT_EQ(Describe(DiffJson(old_doc, new_doc)),
            (std::vector<std::string>{"memory: null -> 268435456", "x: 1 -> (absent)",
                                      "x.y: (absent) -> 1"}));
}

TEST(DiffJson, UnusualKeysAreQuoted) {
  json old_doc = {{"env", {{"A.B", "1"}}}};
  json new_doc = {{"env", {{"A.B", "2"}}}};
  EXPECT_EQ(Describe(DiffJson(old_doc, new_doc)),
            (std::vector<std::string>{"env[\"A.B\"]: \"1\" -> \"2\""}));
}

TEST(DiffJson, PathsSortSegmentBySegment) {
  json old_doc = {{"env", {{"Z", "1"}}}, {"env_x", "1"}};
  json new_doc = {{"env", {{"Z", "2"}}}, {"env_x", "2"}};
  auto changes = DiffJson(old_doc, new_doc);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].path, "env.Z");
  EXPECT_EQ(changes[1].path, "env_x");
}

TEST(DiffJson, ScalarRoots) {
  auto changes = DiffJson(json(1), json(2));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].path, "");
}

}  // namespace
}  // namespace cairn::plan
