// The gateway's view of the registry: an immutable snapshot of every tenant (slug -> id, name,
// state, domains) swapped in whole by a background thread whenever the registry's data_version
// moves, so each request reads tenants without touching SQLite and CLI changes (create,
// suspend, resume, delete) take effect within limits::registry_poll_interval.
//
// Invariant: a store handle in the pool belongs to the tenant generation (registry id) it was
// opened for. When a tenant disappears, is re-created (new id) or is suspended, the directory
// evicts it from the pool before publishing the snapshot that says so.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "samverka/core/error.hpp"
#include "samverka/provisioning/registry.hpp"

namespace samverka::gateway {

struct tenant_snapshot {
  std::int64_t data_version = -1;
  std::unordered_map<std::string, provisioning::tenant_info> by_slug;
  std::unordered_map<std::string, std::string> domain_owner;  // e-mail domain -> slug

  // The tenant `slug`, or nullptr.
  const provisioning::tenant_info* find(std::string_view slug) const;
  // The slug of the tenant owning e-mail domain `domain` (lower-case), if any.
  std::optional<std::string_view> owner_of(std::string_view domain) const;
  // Builds a snapshot from a tenant list.
  static tenant_snapshot from(std::vector<provisioning::tenant_info> tenants, std::int64_t version);
};

// Slugs whose pool handle is stale going from `before` to `after`: gone, re-created under a new
// id, or no longer active.
std::vector<std::string> stale_tenants(const tenant_snapshot& before, const tenant_snapshot& after);

class tenant_directory {
 public:
  using evict_fn = std::function<void(std::string_view slug)>;

  tenant_directory(std::shared_ptr<provisioning::registry> reg, evict_fn evict);
  ~tenant_directory();

  // Reads the registry once if its data_version moved (always on the first call).
  result<void> refresh();
  // The current snapshot; never null after a successful first refresh().
  std::shared_ptr<const tenant_snapshot> snapshot() const;
  provisioning::registry& registry() const noexcept { return *reg_; }

  // Starts / stops the background poller. stop() is idempotent.
  void start();
  void stop();

 private:
  void poll_loop();

  std::shared_ptr<provisioning::registry> reg_;
  evict_fn evict_;
  mutable std::mutex mu_;  // guards snap_
  std::shared_ptr<const tenant_snapshot> snap_;
  std::mutex refresh_mu_;  // one refresh at a time
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread poller_;
};

}  // namespace samverka::gateway
