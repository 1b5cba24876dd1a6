// tenant::pool: a bounded LRU of open tenant stores.
//
// Design notes:
//  1. Entries are keyed by slug and remember the registry generation they were opened for; a
//     get() with another generation (tenant deleted and re-created) drops the old entry.
//  2. Opening a store (file open, schema check) happens outside the pool's mutex, so a slow disk
//     under one tenant never stalls requests for the others. Concurrent get()s of the same slug
//     and generation share one open through a shared_future instead of racing.
//  3. evict() also cancels an open in flight, so a handle opened before a delete, suspend or
//     import is handed to the request that started it but never cached.
//  4. The pool only drops its own reference: requests holding a shared_ptr keep using an evicted
//     store, which closes its connections when the last holder lets go.
#include "samverka/tenant/pool.hpp"

#include <algorithm>
#include <future>
#include <list>
#include <mutex>
#include <unordered_map>

#include "samverka/core/slug.hpp"

namespace samverka::tenant {

namespace fs = std::filesystem;

namespace {
using store_result = result<std::shared_ptr<store>>;
}  // namespace

struct pool::impl {
  struct entry {
    std::int64_t generation = 0;
    std::shared_ptr<store> handle;
    std::list<std::string>::iterator lru_pos;  // position in `lru`
  };
  // An open in progress; waiters share its outcome.
  struct opening {
    std::int64_t generation = 0;
    std::shared_future<store_result> outcome;
    bool cancelled = false;
  };

  fs::path data_dir;
  std::size_t max_open = 1;

  mutable std::mutex mu;
  std::list<std::string> lru;  // most recently used first
  std::unordered_map<std::string, entry> open;
  std::unordered_map<std::string, std::shared_ptr<opening>> in_flight;

  void erase(const std::string& slug) {
    if (auto it = open.find(slug); it != open.end()) {
      lru.erase(it->second.lru_pos);
      open.erase(it);
    }
  }

  // Caches `handle` as the most recent entry, closing the least recently used beyond capacity.
  void insert(const std::string& slug, std::int64_t generation, std::shared_ptr<store> handle) {
    erase(slug);
    lru.push_front(slug);
    open.emplace(slug, entry{generation, std::move(handle), lru.begin()});
    while (open.size() > max_open) {
      open.erase(lru.back());
      lru.pop_back();
    }
  }
};

pool::pool(fs::path data_dir, std::size_t max_open) : p_(std::make_unique<impl>()) {
  p_->data_dir = std::move(data_dir);
  p_->max_open = std::max<std::size_t>(max_open, 1);
}

pool::~pool() = default;

result<std::shared_ptr<store>> pool::get(std::string_view slug_view, std::int64_t generation) {
  // The slug becomes a path component: only the contract's slugs can name a directory.
  if (!valid_slug(slug_view))
    return error(errc::invalid_input, "invalid_slug", "not a tenant slug");
  const std::string slug(slug_view);

  std::unique_lock lk(p_->mu);
  if (auto it = p_->open.find(slug); it != p_->open.end()) {
    if (it->second.generation == generation) {
      p_->lru.splice(p_->lru.begin(), p_->lru, it->second.lru_pos);
      return it->second.handle;
    }
    p_->erase(slug);  // a re-created tenant: the old handle must not serve it
  }
  if (auto it = p_->in_flight.find(slug); it != p_->in_flight.end()) {
    if (it->second->generation == generation) {
      auto outcome = it->second->outcome;
      lk.unlock();
      return outcome.get();
    }
    it->second->cancelled = true;  // an open for an older generation must not be cached
  }

  auto op = std::make_shared<impl::opening>();
  op->generation = generation;
  std::promise<store_result> promise;
  op->outcome = promise.get_future().share();
  p_->in_flight[slug] = op;
  lk.unlock();

  store_result opened = error(errc::internal, "tenant store open did not complete");
  try {
    opened = store::open(slug, tenant_dir(p_->data_dir, slug));
  } catch (...) {
    lk.lock();
    if (auto it = p_->in_flight.find(slug); it != p_->in_flight.end() && it->second == op)
      p_->in_flight.erase(it);
    lk.unlock();
    promise.set_exception(std::current_exception());
    throw;
  }

  lk.lock();
  if (auto it = p_->in_flight.find(slug); it != p_->in_flight.end() && it->second == op)
    p_->in_flight.erase(it);
  if (opened && !op->cancelled) p_->insert(slug, generation, *opened);
  lk.unlock();
  promise.set_value(opened);
  return opened;
}

void pool::evict(std::string_view slug_view) {
  const std::string slug(slug_view);
  std::lock_guard lk(p_->mu);
  p_->erase(slug);
  if (auto it = p_->in_flight.find(slug); it != p_->in_flight.end()) {
    it->second->cancelled = true;
    p_->in_flight.erase(it);
  }
}

std::size_t pool::open_count() const {
  std::lock_guard lk(p_->mu);
  return p_->open.size();
}

std::size_t pool::capacity() const noexcept {
  return p_->max_open;
}

fs::path pool::tenant_dir(const fs::path& data_dir, std::string_view slug) {
  return data_dir / "tenants" / std::string(slug);
}

}  // namespace samverka::tenant
