// Test-only: what ParseSpec says of a file that must be refused, one string per error as the
// user reads it ("env.yaml:line:col: path: message"). Header-only so it never enters the library.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "spec/spec.h"

namespace cairn::spec {

inline std::vector<std::string> RefusalsOf(const std::string& yaml) {
  ParseOutcome outcome = ParseSpec(yaml, "env.yaml");
  EXPECT_FALSE(outcome.spec.has_value());
  std::vector<std::string> out;
  for (const SpecError& e : outcome.errors) out.push_back(e.ToString());
  return out;
}

}  // namespace cairn::spec
