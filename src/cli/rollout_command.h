// `cairn rollout ...`: a person's hand on a rollout (canary, blue-green or rolling).
//
//   cairn rollout status SERVICE [--watch] [--timeout 30m] [-o json]
//   cairn rollout promote SERVICE [--full]
//   cairn rollout abort|pause|resume|retry|undo SERVICE
//
// Each command is one request to /v1/rollouts/SERVICE/...; `status` reads /v1/status.
// Exit codes as in cli.h: a command with no rollout in progress is 1 (not found), one that
// cannot apply now is 5 (conflict, with the reason); `status --watch` ends 0 when the rollout
// completes and 4 when it fails or is aborted.
#pragma once

#include <cstdint>
#include <string>

#include "cli/commands.h"
#include "cli/reply_view.h"

namespace cairn::cli {

struct RolloutOptions {
  // status, promote, abort, pause, resume, retry or undo.
  std::string action;
  std::string service;
  std::string author;  // empty: $USER (commands only)
  bool full = false;   // promote --full: skip the remaining canary steps
  bool watch = false;  // status --watch: follow until the rollout ends
  // status --watch gives up (exit 1) after this long. 30m: longer than any sane canary's
  // steps, short enough that a forgotten watch in CI does not hang for a day.
  std::string timeout = "30m";
};

int RolloutCommand(const GlobalOptions& g, const RolloutOptions& o);

// What `cairn rollout status` prints for one service: its entry of /v1/status.
// One line for a rollout in progress ("web: canary to revision 3 over 2 — step 2 of 4
// (pause), waiting_for_promote; 25% of traffic on revision 3; analysis ...").
// A field missing or of the wrong type is recorded in the check `service_status` came from
// (the line then has an empty value in its place): the caller asks the check before printing.
std::string RenderRolloutLine(ReplyView service_status);
// The end of a rollout, when none is in progress any more: "web: revision 3 complete" or
// "web: rollout failed: <reason>; back on revision 2" (the stable revision of the rollout
// last seen; left out when 0, unknown). Problems are recorded as for RenderRolloutLine.
std::string RenderRolloutEnd(ReplyView service_status, int64_t stable_revision = 0);

}  // namespace cairn::cli
