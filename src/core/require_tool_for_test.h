// Test-only: what a test does when a tool it needs (runc, promtool, umoci, skopeo) is missing.
// On a developer's machine it skips with the reason; in CI (the CI variable set) it fails,
// because scripts/install-deps installs every tool and a skip there hides a broken install.
// scripts/test counts and lists the skips either way.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>

// Use at the top of a test body: CAIRN_REQUIRE_TOOL(OnPath("umoci"), "umoci is not installed").
#define CAIRN_REQUIRE_TOOL(available, why)                                         \
  do {                                                                             \
    if (!(available)) {                                                            \
      if (std::getenv("CI") != nullptr) {                                          \
        FAIL() << (why) << " (CI is set: scripts/install-deps should install it)"; \
      }                                                                            \
      GTEST_SKIP() << (why);                                                       \
    }                                                                              \
  } while (0)
