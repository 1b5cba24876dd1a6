// Sessions in Redis (cluster mode): any store node accepts a token whose home tenant lives on
// another node by reading it here, without asking that node (which may be down or moving).
//
// The home tenant's store stays the authority; Redis holds a copy that can always be rebuilt
// from it. An entry `samverka:session:HOME:HASH` (HASH = sha256 hex of the token's secret, as
// the store keeps it) says "valid for EMAIL until its expiry" and carries the run_id of the
// Redis process it was written to: an entry brought back by a restart from a snapshot (a
// process with another run_id) is ignored, because a revocation after that snapshot deleted it
// only from the old process. A miss means "ask the home node", never "invalid".
//
// Who writes: only the home node, after its store said the session is valid (login, or a
// lookup another node asked of it); after writing it reads its store again and deletes the
// entry if the session was revoked meanwhile, so a revocation racing the write always wins.
// Who deletes: the home node, for every session its store marks revoked (store::
// revoked_sessions_since) and for every session of a tenant that is suspended or deleted; and
// samverkactl --redis after the changes it makes.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "samverka/cluster/redis.hpp"
#include "samverka/core/error.hpp"

namespace samverka::cluster {

// The prefix of session entries; the rest is "HOME:HASH".
inline constexpr std::string_view session_key_prefix = "samverka:session:";
// SCAN page size when forgetting every session of a tenant (suspension, deletion: rare).
inline constexpr int session_scan_count = 500;
// The longest an entry lives (a session's own expiry if sooner); the home node writes it again
// on the next miss. This bounds how long any revocation that could not be deleted from Redis
// (the home node cut off from Redis, a CLI run without --redis while its node is down) can
// still be accepted elsewhere, at the price of one question to the home node per session and
// period, and of outages of the home node longer than this locking its people out elsewhere.
inline constexpr std::chrono::minutes session_entry_ttl{10};

class session_directory {
 public:
  explicit session_directory(redis_address addr);

  // Records that the session `token_hash` of tenant `home` belongs to `email` and is valid until
  // `expires_ms` (Unix ms); Redis drops the entry then, or after session_entry_ttl if sooner.
  result<void> publish(std::string_view home, std::string_view token_hash, std::string_view email,
                       std::int64_t expires_ms);
  // The e-mail of session `token_hash` of `home` if a current entry says it is valid; nullopt
  // on a miss, an entry of an earlier Redis process, or Redis down (ask the home node then).
  std::optional<std::string> find(std::string_view home, std::string_view token_hash);
  // Deletes the entries of these sessions of `home`.
  result<void> forget(std::string_view home, const std::vector<std::string>& token_hashes);
  // Deletes every entry of `home` (the tenant was suspended, deleted or moved away).
  result<void> forget_home(std::string_view home);

 private:
  // A Redis process as seen over one connection: its run_id, and redis_client::connects() of
  // that connection (an entry counts only if read over a connection whose process is known).
  struct process_id {
    std::string run_id;
    std::uint64_t connects = 0;
  };
  // The process the current connection talks to, read again after each reconnect.
  result<process_id> run_id();

  redis_client redis_;
  std::mutex mu_;
  process_id id_;
};

}  // namespace samverka::cluster
