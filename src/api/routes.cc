#include "api/routes.h"

#include "api/json_views.h"
#include "api/reply.h"
#include "api/request_fields.h"
#include "api/rollout_routes.h"
#include "plan/plan.h"

namespace cairn::api {
namespace {

using nlohmann::json;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string UrlDecode(const std::string& in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out.push_back(' ');
    } else if (in[i] == '%' && i + 2 < in.size() && HexValue(in[i + 1]) >= 0 &&
               HexValue(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2])));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

// Parses a whole non-negative integer, or returns -1.
int64_t ParseNumber(const std::string& text) {
  if (text.empty() || text.size() > 18) return -1;
  int64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

std::optional<int64_t> OptionalNumber(const json& body, const char* key) {
  if (!body.contains(key) || body[key].is_null()) return std::nullopt;
  return body[key].get<int64_t>();
}

Reply ApplyReply(const Result<control::ApplyResult>& result) {
  if (!result.ok()) return ErrorReply(result.error());
  json body = PlanResponse(result->plan);
  body["revision"] = result->revision ? RevisionToJson(*result->revision, false) : json(nullptr);
  return JsonReply(body);
}

Reply Diff(control::Controller& controller, const Request& req) {
  int64_t from = ParseNumber(req.query.count("from") ? req.query.at("from") : "");
  int64_t to = ParseNumber(req.query.count("to") ? req.query.at("to") : "");
  if (from < 0 || to < 0) return BadRequest("diff needs ?from=N&to=M with revision numbers");
  auto a = controller.store().GetRevision(from);
  if (!a.ok()) return ErrorReply(a.error());
  auto b = controller.store().GetRevision(to);
  if (!b.ok()) return ErrorReply(b.error());
  auto changes = plan::DiffJson(json::parse(a->spec_json), json::parse(b->spec_json));
  json list = json::array();
  for (const auto& c : changes) {
    list.push_back({{"path", c.path},
                    {"old", c.old_value ? *c.old_value : json(nullptr)},
                    {"new", c.new_value ? *c.new_value : json(nullptr)},
                    {"kind", !c.old_value   ? "added"
                             : !c.new_value ? "removed"
                                            : "changed"}});
  }
  return JsonReply({{"from", from},
                    {"to", to},
                    {"changes", list},
                    {"text", plan::RenderFieldChanges(changes, false)},
                    {"text_color", plan::RenderFieldChanges(changes, true)}});
}

Reply Post(control::Controller& controller, const Request& req) {
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return BadRequest("request body must be JSON");
  try {
    if (req.path == "/v1/plan") {
      if (Status file = CheckTextField("file", body.value("file", ""), kMaxFileNameBytes);
          !file.ok()) {
        return ErrorReply(file.error());
      }
      auto plan = controller.Plan(body.value("yaml", ""), body.value("file", ""));
      if (!plan.ok()) return ErrorReply(plan.error());
      return JsonReply(PlanResponse(*plan));
    }
    if (req.path == "/v1/apply") {
      control::ApplyRequest apply;
      apply.yaml = body.value("yaml", "");
      apply.file = body.value("file", "");
      apply.author = body.value("author", "");
      apply.message = body.value("message", "");
      apply.expect_revision = OptionalNumber(body, "expect_revision");
      if (apply.author.empty()) return BadRequest("apply needs an author");
      for (const Status& field : {CheckTextField("author", apply.author, kMaxAuthorBytes),
                                  CheckTextField("message", apply.message, kMaxMessageBytes, true),
                                  CheckTextField("file", apply.file, kMaxFileNameBytes)}) {
        if (!field.ok()) return ErrorReply(field.error());
      }
      return ApplyReply(controller.Apply(apply));
    }
    if (req.path == "/v1/rollback") {
      auto revision = OptionalNumber(body, "revision");
      if (!revision) return BadRequest("rollback needs a revision number");
      std::string author = body.value("author", "");
      if (author.empty()) return BadRequest("rollback needs an author");
      std::string message = body.value("message", "");
      for (const Status& field : {CheckTextField("author", author, kMaxAuthorBytes),
                                  CheckTextField("message", message, kMaxMessageBytes, true)}) {
        if (!field.ok()) return ErrorReply(field.error());
      }
      return ApplyReply(
          controller.Rollback(*revision, author, message, OptionalNumber(body, "expect_revision")));
    }
  } catch (const json::exception& e) {
    return BadRequest(std::string("malformed request: ") + e.what());
  }
  return ErrorReply(MakeError(ErrorCode::kNotFound, "no such endpoint: POST " + req.path));
}

Reply Get(control::Controller& controller, const Request& req, const router::Router* router) {
  if (req.path == "/v1/version") {
    return JsonReply({{"version", CAIRN_VERSION}, {"api", "v1"}});
  }
  if (req.path == "/v1/status") return JsonReply(StatusWithRollouts(controller));
  if (req.path == "/v1/traffic") {
    if (!router) {
      return ErrorReply(MakeError(ErrorCode::kUnavailable, "this server runs no router"));
    }
    return JsonReply(TrafficToJson(router->Stats()));
  }
  if (req.path == "/v1/revisions") {
    auto list = controller.store().ListRevisions();
    if (!list.ok()) return ErrorReply(list.error());
    json out = json::array();
    for (const auto& rev : *list) out.push_back(RevisionToJson(rev, false));
    return JsonReply(out);
  }
  if (req.path.starts_with("/v1/revisions/")) {
    int64_t n = ParseNumber(req.path.substr(14));
    if (n < 0) return BadRequest("revision must be a number");
    auto rev = controller.store().GetRevision(n);
    if (!rev.ok()) return ErrorReply(rev.error());
    return JsonReply(RevisionToJson(*rev, true));
  }
  if (req.path == "/v1/diff") return Diff(controller, req);
  if (req.path == "/v1/events") {
    int64_t after = req.query.count("after") ? ParseNumber(req.query.at("after")) : 0;
    int64_t limit = req.query.count("limit") ? ParseNumber(req.query.at("limit")) : 0;
    if (after < 0 || limit < 0) return BadRequest("after and limit must be whole numbers");
    std::string service = req.query.count("service") ? req.query.at("service") : "";
    std::vector<telemetry::Event> events;
    if (req.query.count("last")) {
      int64_t last = ParseNumber(req.query.at("last"));
      if (last < 0) return BadRequest("last must be a whole number");
      events = controller.events().Last(static_cast<size_t>(last), service);
    } else {
      events = controller.events().Since(after, service, static_cast<size_t>(limit));
    }
    json out = json::array();
    for (const auto& e : events) out.push_back(telemetry::EventToJson(e));
    return JsonReply(out);
  }
  if (req.path == "/v1/audit") {
    int64_t limit = req.query.count("limit") ? ParseNumber(req.query.at("limit")) : 100;
    auto list = controller.store().ListAudit(static_cast<int>(limit < 0 ? 100 : limit));
    if (!list.ok()) return ErrorReply(list.error());
    json out = json::array();
    for (const auto& r : *list) out.push_back(AuditToJson(r));
    return JsonReply(out);
  }
  return ErrorReply(MakeError(ErrorCode::kNotFound, "no such endpoint: GET " + req.path));
}

}  // namespace

void SplitTarget(const std::string& target, std::string* path,
                 std::map<std::string, std::string>* query) {
  size_t q = target.find('?');
  *path = target.substr(0, q);
  if (q == std::string::npos) return;
  std::string rest = target.substr(q + 1);
  size_t pos = 0;
  while (pos <= rest.size()) {
    size_t amp = rest.find('&', pos);
    if (amp == std::string::npos) amp = rest.size();
    std::string pair = rest.substr(pos, amp - pos);
    size_t eq = pair.find('=');
    if (!pair.empty()) {
      (*query)[UrlDecode(pair.substr(0, eq))] =
          eq == std::string::npos ? "" : UrlDecode(pair.substr(eq + 1));
    }
    pos = amp + 1;
  }
}

Reply Route(control::Controller& controller, const Request& request, const router::Router* router) {
  if (IsRolloutPath(request.path) && (request.method == "GET" || request.method == "POST")) {
    return RolloutRoute(controller, request);
  }
  if (request.method == "GET") return Get(controller, request, router);
  if (request.method == "POST") return Post(controller, request);
  return ErrorReply(
      MakeError(ErrorCode::kInvalidArgument, "method " + request.method + " is not allowed here"));
}

}  // namespace cairn::api
