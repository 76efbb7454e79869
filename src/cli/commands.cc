#include "cli/commands.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/cli.h"
#include "cli/output.h"

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

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kInvalidArgument, "cannot read the environment file", path);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void PrintJson(const json& doc) { std::printf("%s\n", doc.dump(2).c_str()); }

std::string Text(const json& reply, const char* key) {
  return reply.value(UseColor() ? std::string(key) + "_color" : std::string(key), "");
}

int PrintApplied(api::Client& client, const GlobalOptions& g, const json& reply, bool wait) {
  if (g.json) {
    PrintJson(reply);
  } else {
    std::printf("%s", Text(reply, "text").c_str());
  }
  if (reply["revision"].is_null()) {
    if (!g.json) std::printf("Nothing to apply: the head already matches.\n");
    return kExitOk;
  }
  int64_t number = reply["revision"]["number"].get<int64_t>();
  if (!g.json) {
    std::printf("\nRevision %lld applied (%s).\n", static_cast<long long>(number),
                Short(reply["revision"]["hash"].get<std::string>()).c_str());
  }
  if (!wait) return kExitOk;
  return WaitForRollout(client, number);
}

}  // namespace

void PrintNewEvents(api::Client& client, int64_t* after_seq) {
  auto events = client.Get("/v1/events?after=" + std::to_string(*after_seq));
  if (!events.ok()) return;
  for (const auto& e : *events) {
    std::printf("%s  %s\n", e["at"].get<std::string>().substr(11, 12).c_str(),
                e["message"].get<std::string>().c_str());
    *after_seq = std::max(*after_seq, e["seq"].get<int64_t>());
  }
  std::fflush(stdout);
}

