#include "api/image_routes.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <nlohmann/json.hpp>

#include "api/reply.h"
#include "api/request_fields.h"

namespace cairn::api {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

json DescriptorJson(const image::Descriptor& d) {
  json out = {{"media_type", d.media_type}, {"digest", d.digest}, {"size", d.size}};
  if (!d.annotations.empty()) out["annotations"] = d.annotations;
  return out;
}

json SummaryJson(const image::ImageSummary& s) {
  return {{"tag", s.tag},
          {"digest", s.digest},
          {"size", s.size},
          {"created", s.created},
          {"tagged_at", s.tagged_at}};
}

json DetailsJson(const image::ImageDetails& d, const std::vector<image::TagEvent>& history) {
  json layers = json::array();
  for (const auto& l : d.manifest.layers) layers.push_back(DescriptorJson(l));
  json events = json::array();
  for (const auto& e : history) events.push_back({{"digest", e.digest}, {"at", e.at}});
  const image::ImageConfig& c = d.config;
  return {{"digest", d.digest},
          {"size", d.size},
          {"tags", d.tags},
          {"config", DescriptorJson(d.manifest.config)},
          {"layers", layers},
          {"created", c.created},
          {"os", c.os},
          {"architecture", c.architecture},
          {"entrypoint", c.entrypoint},
          {"cmd", c.cmd},
          {"env", c.env},
          {"working_dir", c.working_dir},
          {"labels", c.labels},
          {"diff_ids", c.diff_ids},
          {"tag_history", events}};
}

json VerifyJson(const image::VerifyReport& r) {
  json problems = json::array();
  for (const auto& p : r.problems) {
    problems.push_back({{"digest", p.digest},
                        {"path", p.path},
                        {"problem", p.problem},
                        {"referrer", p.referrer},
                        {"message", p.ToString()}});
  }
  return {{"ok", r.ok()}, {"blobs_checked", r.blobs_checked}, {"problems", problems}};
}

json GcJson(const image::GcReport& r) {
  json removed = json::array();
  for (const auto& b : r.removed) removed.push_back({{"digest", b.digest}, {"size", b.size}});
  return {{"removed", removed},
          {"bytes_freed", r.bytes_freed},
          {"kept", r.kept},
          {"spared_young", r.spared_young},
          {"uploads_removed", r.uploads_removed}};
}

std::vector<std::string> Strings(const json& body, const char* key) {
  std::vector<std::string> out;
  if (!body.contains(key)) return out;
  for (const auto& v : body.at(key)) out.push_back(v.get<std::string>());
  return out;
}

// The store call for one request: runs on the pool, touches nothing but the store.
std::function<Reply()> Work(image::ImageStore& store, const Request& req, const json& body,
                            std::vector<std::string> roots, StoreGcCounters* gc_counters) {
  if (req.method == "GET" && req.path == "/v1/images") {
    return [&store] {
      auto list = store.List();
      if (!list.ok()) return ErrorReply(list.error());
      json out = json::array();
      for (const auto& s : *list) out.push_back(SummaryJson(s));
      return JsonReply(out);
    };
  }
  if (req.method == "GET" && req.path == "/v1/images/inspect") {
    std::string ref = req.query.count("ref") ? req.query.at("ref") : "";
    return [&store, ref] {
      if (ref.empty()) return BadRequest("inspect needs ?ref=NAME:TAG or a digest");
      auto details = store.Inspect(ref);
      if (!details.ok()) return ErrorReply(details.error());
      std::vector<image::TagEvent> history;
      if (!ref.starts_with("sha256:") && ref.find('@') == std::string::npos) {
        auto events = store.TagHistory(ref);
        if (events.ok()) history = *events;
      }
      return JsonReply(DetailsJson(*details, history));
    };
  }
  if (req.method != "POST") return nullptr;
  std::string op = req.path.substr(std::string("/v1/images/").size());
  if (op == "build") {
    image::BuildOptions o;
    o.tag = body.value("tag", "");
    o.entrypoint = Strings(body, "entrypoint");
    o.cmd = Strings(body, "cmd");
    o.env = Strings(body, "env");
    o.workdir = body.value("workdir", "");
    if (body.contains("labels")) {
      o.labels = body.at("labels").get<std::map<std::string, std::string>>();
    }
    std::string compression = body.value("compression", "gzip");
    std::string dir = body.value("dir", "");
    return [&store, o, compression, dir]() mutable {
      if (dir.empty()) return BadRequest("build needs the directory to build (dir)");
      // What the image config stores, bounded before the build reads a file of the tree.
      if (Status fields = CheckImageConfigFields(o.entrypoint, o.cmd, o.env, o.labels);
          !fields.ok()) {
        return ErrorReply(fields.error());
      }
      if (compression == "zstd") {
        o.compression = image::Compression::kZstd;
      } else if (compression != "gzip") {
        return BadRequest("compression must be gzip or zstd, not \"" + compression + "\"");
      }
      auto digest = store.Build(dir, o);
      if (!digest.ok()) return ErrorReply(digest.error());
      return JsonReply({{"digest", *digest}, {"tag", o.tag}});
    };
  }
  if (op == "import") {
    image::ImportOptions o;
    o.tag = body.value("tag", "");
    o.source_ref = body.value("source_ref", "");
    std::string path = body.value("path", "");
    return [&store, o, path] {
      if (path.empty()) return BadRequest("import needs the path of a layout or archive (path)");
      auto report = store.Import(path, o);
      if (!report.ok()) return ErrorReply(report.error());
      return JsonReply(
          {{"format", report->format}, {"digests", report->digests}, {"tags", report->tags}});
    };
  }
  if (op == "export") {
    image::ExportOptions o;
    std::string format = body.value("format", "oci");
    std::string ref = body.value("ref", "");
    std::string path = body.value("path", "");
    o.ref_name = body.value("ref_name", "");
    return [&store, o, format, ref, path]() mutable {
      if (ref.empty() || path.empty()) return BadRequest("export needs ref and path");
      if (format == "oci-archive") {
        o.format = image::ExportFormat::kOciArchive;
      } else if (format != "oci") {
        return BadRequest("format must be oci or oci-archive, not \"" + format + "\"");
      }
      auto written = store.Export(ref, path, o);
      if (!written.ok()) return ErrorReply(written.error());
      return JsonReply(
          {{"path", path}, {"format", format}, {"manifest", DescriptorJson(*written)}});
    };
  }
  if (op == "tag") {
    std::string ref = body.value("ref", "");
    std::string tag = body.value("tag", "");
    return [&store, ref, tag] {
      if (ref.empty() || tag.empty()) return BadRequest("tag needs ref and tag");
      auto digest = store.Resolve(ref);
      if (!digest.ok()) return ErrorReply(digest.error());
      if (Status ok = store.Tag(tag, *digest); !ok.ok()) return ErrorReply(ok.error());
      return JsonReply({{"tag", tag}, {"digest", *digest}});
    };
  }
  if (op == "rm") {
    std::string tag = body.value("tag", "");
    return [&store, tag] {
      if (tag.empty()) return BadRequest("rm needs the tag to remove (tag)");
      auto digest = store.Resolve(tag);
      if (!digest.ok()) return ErrorReply(digest.error());
      if (Status ok = store.Untag(tag); !ok.ok()) return ErrorReply(ok.error());
      return JsonReply({{"tag", tag}, {"digest", *digest}});
    };
  }
  if (op == "verify") {
    std::string ref = body.value("ref", "");
    return [&store, ref] {
      auto report = ref.empty() ? store.Verify() : store.Verify(ref);
      if (!report.ok()) return ErrorReply(report.error());
      return JsonReply(VerifyJson(*report));
    };
  }
  if (op == "gc") {
    return [&store, roots = std::move(roots), gc_counters] {
      auto report = store.Gc(roots);
      if (gc_counters) gc_counters->Record(report);
      if (!report.ok()) return ErrorReply(report.error());
      return JsonReply(GcJson(*report));
    };
  }
  return nullptr;
}

// A coroutine taking `work` as a parameter, which lives in its frame (a capturing lambda
// coroutine would keep only a pointer to a closure that is gone by the time it runs).
asio::awaitable<Reply> RunWork(std::function<Reply()> work) { co_return work(); }

}  // namespace

