// Cluster mode: moving a tenant between store nodes (`samverkactl tenant move SLUG --to NODE`).
//
// The owner node (source) runs the move when asked (POST /internal/v1/tenants/SLUG/move
// {"to":"NODE"}, cluster key required):
//   1. pause: state-changing requests of SLUG answer 503 `tenant_moving` with Retry-After (reads
//      keep being served); the sharing relay and the digest timer cannot open the store
//      (app::background_store); the writes already running, and background work holding the
//      store, are waited for.
//   2. export: the consistent snapshot `tenant export` makes (registry::export_tenant).
//   3. transfer: the archive is sent to the target in parts (each a streamed upload below
//      limits::max_upload_bytes) to POST /internal/v1/tenants/import/MOVE/part?offset=N.
//   4. activate: POST /internal/v1/tenants/import/MOVE/activate with the tenant's partners; the
//      target imports the archive under the same slug, settling the partnerships in the same
//      registry transaction (registry::import_moved_tenant: a local pair only with a partner
//      holding the mirror half), and publishes
//      its placement in Redis at once (registrar::sync_now). That write is the commit point;
//      until it, DATA/arriving/SLUG marks the import, so a crash cannot register it later.
//   5. switch: the source answers every request of SLUG with 503 `tenant_moving` (gateways with
//      a stale placement retry), moves DATA/tenants/SLUG aside to DATA/moved/SLUG-TIMESTAMP/,
//      and in one registry transaction removes the row and records its remaining tenants'
//      partnerships with SLUG as cross-node ones (registry::delete_tenant_keeping_partners): the
//      sharing relay, polling the registry, must never see a partnership end, or it unlinks
//      shared copies for good.
// The pause is bounded by limits::move_pause_limit: when it passes, or anything fails, the source
// asks the target to discard what it received (POST .../MOVE/abort), forces its own placement
// back into Redis, and resumes writes. If the target cannot be reached to settle an
// activation whose answer was lost, Redis placement decides: the target publishes only before
// its deadline (the source's remaining budget), and the source reads placement after it. If
// Redis cannot be read either, the outcome is unknown: the tenant stays paused (never two
// writers), DATA/leaving/SLUG is written, and at start it is served again only if placement
// names this node. While paused, the registrar holds the slug (neither claims nor releases it),
// so no registration write of the source can overwrite the target's claim.
//
// Design notes (states, and the function that performs each transition):
//   A tenant on this node (move_gate):
//     served --[pause]--> paused --[resume]--> served        (a failed move)
//                         paused --[mark_moved]--> moved     (the switch; until restart)
//     (arriving) --[hide]--> hidden --[unhide]--> served     (a move to this node commits)
//   A move arriving here (tenant_mover::incoming):
//     receiving --[activate]--> activating --> active | aborted;  receiving --[abort]--> aborted
// Invariants: 1. a tenant is in at most one node's registration: the arriving one is hidden
// until its placement is written, the moved one is never registered again by the source
// (and the registrar releases only entries still naming its node); 2. this process makes no
// write to the tenant after the export started: write requests and background work are refused
// while paused, and those admitted before finish first (writes by another process, such as
// samverkactl, are not held back); 3. nothing is deleted before the commit, and the source's
// copy is only moved aside after it.
//
// Costs and roads not taken: the pause lasts the whole export + transfer + import, so it grows
// with the tenant (0.3 s for 40 MiB on one machine, docs/PERFORMANCE.md); a pre-copy of the
// files before pausing (then only the database and new files under the pause) would make it
// nearly constant, not needed at today's tenant sizes. Replicating through Redis was not
// considered: tenant data never goes there.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "http_types.hpp"
#include "samverka/cluster/redis.hpp"
#include "samverka/core/error.hpp"
#include "samverka/provisioning/registry.hpp"
#include "upstream.hpp"

