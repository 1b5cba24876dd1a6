#include "tenant_directory.hpp"

#include <cstdio>

#include "limits.hpp"
#include "log.hpp"

namespace samverka::gateway {

const provisioning::tenant_info* tenant_snapshot::find(std::string_view slug) const {
  const auto it = by_slug.find(std::string(slug));
  return it == by_slug.end() ? nullptr : &it->second;
}

std::optional<std::string_view> tenant_snapshot::owner_of(std::string_view domain) const {
  const auto it = domain_owner.find(std::string(domain));
  if (it == domain_owner.end()) return std::nullopt;
  return std::string_view(it->second);
}

tenant_snapshot tenant_snapshot::from(std::vector<provisioning::tenant_info> tenants,
                                      std::int64_t version) {
  tenant_snapshot s;
  s.data_version = version;
  for (auto& t : tenants) {
    for (const auto& d : t.domains) s.domain_owner.emplace(d, t.slug);
    std::string slug = t.slug;
    s.by_slug.emplace(std::move(slug), std::move(t));
  }
  return s;
}

std::vector<std::string> stale_tenants(const tenant_snapshot& before,
                                       const tenant_snapshot& after) {
  std::vector<std::string> out;
  for (const auto& [slug, old] : before.by_slug) {
    const auto* now = after.find(slug);
    if (!now || now->id != old.id || now->state != provisioning::tenant_state::active)
      out.push_back(slug);
  }
  return out;
}

tenant_directory::tenant_directory(std::shared_ptr<provisioning::registry> reg, evict_fn evict)
    : reg_(std::move(reg)), evict_(std::move(evict)) {}

tenant_directory::~tenant_directory() {
  stop();
}

result<void> tenant_directory::refresh() {
  std::lock_guard refresh_lock(refresh_mu_);
  const std::int64_t version = reg_->data_version();
  const auto current = snapshot();
  if (current && current->data_version == version) return {};
  auto tenants = reg_->list_tenants();
  if (!tenants) return tenants.err();
  auto next = std::make_shared<const tenant_snapshot>(
      tenant_snapshot::from(std::move(tenants.value()), version));
  // Evict before publishing: once a request sees the new snapshot, the pool no longer hands out
  // the old generation's handle (requests already holding it finish with it).
  if (current)
    for (const auto& slug : stale_tenants(*current, *next)) evict_(slug);
  std::lock_guard lock(mu_);
  snap_ = std::move(next);
  return {};
}

std::shared_ptr<const tenant_snapshot> tenant_directory::snapshot() const {
  std::lock_guard lock(mu_);
  return snap_;
}

void tenant_directory::start() {
  std::lock_guard lock(stop_mu_);
  if (poller_.joinable()) return;
  stopping_ = false;
  poller_ = std::thread([this] { poll_loop(); });
}

void tenant_directory::stop() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (poller_.joinable()) poller_.join();
}

void tenant_directory::poll_loop() {
  std::unique_lock lock(stop_mu_);
  while (!stop_cv_.wait_for(lock, limits::registry_poll_interval, [this] { return stopping_; })) {
    lock.unlock();
    try {
      if (auto r = refresh(); !r)
        log_event("warn", "registry refresh failed", {{"code", r.err().code}});
    } catch (const std::exception& e) {
      log_event("error", "registry refresh threw", {{"what", e.what()}});
    }
    lock.lock();
  }
}

}  // namespace samverka::gateway
