// The operator CLI (samverkactl): every command of the public contract, built with CLI11.
#pragma once

namespace samverka::provisioning {

// Runs samverkactl with its command line; returns the process exit code
// (0 success, 1 refused or failed with a one-line reason on stderr, 2 usage error).
int run_cli(int argc, char** argv);

}  // namespace samverka::provisioning
