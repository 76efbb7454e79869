#include "api/reply.h"

#include "api/json_views.h"

namespace cairn::api {

unsigned HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
    case ErrorCode::kAlreadyExists:
      return 409;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kIo:
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

Reply JsonReply(const nlohmann::json& body, unsigned status) {
  return Reply{status, "application/json", body.dump(2) + "\n"};
}

Reply ErrorReply(const Error& error) {
  return JsonReply(ErrorToJson(error), HttpStatusFor(error.code));
}

Reply BadRequest(const std::string& message) {
  return ErrorReply(MakeError(ErrorCode::kInvalidArgument, message));
}

}  // namespace cairn::api