namespace samverka::gateway {

namespace limits {
// The longest a move keeps a tenant's writes paused: waiting for running writes, the export,
// the transfer and the import on the target. A minute moves a tenant of a few GiB over a LAN;
// a longer outage of writes is worse than trying again later (or moving by export/import).
inline constexpr auto move_pause_limit = 60s;
// Retry-After of `tenant_moving`: a move's switch takes well under a second once the data is
// over; clients retrying every two seconds see the tenant again on its new node quickly.
inline constexpr auto move_retry_after = 2s;
// One transfer request of a move's archive: below max_upload_bytes (the server's cap for a
// streamed body), large enough that the per-request overhead does not matter.
inline constexpr std::size_t move_part_bytes = 32 * 1024 * 1024;
// After its deadline the source waits this long before reading placement to settle an
// activation whose answer was lost: a target publishes only before the deadline, and the
// Redis write itself is bounded by the connect and command timeouts (1.5 s).
inline constexpr auto move_settle_margin = 2s;
// The move's fence in Redis expires after this (a source that crashed mid-move leaves none
// behind for long); an expired fence only makes a late claim impossible, which is safe.
inline constexpr auto move_fence_ttl = 10min;
// A target whose claim could not be written (Redis unreachable) tries again this often until
// the move's deadline: the claim may have gone through with only its answer lost.
inline constexpr auto move_claim_retry = 200ms;
// Moves being received at once by one node; each holds a staging archive on disk.
inline constexpr std::size_t max_incoming_moves = 4;
}  // namespace limits

// The paths of the move protocol (all need the cluster key; see the file comment).
inline constexpr std::string_view tenants_internal_prefix = "/internal/v1/tenants/";
inline constexpr std::string_view import_internal_prefix = "/internal/v1/tenants/import/";

// Which tenants are paused or gone because of a move, and the writes running on each.
// Thread-safe; everything is in memory (a restart ends every pause).
class move_gate {
 public:
  // Admits a request of `slug`: false when it must get 503 `tenant_moving` (a write while
  // paused, anything after the switch). An admitted write must be followed by end_write(slug).
  bool admit(std::string_view slug, bool write);
  void end_write(std::string_view slug);

  // Pauses `slug`'s writes; false when a move of it is already running.
  bool pause(std::string_view slug);
  // Waits until no admitted write of `slug` is running; false at `deadline`.
  bool wait_idle(std::string_view slug, std::chrono::steady_clock::time_point deadline);
  // Ends a pause (a failed move).
  void resume(std::string_view slug);
  // After the switch: every request of `slug` gets `tenant_moving` (gateways with a stale
  // placement retry and reach the new node), and the slug stays out of this node's placement,
  // until the process restarts or the tenant moves back here (hide).
  void mark_moved(std::string_view slug);
  // Hides a tenant being imported by a move from this node's registration until it is
  // published (registrar facts), and answers its requests with `tenant_moving`.
  void hide(std::string_view slug);
  void unhide(std::string_view slug);
  // A move to this node commits by claiming `slug` through the move's fence
  // (cluster::node_facts::handover): set for the one publication that commits it.
  void set_handover(std::string_view slug, std::string move_id);
  void clear_handover(std::string_view slug);
  std::optional<std::string> handover(std::string_view slug);
  // An arriving tenant whose claim may or may not have reached Redis: registered as held (never
  // claimed nor released) until settled, so the registrar cannot drop a claim that went through.
  void set_unsettled(std::string_view slug, bool unsettled);
  bool unsettled(std::string_view slug);
  // Whether `slug` must stay out of this node's placement (moved away, or still arriving).
  bool unregistered(std::string_view slug);
  // Whether a move pauses `slug` (or it moved away, or is still arriving).
  bool paused(std::string_view slug);

 private:
  struct entry {
    bool paused = false;
    bool hidden = false;
    int writes = 0;
    bool moved = false;
  };
  void tidy_locked(std::string_view slug);

