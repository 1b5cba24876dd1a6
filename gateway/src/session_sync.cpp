#include "session_sync.hpp"

#include "log.hpp"
#include "samverka/core/crypto.hpp"
#include "samverka/tenant/pool.hpp"

namespace samverka::gateway {

namespace fs = std::filesystem;

session_sync::session_sync(cluster::session_directory& directory, fs::path data_dir,
                           snapshot_fn snapshot, store_fn store)
    : directory_(directory),
      data_dir_(std::move(data_dir)),
      snapshot_(std::move(snapshot)),
      store_(std::move(store)) {}

session_sync::~session_sync() {
  stop();
}

void session_sync::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void session_sync::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void session_sync::publish(const provisioning::tenant_info& home, std::string_view secret,
                           std::string_view email, std::int64_t expires_ms) {
  const std::string hash = crypto::sha256_hex(secret);
  (void)directory_.publish(home.slug, hash, email, expires_ms);  // on failure others ask us
  // The second look, whatever the write answered (its reply may be lost after it took effect).
  // A revocation committed before it may have been flushed before the entry was written; one
  // committed after it is flushed after it. The tenant must still be active here under the same
  // id (a suspension's forget_home may have run before the write), and not paused by a move
  // (the store handle of store_ passes the move gate): else the entry goes again.
  bool keep = false;
  if (const auto snap = snapshot_())
    if (const auto* now = snap->find(home.slug);
        now && now->id == home.id && now->state == provisioning::tenant_state::active)
      if (auto store = store_(home))
        keep = static_cast<bool>(store.value()->resolve_session(secret));
  if (!keep)
    if (auto r = directory_.forget(home.slug, {hash}); !r)
      log_event("warn", "cannot withdraw a session from Redis",
                {{"tenant", home.slug}, {"detail", r.err().message}});
}

bool session_sync::flush(const provisioning::tenant_info& t, tenant::store* store) {
  std::int64_t after = 0;
  {
    std::lock_guard lock(marks_mu_);
    auto& m = marks_[t.slug];
    if (m.id != t.id) m = mark{.id = t.id};  // a new tenant under this slug counts from 0
    after = m.seq;
  }
  std::shared_ptr<tenant::store> opened;
  if (!store) {
    auto s = store_(t);
    if (!s) return false;
    opened = std::move(s.value());
    store = opened.get();
  }
  for (;;) {
    auto revoked = store->revoked_sessions_since(after, session_flush_batch);
    if (!revoked) return false;
    if (revoked->empty()) return true;
    std::vector<std::string> hashes;
    hashes.reserve(revoked->size());
    for (auto& r : *revoked) hashes.push_back(std::move(r.token_hash));
    if (auto r = directory_.forget(t.slug, hashes); !r) return false;
    after = revoked->back().seq;
    {
      std::lock_guard lock(marks_mu_);
      auto& m = marks_[t.slug];
      if (m.id == t.id) m.seq = std::max(m.seq, after);
    }
    if (revoked->size() < session_flush_batch) return true;
  }
}

session_sync::stamp session_sync::files_of(const std::string& slug) const {
  const fs::path db = tenant::pool::tenant_dir(data_dir_, slug) / "tenant.sqlite";
  const fs::path wal = db.string() + "-wal";
  std::error_code ec;
  stamp s;
  s.db = fs::last_write_time(db, ec);
  s.db_size = fs::file_size(db, ec);
  s.wal = fs::last_write_time(wal, ec);
  s.wal_size = fs::file_size(wal, ec);
  return s;
}

void session_sync::sweep() {
  const auto snap = snapshot_();
  if (!snap) return;
  // Tenants gone from here (deleted, moved away): their sessions leave Redis; a moved tenant's
  // new node publishes them again on the next lookup.
  std::vector<std::string> gone;
  {
    std::lock_guard lock(marks_mu_);
    for (const auto& [slug, m] : marks_)
      if (!snap->find(slug)) gone.push_back(slug);
  }
  for (const auto& slug : gone) {
    if (!directory_.forget_home(slug)) continue;
    std::lock_guard lock(marks_mu_);
    marks_.erase(slug);
  }
  for (const auto& [slug, t] : snap->by_slug) {
    bool forgotten = false;
    std::optional<stamp> swept;
    {
      std::lock_guard lock(marks_mu_);
      auto& m = marks_[slug];
      if (m.id != t.id) m = mark{.id = t.id};  // re-created or restored under this slug
      forgotten = m.forgotten;
      swept = m.swept;
      if (t.state == provisioning::tenant_state::active) m.forgotten = false;
    }
    if (t.state != provisioning::tenant_state::active) {
      // A suspended home vouches for no one: none of its sessions may be read from Redis.
      if (!forgotten && directory_.forget_home(slug)) {
        std::lock_guard lock(marks_mu_);
        if (auto& m = marks_[slug]; m.id == t.id) m.forgotten = true;
      }
      continue;
    }
    const stamp now = files_of(slug);
    if (swept && *swept == now) continue;  // nothing written since the last flush
    if (flush(t)) {
      // A write in the same clock tick as the stamp, after the flush read, would leave the
      // stamp unchanged: a stamp that recent is not trusted, so the next sweep flushes again
      // (as git treats "racily clean" files).
      const auto newest = std::max(now.db, now.wal);  // min() when the files cannot be read
      const bool settled = newest != fs::file_time_type::min() &&
                           fs::file_time_type::clock::now() - newest > session_stamp_settle;
      std::lock_guard lock(marks_mu_);
      auto& m = marks_[slug];
      if (m.id == t.id) m.swept = settled ? std::optional<stamp>(now) : std::nullopt;
    }
  }
}

void session_sync::run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    try {
      sweep();
    } catch (const std::exception& e) {
      log_event("error", "session sweep failed", {{"detail", e.what()}});
    }
    lock.lock();
    cv_.wait_for(lock, session_sweep_interval, [this] { return stop_; });
  }
}

}  // namespace samverka::gateway
