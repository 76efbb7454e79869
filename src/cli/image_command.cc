#include "cli/image_command.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "cli/cli.h"
#include "cli/output.h"

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

int PrintOrJson(const GlobalOptions& g, const json& body, const std::string& text) {
  if (g.json) {
    std::printf("%s\n", body.dump(2).c_str());
  } else {
    std::printf("%s\n", text.c_str());
  }
  return kExitOk;
}

int List(api::Client& client, const GlobalOptions& g) {
  auto list = client.Get("/v1/images");
  if (!list.ok()) return Fail(list.error());
  if (g.json) return PrintOrJson(g, *list, "");
  if (list->empty()) {
    std::printf("No images yet: `cairn image build DIR --tag NAME:TAG` or `cairn image import`.\n");
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {{"TAG", "DIGEST", "SIZE", "TAGGED"}};
  for (const auto& i : *list) {
    rows.push_back({i["tag"], Short(i["digest"].get<std::string>(), 19),
                    HumanBytes(i["size"].get<uint64_t>()), i.value("tagged_at", "")});
  }
  std::printf("%s", Table(rows).c_str());
  return kExitOk;
}

std::string JoinArgv(const json& list) {
  std::string out;
  for (const auto& a : list) out += (out.empty() ? "" : " ") + a.get<std::string>();
  return out.empty() ? "-" : out;
}

int Inspect(api::Client& client, const GlobalOptions& g, const ImageOptions& o) {
  auto d = client.Get("/v1/images/inspect?ref=" + o.ref);
  if (!d.ok()) return Fail(d.error());
  if (g.json) return PrintOrJson(g, *d, "");
  std::string tags;
  for (const auto& t : (*d)["tags"]) tags += (tags.empty() ? "" : ", ") + t.get<std::string>();
  std::printf("Digest:      %s\nTags:        %s\nSize:        %s\nPlatform:    %s/%s\n",
              (*d)["digest"].get<std::string>().c_str(), tags.empty() ? "-" : tags.c_str(),
              HumanBytes((*d)["size"].get<uint64_t>()).c_str(),
              (*d)["os"].get<std::string>().c_str(),
              (*d)["architecture"].get<std::string>().c_str());
  std::printf("Entrypoint:  %s\nCmd:         %s\nWorkdir:     %s\n",
              JoinArgv((*d)["entrypoint"]).c_str(), JoinArgv((*d)["cmd"]).c_str(),
              (*d)["working_dir"].get<std::string>().empty()
                  ? "-"
                  : (*d)["working_dir"].get<std::string>().c_str());
  for (const auto& e : (*d)["env"]) std::printf("Env:         %s\n", e.get<std::string>().c_str());
  std::printf("Layers:\n");
  for (const auto& l : (*d)["layers"]) {
    std::printf("  %s  %s  %s\n", l["digest"].get<std::string>().c_str(),
                HumanBytes(l["size"].get<uint64_t>()).c_str(),
                l["media_type"].get<std::string>().c_str());
  }
  if (!(*d)["tag_history"].empty()) {
    std::printf("Tag history (%s):\n", o.ref.c_str());
    for (const auto& e : (*d)["tag_history"]) {
      std::string digest = e["digest"];
      std::printf("  %s  %s\n", e["at"].get<std::string>().c_str(),
                  digest.empty() ? "(removed)" : digest.c_str());
    }
  }
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
      return MakeError(ErrorCode::kInvalidArgument, "--label \"" + kv + "\": expected KEY=VALUE");
    }
    labels[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const std::string& kv : o.env) {
    if (kv.find('=') == std::string::npos || kv.front() == '=') {
      return MakeError(ErrorCode::kInvalidArgument, "--env \"" + kv + "\": expected KEY=VALUE");
    }
  }
  body["labels"] = labels;
  return body;
}

