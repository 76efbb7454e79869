#include "cli/up_command.h"

#include <atomic>
#include <cstdio>
#include <thread>

#include "cli/cli.h"
#include "cli/output.h"
#include "cli/reply_view.h"

namespace cairn::cli {

int UpCommand(const GlobalOptions& g, const ServerOptions& server_options,
              const ApplyOptions& apply) {
  ServerOptions options = server_options;
  options.stop_instances_on_exit = true;
  options.echo_events = false;
  GlobalOptions client_options = g;
  client_options.addr = options.addr;

  std::atomic<bool> ready{false};
  std::atomic<bool> server_done{false};
  std::atomic<bool> stop_requested{false};
  int server_exit = kExitOk;
  std::thread server([&] {
    server_exit = RunServer(
        options, [&] { ready = true; }, &stop_requested);
    server_done = true;
  });
  while (!ready && !server_done) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (server_done) {
    server.join();
    return server_exit == kExitOk ? kExitError : server_exit;
  }

  int exit_code = ApplyCommand(client_options, apply);
  if (exit_code != kExitOk) {
    stop_requested = true;
    server.join();
    return exit_code;
  }
  auto client = Connect(client_options);
  std::printf("\ncairn is up. Ctrl-C stops the server and every instance.\n");
  std::fflush(stdout);
  int64_t after = 0;
  bool printed_ready = false;
  // Prints new events, and the status once every rollout is complete.
  auto follow = [&]() -> Status {
    if (Status printed = PrintNewEvents(*client, &after); !printed.ok()) return printed;
    if (printed_ready) return OkStatus();
    auto status = client->Get("/v1/status");
    if (!status.ok()) return OkStatus();  // asked again at the next turn
    ReplyCheck check("GET /v1/status");
    std::vector<ReplyView> services = check.Root(*status)["services"].Items();
    bool complete = !services.empty();
    for (ReplyView s : services) complete = complete && s["rollout"].Str() == "complete";
    if (!check.ok()) return check.error();
    if (!complete) return OkStatus();
    auto text = RenderStatus(*status, "");
    if (!text.ok()) return text.error();
    std::printf("\n%s\n", text->c_str());
    std::fflush(stdout);
    printed_ready = true;
    return OkStatus();
  };
  // Following is decoration: a reply this cairn cannot read (a bug, since the server is this
  // very binary) is reported once and ends the following, not the environment.
  bool following = true;
  while (!server_done) {
    if (following) {
      if (Status followed = follow(); !followed.ok()) {
        Fail(followed.error());
        std::fprintf(stderr, "cairn: no longer following the events; the server keeps running.\n");
        following = false;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  server.join();
  std::printf("cairn stopped.\n");
  return server_exit;
}

}  // namespace cairn::cli
