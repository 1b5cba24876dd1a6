// samverkactl's `tenant move SLUG --to NODE` (cluster mode): asks the node owning SLUG to move
// it to NODE (the node does the work: gateway/src/tenant_move.hpp).
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <functional>
#include <string>

#include "samverka/provisioning/cluster_client.hpp"

namespace samverka::provisioning {

// How long the CLI waits for the owner node's answer: longer than the source's worst case, so a
// time-out here means a stuck node, not a move still settling. That case: the write pause bound
// (60 s, gateway limits::move_pause_limit), a transfer part started just before it (up to 120 s,
// upstream_upload_timeout, plus 30 s for its answer), the abort (1 s connect + 30 s + 30 s) and
// re-publishing (a few seconds): about 275 s.
inline constexpr std::chrono::milliseconds tenant_move_timeout{300'000};

// Adds `move` to the `tenant` command. `cluster()` gives the cluster connection (nullptr in
// single-node mode); `fail(exit_code, reason)` must not return.
void add_move_command(CLI::App& tenant_cmd, std::function<void()>& action,
                      std::function<cluster_client*()> cluster, const bool& json,
                      std::function<void(int, std::string)> fail);

}  // namespace samverka::provisioning
