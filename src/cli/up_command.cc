#include "cli/up_command.h"

#include <atomic>
#include <cstdio>
#include <thread>

#include "cli/cli.h"
#include "cli/output.h"

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
  while (!server_done) {
    PrintNewEvents(*client, &after);
    auto status = client->Get("/v1/status");
    if (status.ok() && !printed_ready) {
      bool complete = !(*status)["services"].empty();
      for (const auto& s : (*status)["services"]) complete = complete && s["rollout"] == "complete";
      if (complete) {
        std::printf("\n%s\n", RenderStatus(*status, "").c_str());
        std::fflush(stdout);
        printed_ready = true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  server.join();
  std::printf("cairn stopped.\n");
  return server_exit;
}

}  // namespace cairn::cli
