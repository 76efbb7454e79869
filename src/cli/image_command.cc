#include "cli/image_command.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "cli/cli.h"
#include "cli/output.h"
#include "cli/reply_view.h"
#include "core/terminal_text.h"

namespace cairn::cli {
namespace {

using nlohmann::json;

// Building or importing a big image takes as long as hashing and compressing it.
constexpr std::chrono::hours kImageTimeout{1};

std::string Absolute(const std::string& path) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(path, ec);
  return ec ? path : abs.lexically_normal().string();
}

Result<api::Client> ConnectForImages(const GlobalOptions& g) {
  auto client = Connect(g);
  if (!client.ok()) return client.error();
  return api::Client(client->endpoint(), kImageTimeout);
}

int PrintJson(const json& body) {
  std::printf("%s\n", body.dump(2).c_str());
  return kExitOk;
}

// The whole reply with -o json; else `text`, read from it through `check`, unless that found
// a problem.
int PrintOrJson(const GlobalOptions& g, const ReplyCheck& check, const json& body,
                const std::string& text) {
  if (g.json) return PrintJson(body);
  if (!check.ok()) return Fail(check.error());
  std::printf("%s\n", text.c_str());
  return kExitOk;
}

int List(api::Client& client, const GlobalOptions& g) {
  auto list = client.Get("/v1/images");
  if (!list.ok()) return Fail(list.error());
  if (g.json) return PrintJson(*list);
  ReplyCheck check("GET /v1/images");
  std::vector<ReplyView> images = check.Root(*list).Items();
  if (!check.ok()) return Fail(check.error());
  if (images.empty()) {
    std::printf("No images yet: `cairn image build DIR --tag NAME:TAG` or `cairn image import`.\n");
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {{"TAG", "DIGEST", "SIZE", "TAGGED"}};
  for (ReplyView i : images) {
    // A braced list is evaluated left to right: the first problem is the leftmost column's.
    rows.push_back({i["tag"].Str(), Short(i["digest"].Str(), 19), HumanBytes(i["size"].Uint()),
                    i.Optional("tagged_at").StrOr("")});
  }
  if (!check.ok()) return Fail(check.error());
  std::printf("%s", Table(rows).c_str());
  return kExitOk;
}

std::string JoinArgv(ReplyView list) {
  std::string out;
  for (ReplyView a : list.Items()) out += (out.empty() ? "" : " ") + a.Str();
  return out.empty() ? "-" : out;
}

int Inspect(api::Client& client, const GlobalOptions& g, const ImageOptions& o) {
  std::string target = "/v1/images/inspect?ref=" + o.ref;
  auto reply = client.Get(target);
  if (!reply.ok()) return Fail(reply.error());
  if (g.json) return PrintJson(*reply);
  ReplyCheck check("GET " + target);
  ReplyView d = check.Root(*reply);
  // Each field read on its own line, so that the problem reported is the first in the reply.
  std::string digest = d["digest"].Str();
  std::string tags;
  for (ReplyView t : d["tags"].Items()) tags += (tags.empty() ? "" : ", ") + t.Str();
  std::string size = HumanBytes(d["size"].Uint());
  std::string os = d["os"].Str();
  std::string architecture = d["architecture"].Str();
  std::string entrypoint = JoinArgv(d["entrypoint"]);
  std::string cmd = JoinArgv(d["cmd"]);
  std::string working_dir = d["working_dir"].Str();
  std::vector<ReplyView> env = d["env"].Items();
  std::vector<ReplyView> layers = d["layers"].Items();
  std::vector<ReplyView> tag_history = d["tag_history"].Items();
  if (!check.ok()) return Fail(check.error());
  // An imported image's config is anyone's text: escaped for the terminal.
  for (std::string* text : {&tags, &os, &architecture, &entrypoint, &cmd, &working_dir}) {
    *text = EscapeForTerminal(*text);
  }
  std::printf("Digest:      %s\nTags:        %s\nSize:        %s\nPlatform:    %s/%s\n",
              digest.c_str(), tags.empty() ? "-" : tags.c_str(), size.c_str(), os.c_str(),
              architecture.c_str());
  std::printf("Entrypoint:  %s\nCmd:         %s\nWorkdir:     %s\n", entrypoint.c_str(),
              cmd.c_str(), working_dir.empty() ? "-" : working_dir.c_str());
  for (ReplyView e : env) std::printf("Env:         %s\n", EscapeForTerminal(e.Str()).c_str());
  std::printf("Layers:\n");
  for (ReplyView l : layers) {
    std::string layer_digest = l["digest"].Str();
    std::string layer_size = HumanBytes(l["size"].Uint());
    std::string media_type = l["media_type"].Str();
    std::printf("  %s  %s  %s\n", layer_digest.c_str(), layer_size.c_str(), media_type.c_str());
  }
  if (!tag_history.empty()) {
    std::printf("Tag history (%s):\n", o.ref.c_str());
    for (ReplyView e : tag_history) {
      std::string at = e["at"].Str();
      std::string was = e["digest"].Str();
      std::printf("  %s  %s\n", at.c_str(), was.empty() ? "(removed)" : was.c_str());
    }
  }
  if (!check.ok()) return Fail(check.error());
  return kExitOk;
}

Result<json> BuildBody(const ImageOptions& o) {
  json body = {{"dir", Absolute(o.path)},
               {"tag", o.tag},
               {"env", o.env},
               {"workdir", o.workdir},
               {"compression", o.compression}};
  auto entrypoint = ParseArgvFlag("--entrypoint", o.entrypoint);
  if (!entrypoint.ok()) return entrypoint.error();
  auto cmd = ParseArgvFlag("--cmd", o.cmd);
  if (!cmd.ok()) return cmd.error();
  body["entrypoint"] = *entrypoint;
  body["cmd"] = *cmd;
  json labels = json::object();
  for (const std::string& kv : o.labels) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--label " + QuoteForTerminal(kv) + ": expected KEY=VALUE");
    }
    labels[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const std::string& kv : o.env) {
    if (kv.find('=') == std::string::npos || kv.front() == '=') {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--env " + QuoteForTerminal(kv) + ": expected KEY=VALUE");
    }
  }
  body["labels"] = labels;
  return body;
}

int Verify(api::Client& client, const GlobalOptions& g, const ImageOptions& o) {
  auto reply = client.Post("/v1/images/verify", {{"ref", o.ref}});
  if (!reply.ok()) return Fail(reply.error());
  ReplyCheck check("POST /v1/images/verify");
  ReplyView r = check.Root(*reply);
  bool ok = r["ok"].Bool();
  if (g.json) {
    if (!check.ok()) return Fail(check.error());  // the exit code depends on `ok`
    PrintJson(*reply);
    return ok ? kExitOk : kExitVerifyFailed;
  }
  uint64_t blobs_checked = r["blobs_checked"].Uint();
  std::vector<ReplyView> problems = ok ? std::vector<ReplyView>() : r["problems"].Items();
  if (!check.ok()) return Fail(check.error());
  if (ok) {
    std::printf("%s: %llu blobs re-hashed, every one intact.\n",
                o.ref.empty() ? "store" : o.ref.c_str(),
                static_cast<unsigned long long>(blobs_checked));
  } else {
    for (ReplyView p : problems) std::fprintf(stderr, "%s\n", p["message"].Str().c_str());
    if (!check.ok()) return Fail(check.error());
    std::fprintf(stderr, "error: %zu of %llu blobs missing or corrupt\n", problems.size(),
                 static_cast<unsigned long long>(blobs_checked));
  }
  return ok ? kExitOk : kExitVerifyFailed;
}

}  // namespace

