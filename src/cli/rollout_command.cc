#include "cli/rollout_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/cli.h"
#include "cli/output.h"
#include "cli/reply_view.h"
#include "core/terminal_text.h"
#include "core/units.h"

namespace cairn::cli {
namespace {

using nlohmann::json;

// How often `status --watch` asks. Rollout steps move at the controller's tick (100 ms) but
// people read at human speed; half a second keeps the server's load negligible.
constexpr std::chrono::milliseconds kWatchPoll{500};

std::string Percent(double value) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g%%", value);
  return buf;
}

std::string Rev(ReplyView value) { return std::to_string(value.Int()); }

// "pause", "pause 30s", "weight 25%", "analysis" from the step as the file wrote it (null when
// there is none).
std::string StepKind(ReplyView step) {
  std::vector<std::pair<std::string, ReplyView>> members = step.Members();
  if (members.empty()) return "";
  const auto& [key, value] = members.front();
  if (key == "weight" && value.IsNumber()) return "weight " + Percent(value.Num());
  if (key == "pause" && value.IsString()) return "pause " + value.Str();
  return key;
}

std::string Analysis(const char* name, ReplyView run) {
  int64_t passed = run.Optional("passed").IntOr(0);
  int64_t failed = run.Optional("failed").IntOr(0);
  int64_t inconclusive = run.Optional("inconclusive").IntOr(0);
  std::string outcome = run.Optional("outcome").StrOr("running");
  if (passed + failed + inconclusive == 0 && outcome == "running") return "";
  std::string out = std::string("; ") + name + " " + std::to_string(passed) + " passed, " +
                    std::to_string(failed) + " failed, " + std::to_string(inconclusive) +
                    " inconclusive";
  if (outcome != "running") out += " (" + outcome + ")";
  return out;
}

// The line for a rollout view `p` (an entry's "progressive", or a rollout command's reply),
// before it is escaped for the terminal.
std::string RawProgressiveLine(const std::string& name, ReplyView p) {
  // Each field read on its own line, so that the problem reported is the first in the reply.
  std::string strategy = p["strategy"].Str();
  std::string new_rev = Rev(p["new_revision"]);
  std::string stable_rev = Rev(p["stable_revision"]);
  std::string phase = p["phase"].Str();
  bool paused = p["paused"].Bool();
  std::string reason = p.Optional("abort_reason").StrOr("");
  std::string out =
      name + ": " + strategy + " to revision " + new_rev + " over " + stable_rev + " — ";
  if (strategy == "rolling") {
    // No steps, weights or analyses: the router serves every healthy instance of either.
    int64_t new_healthy = p.Optional("new_healthy").IntOr(0);
    int64_t replicas = p.Optional("replicas").IntOr(0);
    out += phase;
    if (paused) out += ", paused";
    out += "; " + std::to_string(new_healthy) + " of " + std::to_string(replicas) +
           " instances of revision " + new_rev + " healthy";
    if (!reason.empty()) out += "; abort reason: " + reason;
    return out;
  }
  if (strategy == "canary") {
    if (p["full_promotion"].Bool()) {
      out += "full promotion, ";
    } else {
      std::string kind = StepKind(p.Optional("current_step"));
      int64_t step = p["step"].Int();
      int64_t steps = p["steps"].Int();
      out += "step " + std::to_string(step) + " of " + std::to_string(steps) +
             (kind.empty() ? "" : " (" + kind + ")") + ", ";
    }
  }
  out += phase;
  if (paused) out += ", paused";
  out += "; " + Percent(p["weight_percent"].Num()) + " of traffic on revision " + new_rev;
  out += Analysis("analysis", p["step_analysis"]);
  out += Analysis("background analysis", p["background_analysis"]);
  std::string verdict = p.Optional("last_verdict").StrOr("");
  if (!verdict.empty()) out += "; last verdict: " + verdict;
  if (!reason.empty()) out += "; abort reason: " + reason;
  return out;
}

// Reasons and verdicts quote the server's state, which quotes the user's file.
std::string ProgressiveLine(const std::string& name, ReplyView p) {
  return EscapeForTerminal(RawProgressiveLine(name, p));
}

// The service's rollout in the shape `status -o json` prints: the same for every state, so a
// script reads d["progressive"]["phase"] or d["rollout"] without guessing.
json RolloutStatusJson(ReplyView s) {
  // A braced list is evaluated left to right: the first problem is the first field's.
  return {{"service", s["name"].Json()},
          {"revision", s["revision"].Json()},
          {"rollout", s["rollout"].Json()},
          {"rollout_reason", s["rollout_reason"].Json()},
          {"progressive", s.Optional("progressive").Json()}};
}

// The entry of `service` in `status`, a reply to GET /v1/status read through `check`; an
// error when there is none or the reply is not what this cairn expects. The view points into
// `status`.
Result<ReplyView> ServiceIn(ReplyCheck& check, const json& status, const std::string& service) {
  std::optional<ReplyView> found;
  for (ReplyView s : check.Root(status)["services"].Items()) {
    if (s["name"].Str() == service && !found) found = s;
  }
  if (!check.ok()) return check.error();
  if (!found)
    return MakeError(ErrorCode::kNotFound, "no service named " + QuoteForTerminal(service));
  return *found;
}

bool InProgress(ReplyView s) {
  return s.Optional("progressive").present() || s["rollout"].Str() == "progressing";
}

int EndCode(ReplyView s) { return s["rollout"].Str() == "failed" ? kExitRolloutFailed : kExitOk; }

int Status(api::Client& client, const GlobalOptions& g, const RolloutOptions& o) {
  auto status = client.Get("/v1/status");
  if (!status.ok()) return Fail(status.error());
  ReplyCheck check("GET /v1/status");
  auto s = ServiceIn(check, *status, o.service);
  if (!s.ok()) return Fail(s.error());
  if (g.json) {
    json out = RolloutStatusJson(*s);
    if (!check.ok()) return Fail(check.error());
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  ReplyView p = s->Optional("progressive");
  if (!p.present()) {
    std::string end = RenderRolloutEnd(*s);
    if (!check.ok()) return Fail(check.error());
    std::printf("%s\nNo rollout of %s is in progress.\n", end.c_str(), o.service.c_str());
    return kExitOk;
  }
  std::string line = RenderRolloutLine(*s);
  bool paused = p["paused"].Bool();
  std::string phase = p["phase"].Str();
  if (!check.ok()) return Fail(check.error());
  std::printf("%s\n", line.c_str());
  if (paused) {
    std::printf("Paused by a person: `cairn rollout resume %s` carries on.\n", o.service.c_str());
  } else if (phase == "waiting_for_promote") {
    std::printf(
        "Waiting: `cairn rollout promote %s` goes on, `cairn rollout abort %s` goes back.\n",
        o.service.c_str(), o.service.c_str());
  }
  return kExitOk;
}

int Watch(api::Client& client, const GlobalOptions& g, const RolloutOptions& o) {
  auto timeout = ParseDuration(o.timeout);
  if (!timeout.ok()) {
    return Fail(MakeError(ErrorCode::kInvalidArgument,
                          "--timeout: " + timeout.error().message + " (e.g. 30m, 90s)"));
  }
  const bool tty = !g.json && isatty(STDOUT_FILENO);
  auto deadline = std::chrono::steady_clock::now() + *timeout;
  std::string last;
  int64_t stable_revision = 0;  // from the last rollout seen, for the end line
  bool open_line = false;       // a redrawn line without its newline yet
  auto end_line = [&] {
    if (open_line) std::printf("\n");
    open_line = false;
  };
  for (;;) {
    auto status = client.Get("/v1/status");
    if (!status.ok()) {
      end_line();
      return Fail(status.error());
    }
    ReplyCheck check("GET /v1/status");
    auto s = ServiceIn(check, *status, o.service);
    if (!s.ok()) {
      end_line();
      return Fail(s.error());
    }
    if (!InProgress(*s)) {
      std::string end =
          g.json ? RolloutStatusJson(*s).dump() : RenderRolloutEnd(*s, stable_revision);
      int code = EndCode(*s);
      end_line();
      if (!check.ok()) return Fail(check.error());
      std::printf("%s\n", end.c_str());
      return code;
    }
    if (ReplyView p = s->Optional("progressive"); p.present()) {
      stable_revision = p["stable_revision"].Int();
    }
    std::string line = g.json ? RolloutStatusJson(*s).dump() : RenderRolloutLine(*s);
    if (!check.ok()) {
      end_line();
      return Fail(check.error());
    }
    if (line != last) {
      if (tty) {
        std::printf("\r\033[2K%s", line.c_str());  // redraw in place: back to column 0, clear
        open_line = true;
      } else {
        std::printf("%s\n", line.c_str());
      }
      std::fflush(stdout);
      last = line;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      end_line();
      return Fail(MakeError(ErrorCode::kInvalidArgument, "gave up after " + o.timeout +
                                                             ": the rollout of " + o.service +
                                                             " is still in progress (--timeout)"));
    }
    std::this_thread::sleep_for(kWatchPoll);
  }
}

std::string PastTense(const RolloutOptions& o) {
  if (o.action == "promote") return o.full ? "promoted to the full rollout" : "promoted";
  if (o.action == "abort") return "aborted";
  if (o.action == "pause") return "paused";
  if (o.action == "resume") return "resumed";
  if (o.action == "retry") return "retried";
  if (o.action == "undo") return "undone";
  return o.action;
}

int Command(api::Client& client, const GlobalOptions& g, const RolloutOptions& o) {
  std::string command = o.action == "promote" && o.full ? "promote-full" : o.action;
  std::string target = "/v1/rollouts/" + o.service + "/" + command;
  auto view = client.Post(target, {{"author", o.author.empty() ? DefaultAuthor() : o.author}});
  if (!view.ok()) return Fail(view.error());
  if (g.json) {
    std::printf("%s\n", view->dump(2).c_str());
    return kExitOk;
  }
  ReplyCheck check("POST " + target);
  std::string line = ProgressiveLine(o.service, check.Root(*view));
  if (!check.ok()) return Fail(check.error());
  std::printf("Rollout of %s %s.\n%s\n", o.service.c_str(), PastTense(o).c_str(), line.c_str());
  return kExitOk;
}

}  // namespace

std::string RenderRolloutLine(ReplyView s) {
  std::string name = s.Optional("name").StrOr("");
  ReplyView p = s.Optional("progressive");
  if (p.present()) return ProgressiveLine(name, p);
  std::string revision = Rev(s["revision"]);
  return name + ": revision " + revision + " " + s.Optional("rollout").StrOr("progressing");
}

std::string RenderRolloutEnd(ReplyView s, int64_t stable_revision) {
  std::string name = s.Optional("name").StrOr("");
  std::string rollout = s.Optional("rollout").StrOr("");
  if (rollout == "failed") {
    // Not s["revision"]: right after an abort it still names the aborted revision until the
    // controller's next tick falls back to the stable one.
    return name + ": rollout failed: " + s.Optional("rollout_reason").StrOr("") +
           (stable_revision > 0 ? "; back on revision " + std::to_string(stable_revision) : "");
  }
  return name + ": revision " + Rev(s["revision"]) + " " + rollout;
}

int RolloutCommand(const GlobalOptions& g, const RolloutOptions& o) {
  auto client = Connect(g);
  if (!client.ok()) return Fail(client.error());
  if (o.action == "status") return o.watch ? Watch(*client, g, o) : Status(*client, g, o);
  return Command(*client, g, o);
}

}  // namespace cairn::cli
