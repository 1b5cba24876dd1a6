// Read caches of one store: resolved sessions and feed pages, valid for one data generation.
//
// Every morning most requests are reads, and many are the same read: each of a person's requests
// resolves the same session, and everyone in the same units with the same roles gets the same
// feed page. A cached answer is tagged with the store's data generation taken before the data
// was read; it is used only while the generation is unchanged, and the generation moves on every
// commit: our own (a lease that changed rows bumps it when given back, after the commit is
// visible) and anyone else's (another process, e.g. samverkactl, shows as a new
// `PRAGMA data_version` on the connection that checks). So a cached answer never outlives a
// change it depends on: a revoked session, a deactivated person or an edited item is seen by the
// next request. Feed pages also expire after feed_page_ttl, because scheduled news becomes
// visible with the clock, not with a commit.
#pragma once

#include <samverka/tenant/model.hpp>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace samverka::tenant::detail {

// Bounds of the caches of one store (each cleared whole when full: simple, and a full cache
// means a busy tenant that refills it at once).
inline constexpr std::size_t max_cached_sessions = 2048;
inline constexpr std::size_t max_cached_feed_pages = 512;
// How long a feed page may be served without reading the store again, at most. Bounds how late
// a scheduled item appears or disappears.
inline constexpr std::chrono::milliseconds feed_page_ttl{1'000};

// A small map of generation-tagged values, safe to use from several threads.
template <class V>
class generation_cache {
 public:
  explicit generation_cache(std::size_t capacity) : capacity_(capacity) {}

  // The value under `key` if it was stored at `generation` and has not expired at `now_ms`.
  std::optional<V> find(const std::string& key, std::uint64_t generation, std::int64_t now_ms) {
    std::lock_guard lk(mu_);
    const auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    if (it->second.generation != generation || it->second.expires_at_ms <= now_ms) {
      map_.erase(it);
      return std::nullopt;
    }
    return it->second.value;
  }

  // Keeps `value` under `key` for `generation` until `expires_at_ms`.
  void put(std::string key, V value, std::uint64_t generation, std::int64_t expires_at_ms) {
    std::lock_guard lk(mu_);
    if (map_.size() >= capacity_ && !map_.contains(key)) map_.clear();
    map_.insert_or_assign(std::move(key), entry{std::move(value), generation, expires_at_ms});
  }

 private:
  struct entry {
    V value;
    std::uint64_t generation;
    std::int64_t expires_at_ms;
  };
  std::size_t capacity_;
  std::mutex mu_;
  std::unordered_map<std::string, entry> map_;
};

}  // namespace samverka::tenant::detail
