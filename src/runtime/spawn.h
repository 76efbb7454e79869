// spawn: fork+exec of a command in a session of its own, with every failure up to and
// including execve reported as an Error rather than as a child that dies at once. Shared by
// the process driver and exec probes.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/result.h"

namespace cairn::runtime {

struct SpawnOptions {
  // argv[0] is resolved through env's PATH when it has no '/'; a relative path with a '/'
  // is relative to `workdir`.
  std::vector<std::string> argv;
  // Empty: inherit the server's.
  std::string workdir;
  // The child's whole environment.
  std::map<std::string, std::string> env;
  // Becomes the child's stdout and stderr; -1 means /dev/null. Not closed by Spawn.
  int output_fd = -1;
};

// PATH, HOME and LANG from the server's environment (PATH defaults to a standard list).
std::map<std::string, std::string> BaseEnvironment();

// The file execve would run for `command`: searched in `path_list` (colon-separated) when it
// has no '/'. kInvalidArgument naming the command when missing or not executable.
Result<std::string> ResolveCommand(const std::string& command, const std::string& path_list,
                                   const std::string& workdir);

// Starts the process: new session and process group (pgid == pid), stdin from /dev/null,
// default signal dispositions and an empty signal mask, no inherited descriptors beyond 0-2.
// Returns its pid once execve has succeeded. The caller must reap it (waitpid).
// Safe to call from a multi-threaded program: the child only makes async-signal-safe calls.
Result<int> Spawn(const SpawnOptions& options);

}  // namespace cairn::runtime
