// samverkactl's `idp` commands (OpenID Connect feature): a tenant's identity provider.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace samverka::provisioning {

// Adds `idp set|show|remove` to `app`. A parsed command stores its work in `action`, which reads
// `data_dir` and `json` when it runs. `fail(exit_code, reason)` must not return (the CLI throws
// its one-line exit from it).
void add_idp_commands(CLI::App& app, std::function<void()>& action, const std::string& data_dir,
                      const bool& json, std::function<void(int, std::string)> fail);

}  // namespace samverka::provisioning
