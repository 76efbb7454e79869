#include "cli/commands.h"

#include <pwd.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/cli.h"
#include "cli/output.h"
#include "cli/reply_view.h"
#include "core/terminal_text.h"
#include "core/units.h"
#include "spec/text_check.h"

namespace cairn::cli {

using nlohmann::json;

Result<api::Client> Connect(const GlobalOptions& g) {
  std::string addr = g.addr;
  if (addr.empty()) {
    const char* env = std::getenv("CAIRN_ADDR");
    addr = env && *env ? env : "127.0.0.1:7400";
  }
  auto ep = api::ParseEndpoint(addr);
  if (!ep.ok()) return ep.error();
  return api::Client(*ep);
}

std::string DefaultAuthor() {
  const char* user = std::getenv("USER");
  if (user && *user) return user;
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_name) return pw->pw_name;
  return "unknown";
}

namespace {

Error SpecErrorToError(const spec::SpecError& bad) {
  std::string where = bad.file;
  if (bad.line > 0) where += ":" + std::to_string(bad.line) + ":" + std::to_string(bad.col);
  return MakeError(ErrorCode::kInvalidArgument, bad.message, where);
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kInvalidArgument, "cannot read the environment file", path);
  }
  // Refused before it is read: the server would refuse it too, after a long upload.
  std::error_code ec;
  if (uintmax_t size = std::filesystem::file_size(path, ec); !ec) {
    if (std::optional<spec::SpecError> big = spec::CheckSpecSize(size, path)) {
      return SpecErrorToError(*big);
    }
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  // Checked here, before the text is put into a JSON request (which needs UTF-8), so a bad byte
  // is reported at its line and column, the same words the server would use.
  if (std::optional<spec::SpecError> big = spec::CheckSpecSize(text.size(), path)) {
    return SpecErrorToError(*big);  // a pipe or a file that grew: no size before reading
  }
  if (std::optional<spec::SpecError> bad = spec::CheckSpecText(text, path)) {
    return SpecErrorToError(*bad);
  }
  return text;
}

void PrintJson(const json& doc) { std::printf("%s\n", doc.dump(2).c_str()); }

std::string Text(ReplyView reply, const char* key) {
  return reply.Optional(UseColor() ? std::string(key) + "_color" : std::string(key)).StrOr("");
}

// `what` names the request ("POST /v1/apply") for a reply that is not what this cairn expects.
int PrintApplied(api::Client& client, const GlobalOptions& g, const json& reply, bool wait,
                 const std::string& what) {
  ReplyCheck check(what);
  ReplyView root = check.Root(reply);
  if (g.json) {
    PrintJson(reply);
  } else {
    std::printf("%s", Text(root, "text").c_str());
  }
  ReplyView revision = root.Optional("revision");
  if (!revision.present()) {
    if (!check.ok()) return Fail(check.error());
    if (!g.json) std::printf("Nothing to apply: the head already matches.\n");
    return kExitOk;
  }
  int64_t number = revision["number"].Int();
  std::string hash = revision["hash"].Str();
  if (!check.ok()) return Fail(check.error());
  if (!g.json) {
    std::printf("\nRevision %lld applied (%s).\n", static_cast<long long>(number),
                Short(hash).c_str());
  }
  if (!wait) return kExitOk;
  return WaitForRollout(client, number);
}

}  // namespace

Status PrintNewEvents(api::Client& client, int64_t* after_seq) {
  std::string target = "/v1/events?after=" + std::to_string(*after_seq);
  auto events = client.Get(target);
  if (!events.ok()) return OkStatus();  // the next call asks again
  ReplyCheck check("GET " + target);
  for (ReplyView e : check.Root(*events).Items()) {
    std::string at = e["at"].Str();
    std::string message = e["message"].Str();
    std::string time = at.size() >= 23 ? at.substr(11, 12) : at;  // HH:MM:SS.mmm
    std::printf("%s  %s\n", EscapeForTerminal(time).c_str(), EscapeForTerminal(message).c_str());
    *after_seq = std::max(*after_seq, e["seq"].Int());
  }
  std::fflush(stdout);
  if (!check.ok()) return check.error();
  return OkStatus();
}

