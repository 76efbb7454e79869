#include "api/rollout_routes.h"

#include "api/json_views.h"
#include "api/reply.h"
#include "api/request_fields.h"
#include "api/rollout_view.h"

namespace cairn::api {
namespace {

using nlohmann::json;

constexpr std::string_view kPrefix = "/v1/rollouts/";

// The rollout view with the current step read from the new revision's spec (a canary's
// steps are not part of ProgressiveInfo; the revision holds them as the user wrote them).
json ViewOf(control::Controller& controller, const std::string& service,
            const control::ProgressiveInfo& info) {
  json step = nullptr;
  if (info.strategy == "canary") {
    auto revision = controller.store().GetRevision(info.new_revision);
    if (revision.ok()) {
      step = CurrentStepSpec(json::parse(revision->spec_json, nullptr, false), service, info);
    }
  }
  return RolloutToJson(info, step);
}

Error NoRollout(const std::string& service) {
  return MakeError(ErrorCode::kNotFound, "no rollout of " + service + " is in progress");
}

Reply Show(control::Controller& controller, const std::string& service) {
  for (const auto& s : controller.Snapshot().services) {
    if (s.name != service) continue;
    if (!s.progressive) return ErrorReply(NoRollout(service));
    return JsonReply(ViewOf(controller, service, *s.progressive));
  }
  return ErrorReply(MakeError(ErrorCode::kNotFound, "no service named \"" + service + "\""));
}

Reply Command(control::Controller& controller, const Request& req, const std::string& service,
              rollout::RolloutCommand command) {
  std::string author = kDefaultRolloutAuthor;
  if (!req.body.empty()) {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return BadRequest("request body must be JSON");
    if (body.contains("author")) {
      if (!body["author"].is_string()) return BadRequest("author must be a string");
      if (!body["author"].get<std::string>().empty()) author = body["author"].get<std::string>();
      if (Status ok = CheckTextField("author", author, kMaxAuthorBytes); !ok.ok()) {
        return ErrorReply(ok.error());
      }
    }
  }
  auto info = controller.RolloutCommand(service, command, author);
  if (!info.ok()) return ErrorReply(info.error());
  return JsonReply(ViewOf(controller, service, *info));
}

}  // namespace

bool IsRolloutPath(const std::string& path) { return path.starts_with(kPrefix); }

Reply RolloutRoute(control::Controller& controller, const Request& req) {
  std::string rest = req.path.substr(kPrefix.size());
  size_t slash = rest.find('/');
  std::string service = rest.substr(0, slash);
  std::string action = slash == std::string::npos ? "" : rest.substr(slash + 1);
  auto unknown = [&] {
    return ErrorReply(
        MakeError(ErrorCode::kNotFound, "no such endpoint: " + req.method + " " + req.path));
  };
  if (service.empty()) return unknown();
  if (req.method == "GET" && slash == std::string::npos) return Show(controller, service);
  if (req.method == "POST" && !action.empty()) {
    auto command = RolloutCommandFromPath(action);
    if (!command) {
      return ErrorReply(MakeError(ErrorCode::kNotFound,
                                  "no rollout command \"" + action +
                                      "\"; one of promote, promote-full, abort, pause, resume, "
                                      "retry, undo"));
    }
    return Command(controller, req, service, *command);
  }
  return unknown();
}

json StatusWithRollouts(control::Controller& controller) {
  control::StatusInfo status = controller.Snapshot();
  json body = StatusToJson(status);
  for (size_t i = 0; i < status.services.size(); ++i) {
    const control::ServiceInfo& s = status.services[i];
    if (s.progressive)
      body["services"][i]["progressive"] = ViewOf(controller, s.name, *s.progressive);
  }
  return body;
}

}  // namespace cairn::api