int WaitForRollout(api::Client& client, int64_t revision, const bool* keep_going) {
  int64_t after = 0;
  // Start from the events of this revision onwards.
  auto events = client.Get("/v1/events");
  if (events.ok()) {
    for (const auto& e : *events) {
      if (e["type"] == "revision.applied" && e["message"].get<std::string>().starts_with(
                                                 "revision " + std::to_string(revision) + " ")) {
        after = e["seq"].get<int64_t>() - 1;
      }
    }
  }
  for (;;) {
    if (keep_going && !*keep_going) return kExitOk;
    PrintNewEvents(client, &after);
    auto status = client.Get("/v1/status");
    if (!status.ok()) return Fail(status.error());
    bool all_done = true;
    for (const auto& s : (*status)["services"]) {
      std::string rollout = s["rollout"];
      if (rollout == "failed") {
        PrintNewEvents(client, &after);
        std::fprintf(stderr, "error: rollout of %s failed: %s\n",
                     s["name"].get<std::string>().c_str(),
                     s["rollout_reason"].get<std::string>().c_str());
        return kExitRolloutFailed;
      }
      if (rollout != "complete") all_done = false;
    }
    if (all_done) {
      PrintNewEvents(client, &after);
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
  if (g.json) {
    PrintJson((*reply)["plan"]);
  } else {
    std::printf("%s", Text(*reply, "text").c_str());
  }
  if (o.detailed_exitcode && (*reply)["changes"].get<bool>()) return kExitChanges;
  return kExitOk;
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
  return PrintApplied(*client, g, *reply, o.wait);
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
  return PrintApplied(*client, g, *reply, o.wait);
}

std::string RenderStatus(const json& status, const std::string& service) {
  std::string out;
  if (status["head"].is_null()) return "No revision applied yet. Run `cairn apply -f FILE`.\n";
  const json& head = status["head"];
  out += "environment " + status["environment"].get<std::string>() + "   head revision " +
         std::to_string(head["number"].get<int64_t>()) + " (" +
         Short(head["hash"].get<std::string>()) + ") by " + head["author"].get<std::string>() +
         ": " + head["message"].get<std::string>() + "\n\n";
  std::vector<std::vector<std::string>> services = {
      {"SERVICE", "REVISION", "ROLLOUT", "HEALTHY", "INSTANCES"}};
  std::vector<std::vector<std::string>> instances = {
      {"INSTANCE", "SERVICE", "REV", "STATE", "PID", "PORT", "RESTARTS", "LAST CHECK"}};
  std::string reasons;
  for (const auto& s : status["services"]) {
    std::string name = s["name"];
    if (!service.empty() && name != service) continue;
    services.push_back(
        {name, std::to_string(s["revision"].get<int64_t>()), s["rollout"].get<std::string>(),
         std::to_string(s["healthy"].get<int>()) + "/" + std::to_string(s["replicas"].get<int>()),
         std::to_string(s["instances"].size())});
    if (!s["rollout_reason"].get<std::string>().empty()) {
      reasons += "  " + name + ": " + s["rollout_reason"].get<std::string>() + "\n";
    }
    if (int drifted = s.value("drift_replaced", 0); drifted > 0) {
      reasons += "  " + name + ": " + std::to_string(drifted) +
                 " instance(s) replaced because their image root changed (`cairn verify`)\n";
    }
    for (const auto& i : s["instances"]) {
      std::string state = i["state"];
      if (i["crash_looping"].get<bool>()) state += " (crash loop)";
      instances.push_back(
          {i["id"].get<std::string>(), name, std::to_string(i["revision"].get<int64_t>()), state,
           std::to_string(i["pid"].get<int>()), std::to_string(i["port"].get<int>()),
           std::to_string(i["restarts"].get<int>()), i["health"].get<std::string>()});
    }
  }
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
    bool found = false;
    for (const auto& s : (*status)["services"]) found = found || s["name"] == service;
    if (!found) {
      return Fail(MakeError(ErrorCode::kNotFound, "no service named \"" + service + "\""));
    }
  }
  if (g.json) {
    if (!service.empty()) {
      json filtered = json::array();
      for (const auto& s : (*status)["services"]) {
        if (s["name"] == service) filtered.push_back(s);
      }
      (*status)["services"] = filtered;
    }
    PrintJson(*status);
  } else {
    std::printf("%s", RenderStatus(*status, service).c_str());
  }
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
  if (list->empty()) {
    std::printf("No revisions yet.\n");
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {
      {"REV", "HASH", "PARENT", "AUTHOR", "TIME", "MESSAGE"}};
  for (const auto& r : *list) {
    std::string msg = r["message"];
    if (!r["rollback_of"].is_null()) {
      msg += " [rollback of " + std::to_string(r["rollback_of"].get<int64_t>()) + "]";
    }
    rows.push_back({std::to_string(r["number"].get<int64_t>()), Short(r["hash"].get<std::string>()),
                    r["parent_hash"].get<std::string>().empty()
                        ? "-"
                        : Short(r["parent_hash"].get<std::string>()),
                    r["author"].get<std::string>(), r["created_at"].get<std::string>(), msg});
  }
  std::printf("%s", Table(rows).c_str());
  return kExitOk;
}

int DiffCommand(const GlobalOptions& g, int64_t from, int64_t to) {
  auto client = Connect(g);
  if (!client.ok()) return Fail(client.error());
  auto reply = client->Get("/v1/diff?from=" + std::to_string(from) + "&to=" + std::to_string(to));
  if (!reply.ok()) return Fail(reply.error());
  if (g.json) {
    PrintJson(*reply);
  } else if ((*reply)["changes"].empty()) {
    std::printf("Revisions %lld and %lld have the same spec.\n", static_cast<long long>(from),
                static_cast<long long>(to));
  } else {
    std::printf("%s", Text(*reply, "text").c_str());
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
  auto list = client->Get("/v1/audit?limit=" + std::to_string(limit));
  if (!list.ok()) return Fail(list.error());
  if (g.json) {
    PrintJson(*list);
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {{"TIME", "WHO", "ACTION", "TARGET", "RESULT"}};
  for (const auto& r : *list) {
    rows.push_back({r["at"].get<std::string>(), r["actor"].get<std::string>(),
                    r["action"].get<std::string>(), r["target"].get<std::string>(),
                    r["result"].get<std::string>()});
  }
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
  for (const auto& b : (*traffic)["backends"]) {
    if (!service.empty() && b["service"] != service) continue;
    const json& r = b["requests"];
    rows.push_back(
        {b["service"].get<std::string>(), b["version"].get<std::string>(),
         b["instance"].get<std::string>(), std::to_string(b["total"].get<uint64_t>()),
         std::to_string(r.value("2xx", uint64_t{0})), std::to_string(r.value("4xx", uint64_t{0})),
         std::to_string(r.value("5xx", uint64_t{0})), std::to_string(r.value("error", uint64_t{0})),
         fmt(b["latency_ms"]["p50"].get<double>()), fmt(b["latency_ms"]["p99"].get<double>()),
         std::to_string(b["retries"].get<uint64_t>()),
         std::to_string(b["ejections"].get<uint64_t>())});
  }
  std::printf("%s", Table(rows).c_str());
  std::printf("\nconnections accepted %llu, open %lld\n",
              static_cast<unsigned long long>((*traffic)["connections_accepted"].get<uint64_t>()),
              static_cast<long long>((*traffic)["active_client_connections"].get<int64_t>()));
  return kExitOk;
}

int VersionCommand(const GlobalOptions& g) {
  if (g.json) {
    json out = {{"client", CAIRN_VERSION}, {"server", nullptr}};
    auto client = Connect(g);
    if (client.ok()) {
      auto v = client->Get("/v1/version");
      if (v.ok()) out["server"] = (*v)["version"];
    }
    PrintJson(out);
    return kExitOk;
  }
  std::printf("cairn %s\n", CAIRN_VERSION);
  auto client = Connect(g);
  if (client.ok()) {
    auto v = client->Get("/v1/version");
    if (v.ok()) {
      std::printf("server %s at %s\n", (*v)["version"].get<std::string>().c_str(),
                  client->endpoint().ToString().c_str());
    }
  }
  return kExitOk;
}

}  // namespace cairn::cli