  std::mutex mu_;
  std::condition_variable idle_cv_;
  std::map<std::string, entry, std::less<>> slugs_;
  std::map<std::string, std::string, std::less<>> handovers_;  // slug -> move id
  std::set<std::string, std::less<>> unsettled_;
};

// The error of a request refused by the gate: 503 `tenant_moving` with Retry-After.
http_response tenant_moving_response();

class app;
class tenant_mover;

// One request's passage through the gate (store_front holds it while the request runs): the
// tenant it concerns is the one named by Host or /t/SLUG, or the home of the session token of
// the internal session endpoints. `refused` is set when the request must not run.
class move_admission {
 public:
  move_admission(tenant_mover& mover, const http_request& req);
  ~move_admission();
  move_admission(const move_admission&) = delete;
  move_admission& operator=(const move_admission&) = delete;

  std::optional<http_response> refused;

 private:
  move_gate* counted_ = nullptr;  // set while an admitted write is counted
  std::string slug_;
};

class tenant_mover {
 public:
  struct config {
    std::filesystem::path data_dir;
    std::string node_id;
    std::string cluster_key;
    cluster::redis_address redis;
  };
  // Forces this node's whole registration into Redis now (registrar::sync_now), running
  // `before` (and, on failure, `on_failure`) where the registrar's own sync cannot interleave.
  using publish_fn = std::function<result<void>(const std::function<void()>& before,
                                                const std::function<void()>& on_failure)>;

  // Clears DATA/moving/ (staging of moves interrupted by a restart: never a registered tenant).
  tenant_mover(app& a, move_gate& gate, config cfg);
  ~tenant_mover();
  tenant_mover(const tenant_mover&) = delete;
  tenant_mover& operator=(const tenant_mover&) = delete;

  // Set once the registrar runs (it needs the listening port first).
  void set_publish(publish_fn publish);
  move_gate& gate() noexcept { return gate_; }
  const std::string& base_domain() const;
  // The response for a /internal/v1/tenants/... request (cluster key already checked), or
  // nullopt when `req` is not one of them.
  std::optional<http_response> handle(const http_request& req);
  // Where a transfer part's body is streamed to (DATA/moving), for POST .../MOVE/part only.
  std::optional<std::filesystem::path> spool_dir(std::string_view method,
                                                 std::string_view target) const;

 private:
  struct incoming {
    std::filesystem::path archive;
    std::uint64_t size = 0;
    std::chrono::steady_clock::time_point started;
    // unsettled: the claim's outcome is unknown (Redis unreachable); the copy is kept hidden
    // and the next abort settles it by placement (its slug and partnership undo kept here).
    enum class phase { receiving, activating, active, unsettled, aborted } state = phase::receiving;
    std::string slug;
    std::vector<provisioning::remote_partnership> restore;
    std::mutex mu;  // held through activate and abort, so they never interleave
  };

  // Source side.
  http_response move(const std::string& slug, const http_request& req);
  result<void> send_archive(const std::string& url, const std::string& move_id,
                            const std::filesystem::path& archive,
                            std::chrono::steady_clock::time_point deadline);
  result<http_response> post_node(
      const std::string& url, const std::string& path, std::string body,
      std::chrono::milliseconds timeout = gateway::limits::upstream_response_timeout);
  // Target side.
  http_response receive_part(const std::string& move_id, const http_request& req);
  http_response activate(const std::string& move_id, const http_request& req);
  http_response abort(const std::string& move_id, const http_request& req);
  std::shared_ptr<incoming> find_incoming(const std::string& move_id);
  void drop_incoming(const std::string& move_id);
  result<std::optional<std::string>> redis_hget(std::string_view key, std::string_view field);

  app& app_;
  move_gate& gate_;
  config cfg_;
  publish_fn publish_;
  upstream_pool upstream_;
  cluster::redis_client redis_;
  std::mutex incoming_mu_;
  std::map<std::string, std::shared_ptr<incoming>, std::less<>> incoming_;
};

}  // namespace samverka::gateway
