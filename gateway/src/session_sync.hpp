// Cluster mode, a store node's half of sessions in Redis (samverka/cluster/sessions.hpp): it
// publishes the sessions of the tenants it serves, and deletes them from Redis once revoked.
//
// Revocations reach Redis two ways. At once, after every request that may have revoked one
// (the app calls flush() after each write request, logout and deactivation included). And by a
// sweep every session_sweep_interval that flushes each tenant whose database files changed
// since the last sweep (a CLI run without --redis, SCIM, anything writing the file) and
// forgets every session of tenants that are no longer active here. A flush that fails (Redis
// down, the tenant paused by a move) is retried by the sweep; revocation numbers are kept only
// in memory, so after a restart the first sweep deletes every unexpired revoked session again.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "samverka/cluster/sessions.hpp"
#include "samverka/provisioning/registry.hpp"
#include "samverka/tenant/store.hpp"
#include "tenant_directory.hpp"

namespace samverka::gateway {

// How often the sweep looks for revocations nobody flushed (CLI runs without --redis): the
// longest such a revocation takes to reach the other nodes.
inline constexpr auto session_sweep_interval = std::chrono::seconds(1);
// Revoked sessions read and deleted per round trip of a flush.
inline constexpr std::size_t session_flush_batch = 500;
// A sweep trusts "these files did not change" only for a stamp older than this: file times
// have a coarse tick on some kernels, and a write in the stamp's own tick would go unseen.
inline constexpr auto session_stamp_settle = std::chrono::seconds(2);

class session_sync {
 public:
  using snapshot_fn = std::function<std::shared_ptr<const tenant_snapshot>()>;
  using store_fn =
      std::function<result<std::shared_ptr<tenant::store>>(const provisioning::tenant_info&)>;

  session_sync(cluster::session_directory& directory, std::filesystem::path data_dir,
               snapshot_fn snapshot, store_fn store);
  ~session_sync();  // stops the sweep
  session_sync(const session_sync&) = delete;
  session_sync& operator=(const session_sync&) = delete;

  void start();
  void stop();
  // Publishes a session `home`'s store just said is valid, then looks again and deletes the
  // entry unless the session is still valid and `home` still active and not moving (so a
  // racing revocation, suspension or move wins).
  void publish(const provisioning::tenant_info& home, std::string_view secret,
               std::string_view email, std::int64_t expires_ms);
  // Deletes from Redis the sessions of `t` revoked since the last flush, read from `store` (the
  // request's own handle) or else one opened for background work; false if that failed (the
  // sweep tries again; and entries live at most cluster::session_entry_ttl anyway).
  bool flush(const provisioning::tenant_info& t, tenant::store* store = nullptr);

 private:
  struct stamp {
    std::filesystem::file_time_type db, wal;
    std::uintmax_t db_size = 0, wal_size = 0;
    bool operator==(const stamp&) const = default;
  };
  struct mark {
    std::int64_t id = 0;         // the tenant's registry id: a restored copy starts again from 0
    std::int64_t seq = 0;        // revocations up to this number are deleted from Redis
    std::optional<stamp> swept;  // the files as the last successful sweep flush saw them
    bool forgotten = false;      // every entry deleted (the tenant is not active here)
  };

  void run();
  void sweep();
  stamp files_of(const std::string& slug) const;

  cluster::session_directory& directory_;
  std::filesystem::path data_dir_;
  snapshot_fn snapshot_;
  store_fn store_;
  std::mutex marks_mu_;
  std::map<std::string, mark, std::less<>> marks_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace samverka::gateway