int Verify(api::Client& client, const GlobalOptions& g, const ImageOptions& o) {
  auto r = client.Post("/v1/images/verify", {{"ref", o.ref}});
  if (!r.ok()) return Fail(r.error());
  bool ok = (*r)["ok"].get<bool>();
  if (g.json) {
    PrintOrJson(g, *r, "");
  } else if (ok) {
    std::printf("%s: %llu blobs re-hashed, every one intact.\n",
                o.ref.empty() ? "store" : o.ref.c_str(),
                static_cast<unsigned long long>((*r)["blobs_checked"].get<uint64_t>()));
  } else {
    for (const auto& p : (*r)["problems"]) {
      std::fprintf(stderr, "%s\n", p["message"].get<std::string>().c_str());
    }
    std::fprintf(stderr, "error: %zu of %llu blobs missing or corrupt\n", (*r)["problems"].size(),
                 static_cast<unsigned long long>((*r)["blobs_checked"].get<uint64_t>()));
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
    std::string digest = (*r)["digest"];
    return PrintOrJson(
        g, *r,
        o.tag.empty() ? "Built " + digest + " (untagged)." : "Built " + o.tag + " " + digest);
  }
  if (o.action == "import") {
    auto r =
        client->Post("/v1/images/import",
                     {{"path", Absolute(o.path)}, {"tag", o.tag}, {"source_ref", o.source_ref}});
    if (!r.ok()) return Fail(r.error());
    std::string text = "Imported " + (*r)["format"].get<std::string>() + " " + o.path + ":";
    for (const auto& [tag, digest] : (*r)["tags"].items()) {
      text += "\n  " + tag + " " + digest.get<std::string>();
    }
    if ((*r)["tags"].empty()) {
      for (const auto& d : (*r)["digests"]) text += "\n  " + d.get<std::string>() + " (untagged)";
    }
    return PrintOrJson(g, *r, text);
  }
  if (o.action == "export") {
    auto r = client->Post("/v1/images/export",
                          {{"ref", o.ref}, {"path", Absolute(o.path)}, {"format", o.format}});
    if (!r.ok()) return Fail(r.error());
    return PrintOrJson(g, *r,
                       "Exported " + o.ref + " (" + (*r)["manifest"]["digest"].get<std::string>() +
                           ") to " + o.path + " as " +
                           (o.format == "oci" ? "an OCI layout" : "an OCI archive"));
  }
  if (o.action == "tag") {
    auto r = client->Post("/v1/images/tag", {{"ref", o.ref}, {"tag", o.tag}});
    if (!r.ok()) return Fail(r.error());
    return PrintOrJson(g, *r, "Tagged " + o.tag + " " + (*r)["digest"].get<std::string>());
  }
  if (o.action == "rm") {
    auto r = client->Post("/v1/images/rm", {{"tag", o.tag}});
    if (!r.ok()) return Fail(r.error());
    return PrintOrJson(g, *r,
                       "Removed tag " + o.tag + " (was " + (*r)["digest"].get<std::string>() +
                           "); its blobs go at the next `cairn image gc` unless a revision or "
                           "another tag needs them.");
  }
  if (o.action == "gc") {
    auto r = client->Post("/v1/images/gc", {{"keep_revisions", o.keep_revisions}});
    if (!r.ok()) return Fail(r.error());
    char text[256];
    std::snprintf(text, sizeof text,
                  "Removed %zu blobs (%s); kept %llu, spared %llu written in the last hour.",
                  (*r)["removed"].size(), HumanBytes((*r)["bytes_freed"].get<uint64_t>()).c_str(),
                  static_cast<unsigned long long>((*r)["kept"].get<uint64_t>()),
                  static_cast<unsigned long long>((*r)["spared_young"].get<uint64_t>()));
    return PrintOrJson(g, *r, text);
  }
  return Fail(MakeError(ErrorCode::kInvalidArgument, "unknown image command " + o.action));
}

int VerifyCommand(const GlobalOptions& g) {
  auto client = ConnectForImages(g);
  if (!client.ok()) return Fail(client.error());
  auto r = client->Post("/v1/verify", json::object());
  if (!r.ok()) return Fail(r.error());
  bool drifted = (*r)["drifted"].get<bool>();
  if (g.json) {
    std::printf("%s\n", r->dump(2).c_str());
    return drifted ? kExitVerifyFailed : kExitOk;
  }
  if ((*r)["images"].empty()) std::printf("No instance runs an image.\n");
  for (const auto& i : (*r)["images"]) {
    std::string digest = i["digest"];
    if (i["intact"].get<bool>()) {
      std::printf("%s: intact\n", digest.c_str());
      continue;
    }
    if (!i["error"].get<std::string>().empty()) {
      std::printf("%s: could not be checked: %s\n", digest.c_str(),
                  i["error"].get<std::string>().c_str());
      continue;
    }
    std::printf("%s: DRIFTED — %d instance(s) being replaced from a fresh unpack\n", digest.c_str(),
                i["replaced"].get<int>());
    for (const auto& d : i["differences"]) std::printf("  %s\n", d.get<std::string>().c_str());
    if (!i["quarantined"].get<std::string>().empty()) {
      std::printf("  the changed tree is kept at %s\n",
                  i["quarantined"].get<std::string>().c_str());
    }
  }
  return drifted ? kExitVerifyFailed : kExitOk;
}

}  // namespace cairn::cli
