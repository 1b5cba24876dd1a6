// samverkactl's `tenant move SLUG --to NODE` (cluster mode): asks the node owning SLUG to move
// it to NODE (the node does the work: gateway/src/tenant_move.hpp).
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <functional>
#include <string>

#include "samverka/provisioning/cluster_client.hpp"

namespace samverka::provisioning {

// How long the CLI waits for the owner node's answer: the node's own bound on the write pause
// (60 s, gateway limits::move_pause_limit) plus settling a lost answer (2 s), cleaning up, and
// one node-to-node request's own time-out (30 s) that may overrun the pause bound.
inline constexpr std::chrono::milliseconds tenant_move_timeout{120'000};

// Adds `move` to the `tenant` command. `cluster()` gives the cluster connection (nullptr in
// single-node mode); `fail(exit_code, reason)` must not return.
void add_move_command(CLI::App& tenant_cmd, std::function<void()>& action,
                      std::function<cluster_client*()> cluster, const bool& json,
                      std::function<void(int, std::string)> fail);

}  // namespace samverka::provisioning
