// Cluster mode (`samverka serve --redis URL --role gateway|store`), the gateway side of it:
//
//   proxy_app     the request handler of a gateway node: resolves the tenant like the single
//                 node does, finds its owner in the placement cache and forwards the request
//                 over a pooled keep-alive connection (upstream.hpp); 503 JSON when the owner
//                 cannot be reached. Holds no tenant data and no sessions.
//   store_front   wraps a store node's app: tenant requests must come from a gateway (they carry
//                 the cluster key), and only then are the gateway's X-Forwarded-For and
//                 X-Forwarded-Proto believed (login throttling counts the real client).
//   registrar     a store node's background thread keeping its placement in Redis in step with
//                 its registry (cluster::node_registration).
//
// Beast-free: forwarding goes through upstream_pool.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "http_types.hpp"
#include "metrics.hpp"
#include "samverka/cluster/placement.hpp"
#include "samverka/cluster/redis.hpp"
#include "upstream.hpp"

namespace samverka::gateway {

// The header carrying the cluster key from gateways to store nodes.
inline constexpr std::string_view node_key_header = "x-samverka-node-key";
// The shared secret of a cluster is at least this long (a random token, not a password).
inline constexpr std::size_t min_cluster_key_length = 32;

// Every node-to-node path starts with this; gateways never forward such a path.
inline constexpr std::string_view internal_path_prefix = "/internal/";

// The path store nodes answer for each other: resolves a session token whose home tenant the
// node owns. Body: the token (text/plain); 200 {"email"} or 401. Needs the cluster key.
inline constexpr std::string_view resolve_session_path = "/internal/v1/sessions/resolve";
// Ends such a session (logout on another node). Body: the token; 204 or 401.
inline constexpr std::string_view revoke_session_path = "/internal/v1/sessions/revoke";
// A person's memberships in the active tenants a node serves: GET ?email=E (percent-encoded);
// 200 {"memberships":[{"slug","name"}]}. Needs the cluster key (e-mails never leave otherwise).
inline constexpr std::string_view memberships_path = "/internal/v1/memberships";
// How long /api/v1/me waits for the other nodes' memberships (asked in parallel): a node answers
// from its registry in milliseconds; one slower than this is left out of that answer rather
// than holding up a request made on every page load.
inline constexpr auto peer_memberships_timeout = std::chrono::milliseconds(500);
// One node's memberships answer: a few hundred tenants at most, ~100 bytes each; more is not
// a node of ours and is dropped.
inline constexpr std::size_t max_peer_memberships_bytes = 256 * 1024;
// How long the list of nodes (samverka:nodes) is reused before /api/v1/me reads it again: as
// long as gateways may lag behind placement (a new node is asked within this time).
inline constexpr auto peer_list_refresh_interval = cluster::placement_refresh_interval;

// A local copy of placement kept current in the background: re-read on every pub/sub message,
// after every (re)subscribe, and every placement_refresh_interval. Lookups never touch Redis.
class placement_follower {
 public:
  explicit placement_follower(const cluster::redis_address& redis_addr);
  ~placement_follower();
  placement_follower(const placement_follower&) = delete;
  placement_follower& operator=(const placement_follower&) = delete;

  const cluster::placement_cache& placement() const { return placement_; }

 private:
  void refresh_loop();

  cluster::redis_client redis_;
  cluster::placement_cache placement_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool refresh_wanted_ = true;
  bool stop_ = false;
  std::thread refresher_;
  std::unique_ptr<cluster::subscriber> subscriber_;
};

// How one node asks another for what only the other holds (sessions of its tenants' people).
class node_client {
 public:
  node_client(const cluster::redis_address& redis_addr, std::string cluster_key)
      : follower_(redis_addr), key_(std::move(cluster_key)), redis_(redis_addr) {}