Result<std::vector<std::string>> ParseArgvFlag(const std::string& flag, const std::string& text) {
  if (text.empty()) return std::vector<std::string>{};
  if (text.front() != '[') return std::vector<std::string>{text};
  json list = json::parse(text, nullptr, false);
  bool ok = list.is_array();
  for (const auto& item : list) ok = ok && item.is_string();
  if (!ok) {
    return MakeError(ErrorCode::kInvalidArgument,
                     flag +
                         ": expected a program (\"/bin/app\") or a JSON array of strings "
                         "('[\"/bin/app\", \"--flag\"]'), found " +
                         text);
  }
  return list.get<std::vector<std::string>>();
}

std::string HumanBytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return buf;
}

int ImageCommand(const GlobalOptions& g, const ImageOptions& o) {
  auto client = ConnectForImages(g);
  if (!client.ok()) return Fail(client.error());
  if (o.action == "ls") return List(*client, g);
  if (o.action == "inspect") return Inspect(*client, g, o);
  if (o.action == "verify") return Verify(*client, g, o);
  if (o.action == "build") {
    auto body = BuildBody(o);
    if (!body.ok()) return Fail(body.error());
    auto r = client->Post("/v1/images/build", *body);
    if (!r.ok()) return Fail(r.error());
    ReplyCheck check("POST /v1/images/build");
    std::string digest = check.Root(*r)["digest"].Str();
    return PrintOrJson(
        g, check, *r,
        o.tag.empty() ? "Built " + digest + " (untagged)." : "Built " + o.tag + " " + digest);
  }
  if (o.action == "import") {
    auto r =
        client->Post("/v1/images/import",
                     {{"path", Absolute(o.path)}, {"tag", o.tag}, {"source_ref", o.source_ref}});
    if (!r.ok()) return Fail(r.error());
    ReplyCheck check("POST /v1/images/import");
    ReplyView root = check.Root(*r);
    std::string text = "Imported " + root["format"].Str() + " " + o.path + ":";
    std::vector<std::pair<std::string, ReplyView>> tags = root["tags"].Members();
    for (const auto& [tag, digest] : tags) text += "\n  " + tag + " " + digest.Str();
    if (tags.empty()) {
      for (ReplyView d : root["digests"].Items()) text += "\n  " + d.Str() + " (untagged)";
    }
    return PrintOrJson(g, check, *r, text);
  }
  if (o.action == "export") {
    auto r = client->Post("/v1/images/export",
                          {{"ref", o.ref}, {"path", Absolute(o.path)}, {"format", o.format}});
    if (!r.ok()) return Fail(r.error());
    ReplyCheck check("POST /v1/images/export");
    std::string digest = check.Root(*r)["manifest"]["digest"].Str();
    return PrintOrJson(g, check, *r,
                       "Exported " + o.ref + " (" + digest + ") to " + o.path + " as " +
                           (o.format == "oci" ? "an OCI layout" : "an OCI archive"));
  }
  if (o.action == "tag") {
    auto r = client->Post("/v1/images/tag", {{"ref", o.ref}, {"tag", o.tag}});
    if (!r.ok()) return Fail(r.error());
    ReplyCheck check("POST /v1/images/tag");
    std::string digest = check.Root(*r)["digest"].Str();
    return PrintOrJson(g, check, *r, "Tagged " + o.tag + " " + digest);
  }
  if (o.action == "rm") {
    auto r = client->Post("/v1/images/rm", {{"tag", o.tag}});
    if (!r.ok()) return Fail(r.error());
    ReplyCheck check("POST /v1/images/rm");
    std::string digest = check.Root(*r)["digest"].Str();
    return PrintOrJson(g, check, *r,
                       "Removed tag " + o.tag + " (was " + digest +
                           "); its blobs go at the next `cairn image gc` unless a revision or "
                           "another tag needs them.");
  }
  if (o.action == "gc") {
    auto r = client->Post("/v1/images/gc", {{"keep_revisions", o.keep_revisions}});
    if (!r.ok()) return Fail(r.error());
    ReplyCheck check("POST /v1/images/gc");
    ReplyView root = check.Root(*r);
    size_t removed = root["removed"].Items().size();
    uint64_t bytes_freed = root["bytes_freed"].Uint();
    uint64_t kept = root["kept"].Uint();
    uint64_t spared_young = root["spared_young"].Uint();
    char text[256];
    std::snprintf(text, sizeof text,
                  "Removed %zu blobs (%s); kept %llu, spared %llu written in the last hour.",
                  removed, HumanBytes(bytes_freed).c_str(), static_cast<unsigned long long>(kept),
                  static_cast<unsigned long long>(spared_young));
    return PrintOrJson(g, check, *r, text);
  }
  return Fail(MakeError(ErrorCode::kInvalidArgument, "unknown image command " + o.action));
}