bool IsImagePath(const std::string& path) {
  return path == "/v1/images" || path.starts_with("/v1/images/");
}

asio::awaitable<Reply> ImageRoute(image::ImageStore& store, ImagePools pools,
                                  control::Controller& controller, Request request,
                                  StoreGcCounters* gc_counters) {
  json body = json::object();
  if (request.method == "POST") {
    body = json::parse(request.body.empty() ? "{}" : request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) co_return BadRequest("request body must be JSON");
  }
  // What gc must keep is read here, on the strand, where the controller lives.
  std::vector<std::string> roots;
  if (request.method == "POST" && request.path == "/v1/images/gc") {
    const json& keep = body.contains("keep_revisions") ? body["keep_revisions"] : json(0);
    if (!keep.is_number_integer() || keep.get<int64_t>() < 0) {
      co_return BadRequest("keep_revisions must be a whole number >= 0 (0: every revision)");
    }
    auto kept = controller.ImageRoots(static_cast<int>(keep.get<int64_t>()));
    if (!kept.ok()) co_return ErrorReply(kept.error());
    roots = std::move(*kept);
  }
  std::function<Reply()> work;
  std::string malformed;
  try {
    work = Work(store, request, body, std::move(roots), gc_counters);
  } catch (const nlohmann::json::exception& e) {
    malformed = std::string("malformed request: ") + e.what();
  }
  if (!malformed.empty()) co_return BadRequest(malformed);
  if (!work) {
    co_return ErrorReply(MakeError(ErrorCode::kNotFound,
                                   "no such endpoint: " + request.method + " " + request.path));
  }
  asio::thread_pool& pool = request.method == "GET" ? pools.read : pools.work;
  auto strand = co_await asio::this_coro::executor;
  Reply reply = co_await asio::co_spawn(pool, RunWork(std::move(work)), asio::use_awaitable);
  // Boost 1.74 resumes this coroutine on the pool's thread: go back to the strand before the
  // session touches its socket or the controller again.
  co_await asio::post(strand, asio::use_awaitable);
  co_return reply;
}

}  // namespace cairn::api
