// `cairn up`: a server in the foreground, an apply of the given file, and live progress until
// Ctrl-C, which stops every instance cleanly. The demo's entry point.
#pragma once

#include "cli/commands.h"
#include "cli/server_runner.h"

namespace cairn::cli {

int UpCommand(const GlobalOptions& g, const ServerOptions& server, const ApplyOptions& apply);

}  // namespace cairn::cli
