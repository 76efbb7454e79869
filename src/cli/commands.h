// The client commands. Each returns the process exit code (see cli.h).
#pragma once

#include <optional>
#include <string>

#include "api/client.h"

namespace cairn::cli {

struct GlobalOptions {
  std::string addr;   // empty: $CAIRN_ADDR, else 127.0.0.1:7400
  bool json = false;  // -o json
};

struct ApplyOptions {
  std::string file = "cairn.yaml";
  std::string author;  // empty: $USER
  std::string message;
  std::optional<int64_t> expect_revision;
  bool wait = false;
  bool detailed_exitcode = false;  // plan only
};

Result<api::Client> Connect(const GlobalOptions& g);
std::string DefaultAuthor();

int PlanCommand(const GlobalOptions& g, const ApplyOptions& o);
int ApplyCommand(const GlobalOptions& g, const ApplyOptions& o);
int RollbackCommand(const GlobalOptions& g, int64_t revision, const ApplyOptions& o);
int StatusCommand(const GlobalOptions& g, const std::string& service);
int HistoryCommand(const GlobalOptions& g);
int DiffCommand(const GlobalOptions& g, int64_t from, int64_t to);
int LogsCommand(const GlobalOptions& g, const std::string& service, bool follow, int tail);
int VersionCommand(const GlobalOptions& g);
int AuditCommand(const GlobalOptions& g, int limit);
int TrafficCommand(const GlobalOptions& g, const std::string& service);

// Polls status (printing events as they come) until every service's rollout has finished
// at the head revision (kExitOk) or one failed (kExitRolloutFailed). `keep_going` false ends
// it early with kExitOk.
int WaitForRollout(api::Client& client, int64_t revision, const bool* keep_going = nullptr);
// Prints events after `*after_seq` and advances it. A request that fails is skipped (the next
// call asks again); a reply that is not what this cairn expects is an error naming the field.
Status PrintNewEvents(api::Client& client, int64_t* after_seq);
// What `cairn status [SERVICE]` prints for a /v1/status reply (only SERVICE's rows when not
// empty), or an error naming the first field missing or of the wrong type.
Result<std::string> RenderStatus(const nlohmann::json& status, const std::string& service);

}  // namespace cairn::cli