  // The e-mail of the person whose session `token` ("HOME.SECRET") is, asked of the node owning
  // HOME: unauthenticated when HOME is unknown, suspended or the session is not valid there
  // (expired, revoked, person deactivated); unavailable when that node cannot be reached.
  result<std::string> resolve_session(std::string_view home, std::string_view token);
  // Ends the session `token` at the node owning HOME (same failures as resolve_session).
  result<void> revoke_session(std::string_view home, std::string_view token);
  // The slug of the tenant owning e-mail `domain` on any node (from the local placement copy).
  std::optional<std::string> domain_owner(std::string_view domain) const {
    return follower_.placement().domain_owner(domain);
  }
  // Cluster-wide failed sign-ins per remote address and per account (tenant + e-mail; empty:
  // not counted), in fixed windows of limits::failure_window with login_throttle's limits:
  // the wait when either is over its limit; nullopt when allowed or Redis is down.
  std::optional<std::chrono::seconds> login_blocked(std::string_view address,
                                                    std::string_view account);
  // Counts one failed sign-in against both (best effort: nothing while Redis is down).
  void login_failed(std::string_view address, std::string_view account);
  // A success clears the account's count (not the address's, as login_throttle).
  void login_succeeded(std::string_view account);
  // Whether placement names an owner for tenant `slug` (a deleted tenant has none).
  bool placed(std::string_view slug) const {
    return follower_.placement().node_url(slug).has_value();
  }
  // The person's memberships in active tenants on every other registered node (all but
  // `self_node_id`), as (slug, name); asked in parallel with peer_memberships_timeout. A node
  // that fails or is slow is skipped, and a node vouches only for tenants placement says it owns.
  std::vector<std::pair<std::string, std::string>> remote_memberships(
      std::string_view email, std::string_view self_node_id);

 private:
  // POSTs `token` to `path` of the node owning `home`; its response, or the mapped failure.
  result<http_response> ask_home(std::string_view home, std::string_view path,
                                 std::string_view token);

  placement_follower follower_;
  std::string key_;
  upstream_pool upstream_;
  cluster::redis_client redis_;  // throttle counters, node list
  // The other nodes (id -> URL), re-read from samverka:nodes at most every
  // peer_list_refresh_interval; the last copy is kept while Redis is down.
  std::mutex peers_mu_;
  std::map<std::string, std::string> peers_;
  std::chrono::steady_clock::time_point peers_read_{};
};

class proxy_app final : public request_handler {
 public:
  // Starts following placement at once. Streamed uploads are spooled in `upload_dir`.
  proxy_app(const cluster::redis_address& redis_addr, std::string base_domain,
            std::string cluster_key, std::filesystem::path upload_dir);
  ~proxy_app() override = default;

  http_response handle(const http_request& req) override;
  http_response reject(int status, std::string_view code, std::string_view message) override;
  void on_drain() override { draining_ = true; }
  // Document uploads (the routes the store node streams) are streamed to a temp file here too,
  // then sent on from it, so they are not capped at the in-memory body limit.
  std::optional<std::filesystem::path> upload_spool_dir(std::string_view method,
                                                        std::string_view host,
                                                        std::string_view target) override;

 private:
  http_response dispatch(const http_request& req, const std::string& request_id, std::string& slug,
                         std::string& route);

  std::string base_domain_;
  std::string key_;
  std::filesystem::path upload_dir_;
  placement_follower follower_;
  upstream_pool upstream_;
  metrics metrics_;
  std::atomic<bool> draining_{false};
};

class app;
class tenant_mover;

class store_front final : public request_handler {
 public:
  store_front(app& inner, std::string cluster_key) : inner_(inner), key_(std::move(cluster_key)) {}

  http_response handle(const http_request& req) override;
  http_response reject(int status, std::string_view code, std::string_view message) override;
  void on_drain() override;
  std::optional<std::filesystem::path> upload_spool_dir(std::string_view method,
                                                        std::string_view host,
                                                        std::string_view target) override;
  // Cluster mode: tenant moves (tenant_move.hpp): the move protocol's endpoints and the gate
  // of paused and moved tenants. Set before serving.
  void set_mover(tenant_mover* mover) noexcept { mover_ = mover; }

 private:
  app& inner_;
  std::string key_;
  tenant_mover* mover_ = nullptr;
};

class registrar {
 public:
  using facts_fn = std::function<cluster::node_facts()>;
  // Registers `node_id` at `advertise_url` with the tenants (and their domains) `facts()`
  // returns, every cluster::registration_interval, until destroyed.
  registrar(cluster::redis_address redis_addr, std::string node_id, std::string advertise_url,
            facts_fn facts);
  ~registrar();
  // Writes the whole registration now (tenant moves: the placement switch), running `before`
  // first and `on_failure` after a failure, both where the background sync cannot interleave.
  result<void> sync_now(const std::function<void()>& before,
                        const std::function<void()>& on_failure);

 private:
  void run();

  cluster::redis_client redis_;
  cluster::node_registration reg_;
  facts_fn facts_;
  std::mutex sync_mu_;  // one sync at a time (node_registration is not thread-safe)
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace samverka::gateway
