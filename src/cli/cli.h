// cairn's command line. Every command except `server` and `up` is a client of the API.
//
// Exit codes (documented in docs/cli.md):
//   0 success; 1 error (invalid input, a failed request, nothing found: no such service, no
//   rollout in progress); 2 `plan --detailed-exitcode` found changes; 3 the server cannot be
//   reached; 4 a rollout failed (`apply --wait`, `rollback --wait`, `rollout status --watch`);
//   5 a conflict: the head moved (`--expect-revision`), or a rollout command cannot apply now;
//   6 `image verify` found a missing or corrupt blob.
#pragma once

namespace cairn::cli {

constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitChanges = 2;
constexpr int kExitUnreachable = 3;
constexpr int kExitRolloutFailed = 4;
constexpr int kExitConflict = 5;
constexpr int kExitVerifyFailed = 6;

int Main(int argc, char** argv);

}  // namespace cairn::cli
