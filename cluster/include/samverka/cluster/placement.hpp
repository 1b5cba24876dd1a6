// Placement: which store node owns which tenant, kept in Redis.
//
// Keys (all under the "samverka:" prefix):
//   samverka:nodes      hash  node id -> advertised base URL ("http://10.0.0.5:8080")
//   samverka:placement  hash  tenant slug -> node id
//   samverka:domains    hash  e-mail domain -> slug of the tenant owning it (identity rule:
//                             people authenticate only there, whichever node serves a login)
//   channel samverka:placement  a message (the node id) after every change
//   samverka:move:SLUG  string  the id of the move of SLUG in flight (its fence, see below)
//
// Store nodes write their own entries (node_registration), from their registry: Redis holds
// nothing a store node cannot write again, and a node re-registers everything when it notices
// Redis lost its data (its node entry is missing) or its connection was re-established.
// Gateways keep a local copy (placement_cache), re-read on every message, after every
// (re)subscribe and periodically, so a lookup never touches Redis.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "samverka/cluster/redis.hpp"
#include "samverka/core/error.hpp"

namespace samverka::cluster {

inline constexpr std::string_view nodes_key = "samverka:nodes";
inline constexpr std::string_view placement_key = "samverka:placement";
inline constexpr std::string_view domains_key = "samverka:domains";
inline constexpr std::string_view placement_channel = "samverka:placement";

// How often a store node compares its tenants with what it registered, and checks that Redis
// still holds its registration: the longest a new tenant (or a Redis that restarted empty)
// waits before gateways can route to it.
inline constexpr auto registration_interval = 1000ms;
// Gateways re-read placement this often even without a message: pub/sub is fire-and-forget, so
// this bounds how long a missed message can leave a gateway stale.
inline constexpr auto placement_refresh_interval = 5000ms;

// Node ids name nodes in Redis and in logs: [a-z0-9][a-z0-9-]{0,62}.
bool valid_node_id(std::string_view id);

// A tenant move's fence: the source writes the move's id here before the target may claim the
// tenant. The target's claim (placement := target) and the source's giving up each consume the
// fence in one atomic step that checks the id, so exactly one of them takes effect, whatever
// the clocks, timeouts and lost answers in between.
std::string move_fence_key(std::string_view slug);

// How the source of a move settles it against the fence (settle_move_fence).
enum class fence_outcome {
  aborted,    // the source consumed the fence: the target can no longer claim the tenant
  committed,  // the target consumed it: placement names the target
  unknown,    // neither (the fence is gone, placement does not name the target): ask the target
};
// Consumes the fence of `slug` if it still holds `move_id`, else tells whether `target` claimed.
result<fence_outcome> settle_move_fence(redis_client& redis, std::string_view slug,
                                        std::string_view move_id, std::string_view target);

// What a store node registers: the tenants it owns and the e-mail domains they own.
struct node_facts {
  std::set<std::string> slugs;
  std::map<std::string, std::string> domains;  // domain -> slug (one of `slugs`)
  // Tenants this node still has but must not claim (a move of theirs is running, and the target
  // may publish at any moment): their entries are neither written nor released.
  std::set<std::string> held;
  // Tenants (among `slugs`) claimed by consuming a move's fence (slug -> move id): the commit of
  // a move to this node. If the fence no longer holds that id, the claim is refused and sync
  // fails with conflict `move_fenced`.
  std::map<std::string, std::string> handover;
  bool operator==(const node_facts&) const = default;
};

// A store node's registration of itself and the tenants it owns.
class node_registration {
 public:
  node_registration(redis_client& redis, std::string node_id, std::string advertise_url);

  // Makes Redis say this node owns exactly `facts` (among the entries it wrote): claims new
  // ones, releases ones it no longer holds (only if still its own), publishes when something
  // changed. Cheap when nothing changed (one HGET). unavailable while Redis is down.
  result<void> sync(const node_facts& facts);
  // Makes the next sync write everything and publish (a tenant move switched placement).
  void invalidate() noexcept { complete_ = false; }

 private:
  result<void> write_all(const node_facts& facts);
  result<void> release_stale(const node_facts& facts,
                             const std::map<std::string, std::string, std::less<>>& placement,
                             const std::map<std::string, std::string, std::less<>>& domains);

  redis_client& redis_;
  std::string id_;
  std::string url_;
  node_facts written_;     // what Redis holds for us, as far as we know
  bool complete_ = false;  // written_ is known to be in Redis
  std::uint64_t connects_seen_ = 0;
};

// A gateway's copy of placement; thread-safe, lookups never block on Redis.
class placement_cache {
 public:
  explicit placement_cache(redis_client& redis) : redis_(redis) {}

  // Re-reads both hashes. A slug disappears from the copy only when its node re-registered
  // without it; a node missing from Redis altogether (Redis restarted empty and the node has not
  // re-registered yet) keeps its last known tenants, so a Redis restart never turns served
  // tenants into 404s.
  result<void> refresh();
  // The base URL of the node owning `slug`; nullopt if no node claims it.
  std::optional<std::string> node_url(std::string_view slug) const;
  // The id of the node owning `slug`; nullopt if no node claims it.
  std::optional<std::string> owner(std::string_view slug) const;
  // The slug of the tenant owning e-mail domain `domain` anywhere in the cluster, if any.
  std::optional<std::string> domain_owner(std::string_view domain) const;
  // True after the first successful refresh.
  bool loaded() const;

 private:
  struct table {
    std::map<std::string, std::string, std::less<>> owner;   // slug -> node id
    std::map<std::string, std::string, std::less<>> url;     // node id -> URL
    std::map<std::string, std::string, std::less<>> domain;  // e-mail domain -> slug
  };

  // The last table read (lookups work on it without holding the lock).
  std::shared_ptr<const table> current() const;

  redis_client& redis_;
  mutable std::mutex mu_;
  std::shared_ptr<const table> table_;
};

}  // namespace samverka::cluster
