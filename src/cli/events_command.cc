#include "cli/events_command.h"

#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>

#include "api/sse_reader.h"
#include "cli/cli.h"
#include "cli/output.h"
#include "cli/reply_view.h"
#include "core/terminal_text.h"

namespace cairn::cli {
namespace {

std::string Text(const nlohmann::json& event, const char* key) {
  return event.contains(key) && event[key].is_string() ? event[key].get<std::string>() : "";
}

void Print(const GlobalOptions& g, const nlohmann::json& event) {
  if (g.json) {
    std::printf("%s\n", event.dump().c_str());  // one object a line, for jq and scripts
  } else {
    std::printf("%s\n", EventLine(event).c_str());
  }
  std::fflush(stdout);
}

std::string Query(const EventsOptions& o) {
  return o.service.empty() ? "" : "&service=" + o.service;
}

// Follows the stream from `after` until interrupted; reconnects when the server goes away.
int Follow(const GlobalOptions& g, api::Client& client, const EventsOptions& o, int64_t after) {
  bool announced_loss = false;
  for (;;) {
    api::SseReader reader;
    std::optional<Error> unreadable;  // an event this cairn does not understand ends the stream
    std::string target = "/v1/events/stream?after=" + std::to_string(after) + Query(o);
    Status ended = client.Stream(target, [&](std::string_view b) {
      for (const api::SseMessage& m : reader.Feed(b)) {
        auto event = nlohmann::json::parse(m.data, nullptr, false);
        // Not an event (no JSON object with a seq): skipped, as it always was.
        if (event.is_discarded() || !event.is_object() || !event.contains("seq")) continue;
        ReplyCheck check("GET " + target);
        int64_t seq = check.Root(event)["seq"].Int();
        if (!check.ok()) {
          unreadable = check.error();
          return false;
        }
        after = std::max(after, seq);
        if (announced_loss) {
          std::fprintf(stderr, "cairn: reconnected to %s\n", client.endpoint().ToString().c_str());
          announced_loss = false;
        }
        Print(g, event);
      }
      return true;
    });
    if (unreadable) return Fail(*unreadable);
    if (!ended.ok() && ended.error().code != ErrorCode::kUnavailable) return Fail(ended.error());
    if (!announced_loss) {
      std::fprintf(stderr, "cairn: lost the event stream (%s); reconnecting\n",
                   ended.ok() ? "the server closed it" : ended.error().message.c_str());
      announced_loss = true;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

}  // namespace

std::string EventLine(const nlohmann::json& event) {
  std::string at = Text(event, "at");
  std::string time = at.size() >= 23 ? at.substr(11, 12) : at;  // HH:MM:SS.mmm
  char head[96];
  // Every field is the server's and may quote a client's text: escaped for the terminal.
  std::string type = EscapeForTerminal(Text(event, "type"));
  std::string service = EscapeForTerminal(Text(event, "service"));
  std::snprintf(head, sizeof(head), "%-12s  %-22s %-12s ", EscapeForTerminal(time).c_str(),
                type.c_str(), service.empty() ? "-" : service.c_str());
  return head + EscapeForTerminal(Text(event, "message"));
}

int EventsCommand(const GlobalOptions& g, const EventsOptions& o) {
  auto client = Connect(g);
  if (!client.ok()) return Fail(client.error());
  std::string target = o.after >= 0 ? "/v1/events?after=" + std::to_string(o.after)
                                    : "/v1/events?last=" + std::to_string(std::max(o.last, 0));
  auto events = client->Get(target + Query(o));
  if (!events.ok()) return Fail(events.error());
  ReplyCheck check("GET " + target + Query(o));
  std::vector<ReplyView> shown = check.Root(*events).Items();
  int64_t after = std::max<int64_t>(o.after, 0);
  for (ReplyView e : shown) {
    Print(g, e.Json());
    after = std::max(after, e["seq"].Int());
  }
  if (!check.ok()) return Fail(check.error());
  if (!o.follow) return kExitOk;
  if (shown.empty() && o.after < 0) {
    // Nothing shown yet: follow from now, not from the start of history.
    auto newest = client->Get("/v1/events?last=1");
    if (newest.ok()) {
      ReplyCheck newest_check("GET /v1/events?last=1");
      std::vector<ReplyView> last = newest_check.Root(*newest).Items();
      if (!last.empty()) after = last[0]["seq"].Int();
      if (!newest_check.ok()) return Fail(newest_check.error());
    }
  }
  return Follow(g, *client, o, after);
}

}  // namespace cairn::cli
