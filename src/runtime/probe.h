// Health probes: one asynchronous check of an instance on 127.0.0.1:<port>. Never blocks the
// caller or the io_context's thread: sockets are asynchronous, exec probes are polled with a
// timer. The caller (the controller) decides what a sequence of results means, through
// HealthTracker.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/units.h"

namespace cairn::runtime {

enum class ProbeKind { kHttp, kTcp, kExec };

struct ProbeSpec {
  ProbeKind kind = ProbeKind::kHttp;
  // kHttp: the path to GET. 2xx and 3xx answers are healthy.
  std::string http_path = "/";
  // kExec: argv of a command; exit status 0 is healthy. Runs with the server's PATH, HOME and
  // LANG, plus the probe's env and PORT, in a session of its own, output discarded.
  std::vector<std::string> exec_command;
  // The whole probe (connect, request, answer; or the command's run) must finish in this
  // time. A timed-out command is killed with its process group.
  Duration timeout{1000};
};

struct ProbeResult {
  bool ok = false;
  // For people: "HTTP 200", "connected", "connection refused", "timed out after 500ms",
  // "exit 1".
  std::string detail;
};

// Probes 127.0.0.1:`port` as `spec` says. `done` is called exactly once, on `io`'s executor,
// never from inside StartProbe. `io` must outlive the probe and be run until `done` is called
// (at most spec.timeout plus a moment to reap a killed command).
void StartProbe(boost::asio::io_context& io, const ProbeSpec& spec, int port,
                const std::map<std::string, std::string>& env,
                std::function<void(ProbeResult)> done);

}  // namespace cairn::runtime
