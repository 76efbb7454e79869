// cairn: one binary for immutable infrastructure. Everything lives in the modules; this file
// only hands the command line to cli/.
#include "cli/cli.h"

int main(int argc, char** argv) { return cairn::cli::Main(argc, argv); }