int WaitForRollout(api::Client& client, int64_t revision, const bool* keep_going) {
  int64_t after = 0;
  // Start from the events of this revision onwards.
  auto events = client.Get("/v1/events");
  if (events.ok()) {
    ReplyCheck check("GET /v1/events");
    for (ReplyView e : check.Root(*events).Items()) {
      if (e["type"].Str() == "revision.applied" &&
          e["message"].Str().starts_with("revision " + std::to_string(revision) + " ")) {
        after = e["seq"].Int() - 1;
      }
    }
    if (!check.ok()) return Fail(check.error());
  }
  for (;;) {
    if (keep_going && !*keep_going) return kExitOk;
    if (Status printed = PrintNewEvents(client, &after); !printed.ok()) {
      return Fail(printed.error());
    }
    auto status = client.Get("/v1/status");
    if (!status.ok()) return Fail(status.error());
    ReplyCheck check("GET /v1/status");
    bool all_done = true;
    for (ReplyView s : check.Root(*status)["services"].Items()) {
      std::string rollout = s["rollout"].Str();
      if (rollout == "failed") {
        std::string name = s["name"].Str();
        std::string reason = s["rollout_reason"].Str();
        if (!check.ok()) break;
        if (Status printed = PrintNewEvents(client, &after); !printed.ok()) {
          return Fail(printed.error());
        }
        std::fprintf(stderr, "error: rollout of %s failed: %s\n", EscapeForTerminal(name).c_str(),
                     EscapeForTerminal(reason).c_str());
        return kExitRolloutFailed;
      }
      if (rollout != "complete") all_done = false;
    }
    if (!check.ok()) return Fail(check.error());
    if (all_done) {
      if (Status printed = PrintNewEvents(client, &after); !printed.ok()) {
        return Fail(printed.error());
      }
      std::printf("Rollout of revision %lld complete.\n", static_cast<long long>(revision));
      return kExitOk;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

int PlanCommand(const GlobalOptions& g, const ApplyOptions& o) {
  auto yaml = ReadFile(o.file);
  if (!yaml.ok()) return Fail(yaml.error());
  auto connected = Connect(g);
  if (!connected.ok()) return Fail(connected.error());
  // The server unpacks the images the file names before it answers (once per image and
  // host): the first apply of a big image takes as long as its unpack.
  Result<api::Client> client = api::Client(connected->endpoint(), std::chrono::minutes(10));
  auto reply = client->Post("/v1/plan", {{"yaml", *yaml}, {"file", o.file}});
  if (!reply.ok()) return Fail(reply.error());
  ReplyCheck check("POST /v1/plan");
  ReplyView root = check.Root(*reply);
  if (g.json) {
    const json& plan = root["plan"].Json();
    if (!check.ok()) return Fail(check.error());
    PrintJson(plan);
  } else {
    std::printf("%s", Text(root, "text").c_str());
  }
  bool changes = o.detailed_exitcode && root["changes"].Bool();
  if (!check.ok()) return Fail(check.error());
  return changes ? kExitChanges : kExitOk;
}

int ApplyCommand(const GlobalOptions& g, const ApplyOptions& o) {
  auto yaml = ReadFile(o.file);
  if (!yaml.ok()) return Fail(yaml.error());
  auto client = Connect(g);
  if (!client.ok()) return Fail(client.error());
  json body = {{"yaml", *yaml},
               {"file", o.file},
               {"author", o.author.empty() ? DefaultAuthor() : o.author},
               {"message", o.message.empty() ? "apply " + o.file : o.message}};
  if (o.expect_revision) body["expect_revision"] = *o.expect_revision;
  auto reply = client->Post("/v1/apply", body);
  if (!reply.ok()) return Fail(reply.error());
  return PrintApplied(*client, g, *reply, o.wait, "POST /v1/apply");
}

int RollbackCommand(const GlobalOptions& g, int64_t revision, const ApplyOptions& o) {
  auto client = Connect(g);
  if (!client.ok()) return Fail(client.error());
  json body = {{"revision", revision},
               {"author", o.author.empty() ? DefaultAuthor() : o.author},
               {"message", o.message}};
  if (o.expect_revision) body["expect_revision"] = *o.expect_revision;
  auto reply = client->Post("/v1/rollback", body);
  if (!reply.ok()) return Fail(reply.error());
  return PrintApplied(*client, g, *reply, o.wait, "POST /v1/rollback");
}

Result<std::string> RenderStatus(const json& status, const std::string& service) {
  ReplyCheck check("GET /v1/status");
  ReplyView root = check.Root(status);
  ReplyView head = root.Optional("head");
  if (!head.present()) {
    if (!check.ok()) return check.error();
    return std::string("No revision applied yet. Run `cairn apply -f FILE`.\n");
  }
  // Each field read on its own line, so that the problem reported is the first in the reply.
  std::string environment = root["environment"].Str();
  int64_t number = head["number"].Int();
  std::string hash = head["hash"].Str();
  std::string author = head["author"].Str();
  std::string message = head["message"].Str();
  // Names, authors, messages and reasons are shown escaped: they came from clients.
  std::string out = "environment " + EscapeForTerminal(environment) + "   head revision " +
                    std::to_string(number) + " (" + EscapeForTerminal(Short(hash)) + ") by " +
                    EscapeForTerminal(author) + ": " + EscapeForTerminal(message) + "\n\n";
  std::vector<std::vector<std::string>> services = {
      {"SERVICE", "REVISION", "ROLLOUT", "HEALTHY", "INSTANCES"}};
  std::vector<std::vector<std::string>> instances = {
      {"INSTANCE", "SERVICE", "REV", "STATE", "PID", "PORT", "RESTARTS", "LAST CHECK"}};
  std::string reasons;
  for (ReplyView s : root["services"].Items()) {
    std::string name = s["name"].Str();
    if (!service.empty() && name != service) continue;
    int64_t revision = s["revision"].Int();
    std::string rollout = s["rollout"].Str();
    int64_t healthy = s["healthy"].Int();
    int64_t replicas = s["replicas"].Int();
    std::vector<ReplyView> service_instances = s["instances"].Items();
    services.push_back({name, std::to_string(revision), rollout,
                        std::to_string(healthy) + "/" + std::to_string(replicas),
                        std::to_string(service_instances.size())});
    if (std::string reason = s["rollout_reason"].Str(); !reason.empty()) {
      reasons += "  " + EscapeForTerminal(name) + ": " + EscapeForTerminal(reason) + "\n";
    }
    if (int64_t drifted = s.Optional("drift_replaced").IntOr(0); drifted > 0) {
      reasons += "  " + EscapeForTerminal(name) + ": " + std::to_string(drifted) +
                 " instance(s) replaced because their image root changed (`cairn verify`)\n";
    }
    if (ReplyView f = s.Optional("start_failure"); f.present()) {
      int64_t failures = f["failures"].Int();
      reasons +=
          "  " + name + ": cannot start: " + f["error"].Str() + " (failed " +
          std::to_string(failures) + (failures == 1 ? " time" : " times") + " since " +
          f["since"].Str() + "; next try in " +
          FormatDuration(std::chrono::seconds(std::llround(f["next_try_in_seconds"].Num()))) +
          ")\n";
    }
    for (ReplyView i : service_instances) {
      std::string state = i["state"].Str();
      if (i["crash_looping"].Bool()) state += " (crash loop)";
      // A braced list is evaluated left to right: the first problem is the leftmost column's.
      instances.push_back({i["id"].Str(), name, std::to_string(i["revision"].Int()), state,
                           std::to_string(i["pid"].Int()), std::to_string(i["port"].Int()),
                           std::to_string(i["restarts"].Int()), i["health"].Str()});
    }
  }
  if (!check.ok()) return check.error();
  out += Table(services);
  if (!reasons.empty()) out += "\nrollout problems:\n" + reasons;
  out += "\n" + Table(instances);
  return out;
}

int StatusCommand(const GlobalOptions& g, const std::string& service) {
  auto client = Connect(g);
  if (!client.ok()) return Fail(client.error());
  auto status = client->Get("/v1/status");
  if (!status.ok()) return Fail(status.error());
  if (!service.empty()) {
    ReplyCheck check("GET /v1/status");
    json filtered = json::array();
    for (ReplyView s : check.Root(*status)["services"].Items()) {
      if (s["name"].Str() == service) filtered.push_back(s.Json());
    }
    if (!check.ok()) return Fail(check.error());
    if (filtered.empty()) {
      return Fail(MakeError(ErrorCode::kNotFound, "no service named " + QuoteForTerminal(service)));
    }
    // The views above are gone: the document may change now.
    if (g.json) (*status)["services"] = std::move(filtered);
  }
  if (g.json) {
    PrintJson(*status);
    return kExitOk;
  }
  auto text = RenderStatus(*status, service);
  if (!text.ok()) return Fail(text.error());
  std::printf("%s", text->c_str());
  return kExitOk;
}

int HistoryCommand(const GlobalOptions& g) {
  auto client = Connect(g);
  if (!client.ok()) return Fail(client.error());
  auto list = client->Get("/v1/revisions");
  if (!list.ok()) return Fail(list.error());
  if (g.json) {
    PrintJson(*list);
    return kExitOk;
  }
  ReplyCheck check("GET /v1/revisions");
  std::vector<ReplyView> revisions = check.Root(*list).Items();
  if (!check.ok()) return Fail(check.error());
  if (revisions.empty()) {
    std::printf("No revisions yet.\n");
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {
      {"REV", "HASH", "PARENT", "AUTHOR", "TIME", "MESSAGE"}};
  for (ReplyView r : revisions) {
    std::string msg = r["message"].Str();
    if (ReplyView rollback_of = r.Optional("rollback_of"); rollback_of.present()) {
      msg += " [rollback of " + std::to_string(rollback_of.Int()) + "]";
    }
    int64_t number = r["number"].Int();
    std::string hash = r["hash"].Str();
    std::string parent = r["parent_hash"].Str();
    std::string author = r["author"].Str();
    std::string created_at = r["created_at"].Str();
    rows.push_back({std::to_string(number), Short(hash), parent.empty() ? "-" : Short(parent),
                    author, created_at, msg});
  }
  if (!check.ok()) return Fail(check.error());
  std::printf("%s", Table(rows).c_str());
  return kExitOk;
}

int DiffCommand(const GlobalOptions& g, int64_t from, int64_t to) {
  auto client = Connect(g);
  if (!client.ok()) return Fail(client.error());
  std::string target = "/v1/diff?from=" + std::to_string(from) + "&to=" + std::to_string(to);
  auto reply = client->Get(target);
  if (!reply.ok()) return Fail(reply.error());
  if (g.json) {
    PrintJson(*reply);
    return kExitOk;
  }
  ReplyCheck check("GET " + target);
  ReplyView root = check.Root(*reply);
  bool same = root["changes"].Items().empty();
  std::string text = Text(root, "text");
  if (!check.ok()) return Fail(check.error());
  if (same) {
    std::printf("Revisions %lld and %lld have the same spec.\n", static_cast<long long>(from),
                static_cast<long long>(to));
  } else {
    std::printf("%s", text.c_str());
  }
  return kExitOk;
}

int LogsCommand(const GlobalOptions& g, const std::string& service, bool follow, int tail) {
  auto client = Connect(g);
  if (!client.ok()) return Fail(client.error());
  std::string target =
      "/v1/logs/" + service + "?tail=" + std::to_string(tail) + (follow ? "&follow=1" : "");
  Status ok = client->Stream(target, [](std::string_view piece) {
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
    return true;
  });
  if (!ok.ok()) return Fail(ok.error());
  return kExitOk;
}

int AuditCommand(const GlobalOptions& g, int limit) {
  auto client = Connect(g);
  if (!client.ok()) return Fail(client.error());
  std::string target = "/v1/audit?limit=" + std::to_string(limit);
  auto list = client->Get(target);
  if (!list.ok()) return Fail(list.error());
  if (g.json) {
    PrintJson(*list);
    return kExitOk;
  }
  ReplyCheck check("GET " + target);
  std::vector<std::vector<std::string>> rows = {{"TIME", "WHO", "ACTION", "TARGET", "RESULT"}};
  for (ReplyView r : check.Root(*list).Items()) {
    rows.push_back(
        {r["at"].Str(), r["actor"].Str(), r["action"].Str(), r["target"].Str(), r["result"].Str()});
  }
  if (!check.ok()) return Fail(check.error());
  std::printf("%s", Table(rows).c_str());
  return kExitOk;
}

int TrafficCommand(const GlobalOptions& g, const std::string& service) {
  auto client = Connect(g);
  if (!client.ok()) return Fail(client.error());
  auto traffic = client->Get("/v1/traffic");
  if (!traffic.ok()) return Fail(traffic.error());
  if (g.json) {
    PrintJson(*traffic);
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {{"SERVICE", "VERSION", "INSTANCE", "REQUESTS",
                                                 "2XX", "4XX", "5XX", "ERRORS", "P50 MS", "P99 MS",
                                                 "RETRIES", "EJECTIONS"}};
  auto fmt = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.2f", v);
    return std::string(buf);
  };
  ReplyCheck check("GET /v1/traffic");
  ReplyView root = check.Root(*traffic);
  for (ReplyView b : root["backends"].Items()) {
    std::string name = b["service"].Str();
    if (!service.empty() && name != service) continue;
    ReplyView r = b["requests"];
    ReplyView latency = b["latency_ms"];
    // A braced list is evaluated left to right: the first problem is the leftmost column's.
    rows.push_back(
        {name, b["version"].Str(), b["instance"].Str(), std::to_string(b["total"].Uint()),
         std::to_string(r.Optional("2xx").UintOr(0)), std::to_string(r.Optional("4xx").UintOr(0)),
         std::to_string(r.Optional("5xx").UintOr(0)), std::to_string(r.Optional("error").UintOr(0)),
         fmt(latency["p50"].Num()), fmt(latency["p99"].Num()), std::to_string(b["retries"].Uint()),
         std::to_string(b["ejections"].Uint())});
  }
  uint64_t accepted = root["connections_accepted"].Uint();
  int64_t open = root["active_client_connections"].Int();
  if (!check.ok()) return Fail(check.error());
  std::printf("%s", Table(rows).c_str());
  std::printf("\nconnections accepted %llu, open %lld\n", static_cast<unsigned long long>(accepted),
              static_cast<long long>(open));
  return kExitOk;
}

int VersionCommand(const GlobalOptions& g) {
  if (g.json) {
    json out = {{"client", CAIRN_VERSION}, {"server", nullptr}};
    auto client = Connect(g);
    if (client.ok()) {
      auto v = client->Get("/v1/version");
      if (v.ok()) {
        ReplyCheck check("GET /v1/version");
        std::string version = check.Root(*v)["version"].Str();
        if (!check.ok()) {
          PrintJson(out);  // the client's version still helps: it is what a skew is about
          return Fail(check.error());
        }
        out["server"] = version;
      }
    }
    PrintJson(out);
    return kExitOk;
  }
  std::printf("cairn %s\n", CAIRN_VERSION);
  auto client = Connect(g);
  if (client.ok()) {
    auto v = client->Get("/v1/version");
    if (v.ok()) {
      ReplyCheck check("GET /v1/version");
      std::string version = check.Root(*v)["version"].Str();
      if (!check.ok()) return Fail(check.error());
      std::printf("server %s at %s\n", version.c_str(), client->endpoint().ToString().c_str());
    }
  }
  return kExitOk;
}

}  // namespace cairn::cli
