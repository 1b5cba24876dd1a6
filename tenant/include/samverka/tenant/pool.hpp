// A bounded pool of open tenant stores, least recently used closed first, so one node can hold
// thousands of tenants without running out of file descriptors or memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "samverka/core/error.hpp"
#include "samverka/tenant/store.hpp"

namespace samverka::tenant {

// Open stores kept by default: each holds up to limits::connections_per_store SQLite
// connections (a few file descriptors and a page cache each), so 256 stays well under
// the usual 1024-descriptor soft limit and a few hundred MB of memory. `serve --max-open-tenants`.
inline constexpr std::size_t default_max_open_tenants = 256;

class pool {
 public:
  explicit pool(std::filesystem::path data_dir, std::size_t max_open = default_max_open_tenants);
  ~pool();

  // The store of tenant `slug`, opening it if needed. `generation` is the registry's id for
  // the tenant: a tenant deleted and re-created under the same slug gets a fresh handle.
  // Evicted handles stay valid for requests that still hold them. A slug that is not a valid
  // tenant slug is invalid_input (it becomes a path component); errors of store::open pass through.
  result<std::shared_ptr<store>> get(std::string_view slug, std::int64_t generation);

  // Drops the pool's handle for `slug` (after delete, suspend or import).
  void evict(std::string_view slug);
  std::size_t open_count() const;
  std::size_t capacity() const noexcept;

  // Directory of a tenant's store under a data dir: DATA/tenants/SLUG.
  static std::filesystem::path tenant_dir(const std::filesystem::path& data_dir,
                                          std::string_view slug);

 private:
  struct impl;
  std::unique_ptr<impl> p_;
};

}  // namespace samverka::tenant
