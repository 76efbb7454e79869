// oci_runc: the runc command line as the oci driver uses it. Every runc call is a short child
// process with its output captured; none outlives the call except `runc run` itself, which the
// driver spawns (RunArgv) and keeps as the instance's supervisor.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/result.h"

namespace cairn::runtime {

// What a finished command printed (stdout and stderr together) and how it ended.
struct ToolResult {
  int exit_code = -1;  // -1 when a signal ended it
  std::string output;
};

// Runs argv[0] (searched in the server's PATH) to completion, stdin from /dev/null. Fails when
// it cannot start or runs past `timeout` (it is then killed).
Result<ToolResult> RunTool(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

class RuncCli {
 public:
  // `runc`: the executable (a path, or a name searched in PATH); `root`: runc --root.
  RuncCli(std::string runc, std::string root) : runc_(std::move(runc)), root_(std::move(root)) {}

  // `runc --root R --log L --log-format json run --bundle B --pid-file P ID`: runc in the
  // foreground, which stays the parent (and reaper) of the container's init and exits with its
  // status (128+N when signal N ended it). Its own errors go to `log_file` as JSON lines.
  std::vector<std::string> RunArgv(const std::string& id, const std::string& bundle,
                                   const std::string& pid_file, const std::string& log_file) const;

  // `runc kill ID SIGNAL` (signal by name, e.g. "TERM"). A container already stopped or gone is
  // not an error.
  Status Kill(const std::string& id, const std::string& signal) const;

  // `runc delete --force ID`: kills what is left and removes runc's state. A container that does
  // not exist is not an error.
  Status Delete(const std::string& id) const;

  // The first line of `runc --version`.
  Result<std::string> Version() const;

  const std::string& root() const { return root_; }

 private:
  Result<ToolResult> Run(std::vector<std::string> args) const;

  std::string runc_;
  std::string root_;
};

// The message of the last error-level line of a runc JSON log (--log-format json); the last
// non-empty line when none parses; empty for an empty log.
std::string LastRuncError(const std::string& log_text);

// The container id a supervisor runs, from its /proc/PID/cmdline (arguments separated by NUL):
// the last argument, when the command is RunArgv's with state root `root`. kNotFound otherwise,
// so a pid that now belongs to another program is never taken for an instance.
Result<std::string> ContainerIdFromCmdline(const std::string& cmdline, const std::string& root);

}  // namespace cairn::runtime
