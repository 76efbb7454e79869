// `cairn image build | import | export | ls | inspect | tag | rm | verify | gc`: the server's
// image store, through the API. Paths are sent absolute: the server reads and writes them on
// the machine both run on.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace cairn::cli {

struct ImageOptions {
  std::string action;  // "build", "import", "export", "ls", "inspect", "tag", "rm", "verify", "gc"
  std::string path;    // build: DIR; import: PATH; export: PATH
  std::string ref;     // export, inspect, tag, verify: the image
  std::string tag;     // build, import: --tag; tag: the new tag; rm: the tag
  std::string entrypoint;           // "/bin/app" or a JSON array '["/bin/app","--flag"]'
  std::string cmd;                  // the same forms
  std::vector<std::string> env;     // KEY=VALUE
  std::vector<std::string> labels;  // KEY=VALUE
  std::string workdir;
  std::string compression = "gzip";
  std::string format = "oci";  // export: oci | oci-archive
  std::string source_ref;      // import: which image of a multi-image source
  int keep_revisions = 0;      // gc
};

int ImageCommand(const GlobalOptions& g, const ImageOptions& o);
// `cairn verify`: every running image's root against what was unpacked; drifted instances are
// replaced. Exit 6 when anything drifted.
int VerifyCommand(const GlobalOptions& g);

// "/bin/app" -> ["/bin/app"]; '["a","b"]' -> ["a","b"]; "" -> []. Errors name the flag.
Result<std::vector<std::string>> ParseArgvFlag(const std::string& flag, const std::string& text);
// 12345678 -> "11.8 MiB".
std::string HumanBytes(uint64_t bytes);

}  // namespace cairn::cli