int VerifyCommand(const GlobalOptions& g) {
  auto client = ConnectForImages(g);
  if (!client.ok()) return Fail(client.error());
  auto r = client->Post("/v1/verify", json::object());
  if (!r.ok()) return Fail(r.error());
  ReplyCheck check("POST /v1/verify");
  ReplyView root = check.Root(*r);
  bool drifted = root["drifted"].Bool();
  std::vector<ReplyView> images = g.json ? std::vector<ReplyView>() : root["images"].Items();
  if (!check.ok()) return Fail(check.error());
  if (g.json) {
    std::printf("%s\n", r->dump(2).c_str());
    return drifted ? kExitVerifyFailed : kExitOk;
  }
  if (images.empty()) std::printf("No instance runs an image.\n");
  for (ReplyView i : images) {
    std::string digest = i["digest"].Str();
    if (i["intact"].Bool()) {
      std::printf("%s: intact\n", digest.c_str());
      continue;
    }
    if (std::string error = i["error"].Str(); !error.empty()) {
      std::printf("%s: could not be checked: %s\n", digest.c_str(), error.c_str());
      continue;
    }
    std::printf("%s: DRIFTED — %lld instance(s) being replaced from a fresh unpack\n",
                digest.c_str(), static_cast<long long>(i["replaced"].Int()));
    for (ReplyView d : i["differences"].Items()) std::printf("  %s\n", d.Str().c_str());
    if (std::string quarantined = i["quarantined"].Str(); !quarantined.empty()) {
      std::printf("  the changed tree is kept at %s\n", quarantined.c_str());
    }
  }
  if (!check.ok()) return Fail(check.error());
  return drifted ? kExitVerifyFailed : kExitOk;
}

}  // namespace cairn::cli
