#include "cli/rollout_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/cli.h"
#include "cli/output.h"
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

std::string Rev(const json& value) { return std::to_string(value.get<int64_t>()); }

// "pause", "pause 30s", "weight 25%", "analysis" from the step as the file wrote it.
std::string StepKind(const json& step) {
  if (!step.is_object() || step.empty()) return "";
  auto first = step.begin();
  const std::string& key = first.key();
  const json& value = first.value();
  if (key == "weight" && value.is_number()) return "weight " + Percent(value.get<double>());
  if (key == "pause" && value.is_string()) return "pause " + value.get<std::string>();
  return key;
}

std::string Analysis(const char* name, const json& run) {
  int passed = run.value("passed", 0), failed = run.value("failed", 0),
      inconclusive = run.value("inconclusive", 0);
  std::string outcome = run.value("outcome", "running");
  if (passed + failed + inconclusive == 0 && outcome == "running") return "";
  std::string out = std::string("; ") + name + " " + std::to_string(passed) + " passed, " +
                    std::to_string(failed) + " failed, " + std::to_string(inconclusive) +
                    " inconclusive";
  if (outcome != "running") out += " (" + outcome + ")";
  return out;
}

// The service's rollout in the shape `status -o json` prints: the same for every state, so a
// script reads d["progressive"]["phase"] or d["rollout"] without guessing.
json RolloutStatusJson(const json& s) {
  return {{"service", s["name"]},
          {"revision", s["revision"]},
          {"rollout", s["rollout"]},
          {"rollout_reason", s["rollout_reason"]},
          {"progressive", s.value("progressive", json(nullptr))}};
}

Result<json> ServiceStatus(api::Client& client, const std::string& service) {
  auto status = client.Get("/v1/status");
  if (!status.ok()) return status.error();
  for (const auto& s : (*status)["services"]) {
    if (s["name"] == service) return s;
  }
  return MakeError(ErrorCode::kNotFound, "no service named \"" + service + "\"");
}

bool InProgress(const json& s) {
  return !s.value("progressive", json(nullptr)).is_null() || s["rollout"] == "progressing";
}

int EndCode(const json& s) { return s["rollout"] == "failed" ? kExitRolloutFailed : kExitOk; }

int Status(api::Client& client, const GlobalOptions& g, const RolloutOptions& o) {
  auto s = ServiceStatus(client, o.service);
  if (!s.ok()) return Fail(s.error());
  if (g.json) {
    std::printf("%s\n", RolloutStatusJson(*s).dump(2).c_str());
    return kExitOk;
  }
  const json& p = s->value("progressive", json(nullptr));
  if (p.is_null()) {
    std::printf("%s\nNo rollout of %s is in progress.\n", RenderRolloutEnd(*s).c_str(),
                o.service.c_str());
    return kExitOk;
  }
  std::printf("%s\n", RenderRolloutLine(*s).c_str());
  if (p["paused"].get<bool>()) {
    std::printf("Paused by a person: `cairn rollout resume %s` carries on.\n", o.service.c_str());
  } else if (p["phase"] == "waiting_for_promote") {
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
    auto s = ServiceStatus(client, o.service);
    if (!s.ok()) {
      end_line();
      return Fail(s.error());
    }
    if (!InProgress(*s)) {
      end_line();
      std::printf("%s\n", g.json ? RolloutStatusJson(*s).dump().c_str()
                                 : RenderRolloutEnd(*s, stable_revision).c_str());
      return EndCode(*s);
    }
    if (const json& p = s->value("progressive", json(nullptr)); !p.is_null()) {
      stable_revision = p["stable_revision"].get<int64_t>();
    }
    std::string line = g.json ? RolloutStatusJson(*s).dump() : RenderRolloutLine(*s);
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
  auto view = client.Post("/v1/rollouts/" + o.service + "/" + command,
                          {{"author", o.author.empty() ? DefaultAuthor() : o.author}});
  if (!view.ok()) return Fail(view.error());
  if (g.json) {
    std::printf("%s\n", view->dump(2).c_str());
    return kExitOk;
  }
  std::printf("Rollout of %s %s.\n%s\n", o.service.c_str(), PastTense(o).c_str(),
              RenderRolloutLine({{"name", o.service}, {"progressive", *view}}).c_str());
  return kExitOk;
}

}  // namespace

std::string RenderRolloutLine(const json& s) {
  std::string name = s.value("name", "");
  const json& p = s.value("progressive", json(nullptr));
  if (p.is_null()) {
    return name + ": revision " + Rev(s["revision"]) + " " + s.value("rollout", "progressing");
  }
  std::string new_rev = Rev(p["new_revision"]);
  std::string out = name + ": " + p["strategy"].get<std::string>() + " to revision " + new_rev +
                    " over " + Rev(p["stable_revision"]) + " — ";
  std::string phase = p["phase"];
  if (p["strategy"] == "rolling") {
    // No steps, weights or analyses: the router serves every healthy instance of either.
    out += phase;
    if (p["paused"].get<bool>()) out += ", paused";
    out += "; " + std::to_string(p.value("new_healthy", 0)) + " of " +
           std::to_string(p.value("replicas", 0)) + " instances of revision " + new_rev +
           " healthy";
    std::string reason = p.value("abort_reason", "");
    if (!reason.empty()) out += "; abort reason: " + reason;
    return out;
  }
  if (p["strategy"] == "canary") {
    if (p["full_promotion"].get<bool>()) {
      out += "full promotion, ";
    } else {
      std::string kind = StepKind(p["current_step"]);
      out += "step " + std::to_string(p["step"].get<int64_t>()) + " of " +
             std::to_string(p["steps"].get<int64_t>()) + (kind.empty() ? "" : " (" + kind + ")") +
             ", ";
    }
  }
  out += phase;
  if (p["paused"].get<bool>()) out += ", paused";
  out += "; " + Percent(p["weight_percent"].get<double>()) + " of traffic on revision " + new_rev;
  out += Analysis("analysis", p["step_analysis"]);
  out += Analysis("background analysis", p["background_analysis"]);
  std::string verdict = p.value("last_verdict", "");
  if (!verdict.empty()) out += "; last verdict: " + verdict;
  std::string reason = p.value("abort_reason", "");
  if (!reason.empty()) out += "; abort reason: " + reason;
  return out;
}

std::string RenderRolloutEnd(const json& s, int64_t stable_revision) {
  std::string name = s.value("name", "");
  std::string rollout = s.value("rollout", "");
  if (rollout == "failed") {
    // Not s["revision"]: right after an abort it still names the aborted revision until the
    // controller's next tick falls back to the stable one.
    return name + ": rollout failed: " + s.value("rollout_reason", "") +
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
