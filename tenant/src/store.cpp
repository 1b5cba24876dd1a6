// tenant::store: one tenant's SQLite database and file folder behind a small connection pool.
//
// Design notes:
//  1. A store owns at most limits::connections_per_store connections, created lazily and kept
//     in a free list; every public method borrows one for its whole duration (lease) and gives it
//     back clean (no active statement, no open transaction), so calls never share a connection.
//  2. Writes run in db::write_txn (BEGIN IMMEDIATE): the write lock is taken up front, so two
//     writers queue on the busy timeout instead of failing on a read-to-write upgrade.
//  3. Slow CPU work (argon2, HTML sanitising) happens before a connection is borrowed or after it
//     is returned, never inside a write transaction.
//  4. Every db::sqlite_error is caught at the public boundary and becomes a samverka::error.
#include "store_impl.hpp"

namespace samverka::tenant {

using namespace detail;

store::store(std::unique_ptr<impl> p) : p_(std::move(p)) {}
store::~store() = default;

const std::string& store::slug() const noexcept {
  return p_->slug;
}
const fs::path& store::dir() const noexcept {
  return p_->dir;
}

result<std::shared_ptr<store>> store::open(std::string slug, const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(schema::db_path(dir), ec))
    return error(errc::not_found, "store_missing", "no tenant store at " + dir.string());
  auto p = std::make_unique<impl>();
  p->slug = std::move(slug);
  p->dir = dir;
  p->db_file = schema::db_path(dir);
  try {
    auto c = p->borrow();  // kept in the free list for the first request
    if (auto ok = schema::check_current(*c); !ok) return ok.err();
  } catch (const db::sqlite_error& e) {
    return schema::from_sqlite(e, "open tenant store " + dir.string());
  }
  return std::shared_ptr<store>(new store(std::move(p)));
}

// ---- Org tree ----------------------------------------------------------------------------------

result<unit> store::add_unit(std::string_view name, std::optional<std::string_view> parent) {
  auto n = plain_text(name, "name", limits::max_name, true, false);
  if (!n) return n.err();
  return p_->guarded("add unit", [&]() -> result<unit> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    unit u;
    u.name = *n;
    if (parent) {
      auto& st = c->cached("SELECT id FROM units WHERE name = ?1");
      st.bind(1, trim(*parent));
      if (!st.step())
        return error(errc::invalid_input, "unknown_unit",
                     "no parent unit named '" + std::string(*parent) + "'");
      u.parent_id = st.int64(0);
    }
    auto& dup = c->cached("SELECT 1 FROM units WHERE name = ?1");
    dup.bind(1, u.name);
    if (dup.step())
      return error(errc::conflict, "unit_exists", "a unit named '" + u.name + "' already exists");
    c->cached("INSERT INTO units(name, parent_id) VALUES (?1, ?2)")
        .bind_all(u.name, u.parent_id)
        .run();
    u.id = c->last_insert_rowid();
    tx.commit();
    return u;
  });
}

result<std::vector<unit>> store::list_units() {
  return p_->guarded("list units", [&]() -> result<std::vector<unit>> {
    auto c = p_->borrow();
    auto& st = c->cached("SELECT id, name, parent_id FROM units ORDER BY id");
    std::vector<unit> out;
    while (st.step()) out.push_back(unit{st.int64(0), st.text(1), st.opt_int64(2)});
    return out;
  });
}

// ---- People ------------------------------------------------------------------------------------

result<user> store::add_user(const new_user& nu) {
  const std::string email = ascii_lower(trim(nu.email));
  if (!valid_email(email))
    return error(errc::invalid_input, "invalid_email",
                 "'" + nu.email + "' is not an e-mail address");
  auto name = plain_text(nu.name, "name", limits::max_name, true, false);
  if (!name) return name.err();
  if ((nu.roles & ~all_roles) != 0)
    return error(errc::invalid_input, "unknown_role", "unknown role bits");
  const role_mask roles = nu.roles | bit(role::employee);
  if (nu.password) {
    if (auto ok = check_password(*nu.password); !ok) return ok.err();
  }
  return p_->guarded("add user", [&]() -> result<user> {
    std::optional<std::string> hash;
    if (nu.password) hash = password::hash(*nu.password);  // before borrowing: argon2 is slow
    auto c = p_->borrow();
    db::write_txn tx(*c);
    if (user_id_by_email(*c, email))
      return error(errc::conflict, "email_taken", "a person with e-mail " + email + " exists");
    auto units = resolve_units(*c, nu.units);
    if (!units) return units.err();
    c->cached(
         "INSERT INTO users(email, name, roles, password_hash, active, created_at)"
         " VALUES (?1, ?2, ?3, ?4, 1, ?5)")
        .bind_all(email, *name, static_cast<std::int64_t>(roles), hash, now_ms())
        .run();
    const auto id = c->last_insert_rowid();
    auto& ins = c->cached("INSERT INTO user_units(user_id, unit_id) VALUES (?1, ?2)");
    for (auto uid : units->ids) {
      ins.reset();
      ins.bind_all(id, uid).run();
    }
    auto u = load_user(*c, id);
    tx.commit();
    return std::move(*u);
  });
}

result<user> store::get_user(std::int64_t id) {
  return p_->guarded("get user", [&]() -> result<user> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto u = load_user(*c, id);
    if (!u) return error(errc::not_found, "unknown_user", "no such person");
    return std::move(*u);
  });
}

result<user> store::find_user(std::string_view email) {
  const std::string e = ascii_lower(trim(email));
  return p_->guarded("find user", [&]() -> result<user> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto id = user_id_by_email(*c, e);
    std::optional<user> u;
    if (id) u = load_user(*c, *id);
    if (!u) return error(errc::not_found, "unknown_user", "no person with e-mail " + e);
    return std::move(*u);
  });
}

result<std::vector<user>> store::list_users() {
  return p_->guarded("list users", [&]() -> result<std::vector<user>> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    std::vector<user> out;
    std::unordered_map<std::int64_t, std::size_t> index;
    auto& st = c->cached(
        "SELECT id, email, name, roles, password_hash IS NOT NULL, active FROM users"
        " ORDER BY name, id");
    while (st.step()) {
      user u;
      u.id = st.int64(0);
      u.email = st.text(1);
      u.name = st.text(2);
      u.roles = static_cast<role_mask>(st.int64(3));
      u.has_password = st.int64(4) != 0;
      u.active = st.int64(5) != 0;
      index[u.id] = out.size();
      out.push_back(std::move(u));
    }
    auto& us = c->cached(
        "SELECT uu.user_id, u.name FROM user_units uu JOIN units u ON u.id = uu.unit_id"
        " ORDER BY uu.user_id, u.name");
    while (us.step())
      if (auto it = index.find(us.int64(0)); it != index.end())
        out[it->second].units.push_back(us.text(1));
    return out;
  });
}

result<void> store::set_password(std::int64_t user_id, std::string_view pw) {
  if (auto ok = check_password(pw); !ok) return ok;
  return p_->guarded("set password", [&]() -> result<void> {
    const std::string hash = password::hash(pw);  // before borrowing: argon2 is slow
    auto c = p_->borrow();
    db::write_txn tx(*c);
    c->cached("UPDATE users SET password_hash = ?1 WHERE id = ?2").bind_all(hash, user_id).run();
    if (c->changes() == 0) return error(errc::not_found, "unknown_user", "no such person");
    tx.commit();
    return {};
  });
}

result<void> store::set_active(std::int64_t user_id, bool active) {
  return p_->guarded("set active", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    c->cached("UPDATE users SET active = ?1 WHERE id = ?2")
        .bind_all(static_cast<std::int64_t>(active), user_id)
        .run();
    if (c->changes() == 0) return error(errc::not_found, "unknown_user", "no such person");
    tx.commit();
    return {};
  });
}

namespace {
// The active person `user_id` as a request principal, read inside the caller's transaction.
std::optional<viewer> load_viewer(db::connection& c, std::int64_t user_id) {
  auto& st = c.cached("SELECT email, name, roles FROM users WHERE id = ?1 AND active = 1");
  st.bind(1, user_id);
  if (!st.step()) return std::nullopt;
  viewer v;
  v.user_id = user_id;
  v.email = st.text(0);
  v.name = st.text(1);
  v.roles = static_cast<role_mask>(st.int64(2)) | bit(role::employee);
  st.reset();
  auto& us = c.cached("SELECT unit_id FROM user_units WHERE user_id = ?1 ORDER BY unit_id");
  us.bind(1, user_id);
  while (us.step()) v.unit_ids.push_back(us.int64(0));
  // UNION (not UNION ALL) stops at units already seen, so shared ancestors appear once.
  auto& reach = c.cached(
      "WITH RECURSIVE r(id) AS ("
      "  SELECT unit_id FROM user_units WHERE user_id = ?1"
      "  UNION SELECT u.parent_id FROM units u JOIN r ON u.id = r.id"
      "        WHERE u.parent_id IS NOT NULL)"
      " SELECT id FROM r ORDER BY id");
  reach.bind(1, user_id);
  while (reach.step()) v.reach.push_back(reach.int64(0));
  return v;
}
}  // namespace

result<viewer> store::viewer_for(std::int64_t user_id) {
  return p_->guarded("resolve viewer", [&]() -> result<viewer> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto v = load_viewer(*c, user_id);
    if (!v) return error(errc::not_found, "unknown_user", "no such active person");
    return std::move(*v);
  });
}

result<viewer> store::viewer_for(std::string_view email) {
  const std::string e = ascii_lower(trim(email));
  auto id = p_->guarded("resolve viewer", [&]() -> result<std::int64_t> {
    auto c = p_->borrow();
    auto found = user_id_by_email(*c, e);
    if (!found) return error(errc::not_found, "unknown_user", "no person with e-mail " + e);
    return *found;
  });
  if (!id) return id.err();
  return viewer_for(*id);
}

// ---- Authentication ----------------------------------------------------------------------------

result<user> store::verify_password(std::string_view email, std::string_view pw) {
  const error refused(errc::unauthenticated, "invalid_credentials", "wrong e-mail or password");
  // Longer input is refused without hashing: its length is the caller's own knowledge.
  if (pw.empty() || pw.size() > limits::max_password) return refused;
  const std::string e = ascii_lower(trim(email));
  struct account {
    std::int64_t id = 0;
    std::optional<std::string> hash;
    bool active = false;
  };
  // Look the account up, then give the connection back before argon2 runs.
  auto found = p_->guarded("verify password", [&]() -> result<std::optional<account>> {
    auto c = p_->borrow();
    auto& st = c->cached("SELECT id, password_hash, active FROM users WHERE email = ?1");
    st.bind(1, e);
    if (!st.step()) return std::optional<account>();
    return std::optional<account>(account{st.int64(0), st.opt_text(1), st.int64(2) != 0});
  });
  if (!found) return found.err();
  const auto& acc = *found;
  auto matched = p_->guarded("verify password", [&]() -> result<bool> {
    if (acc && acc->hash) return password::verify(*acc->hash, pw) && acc->active;
    (void)password::verify(password::dummy_hash(), pw);  // same cost as a real check
    return false;
  });
  if (!matched) return matched.err();
  if (!*matched) return refused;
  return get_user(acc->id);
}

result<std::string> store::create_session(std::int64_t user_id) {
  return p_->guarded("create session", [&]() -> result<std::string> {
    std::string secret = crypto::random_token(32);
    const std::string hash = crypto::sha256_hex(secret);
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto& st = c->cached("SELECT 1 FROM users WHERE id = ?1 AND active = 1");
    st.bind(1, user_id);
    if (!st.step()) return error(errc::not_found, "unknown_user", "no such active person");
    st.reset();
    const auto now = now_ms();
    // Expired sessions of this person are dropped here, so the table stays as small as the
    // number of live sessions without a background sweeper.
    c->cached("DELETE FROM sessions WHERE user_id = ?1 AND expires_at <= ?2")
        .bind_all(user_id, now)
        .run();
    const auto ttl = std::chrono::duration_cast<std::chrono::milliseconds>(limits::session_ttl);
    c->cached(
         "INSERT INTO sessions(token_hash, user_id, created_at, expires_at, revoked)"
         " VALUES (?1, ?2, ?3, ?4, 0)")
        .bind_all(hash, user_id, now, now + ttl.count())
        .run();
    tx.commit();
    return secret;
  });
}

result<session_info> store::resolve_session(std::string_view secret) {
  const error refused(errc::unauthenticated, "invalid_session", "the session is not valid");
  if (secret.empty() || secret.size() > max_secret) return refused;
  const std::string hash = crypto::sha256_hex(secret);
  return p_->guarded("resolve session", [&]() -> result<session_info> {
    auto c = p_->borrow();
    auto& st = c->cached(
        "SELECT s.user_id, u.email, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.token_hash = ?1 AND s.revoked = 0 AND s.expires_at > ?2 AND u.active = 1");
    st.bind_all(hash, now_ms());
    if (!st.step()) return refused;
    return session_info{st.int64(0), st.text(1), st.int64(2)};
  });
}

result<viewer> store::viewer_for_session(std::string_view secret) {
  const error refused(errc::unauthenticated, "invalid_session", "the session is not valid");
  if (secret.empty() || secret.size() > max_secret) return refused;
  const std::string hash = crypto::sha256_hex(secret);
  return p_->guarded("resolve session", [&]() -> result<viewer> {
    auto c = p_->borrow();
    const auto now = now_ms();
    const auto generation = c.generation();  // before reading: see read_cache.hpp
    if (auto hit = p_->sessions.find(hash, generation, now)) return std::move(*hit);
    db::read_txn tx(*c);  // the session and the person from one snapshot
    auto& st = c->cached(
        "SELECT s.user_id, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.token_hash = ?1 AND s.revoked = 0 AND s.expires_at > ?2 AND u.active = 1");
    st.bind_all(hash, now);
    if (!st.step()) return refused;
    const auto user_id = st.int64(0);
    const auto expires_at = st.int64(1);
    st.reset();
    auto v = load_viewer(*c, user_id);
    if (!v) return refused;
    p_->sessions.put(hash, *v, generation, expires_at);
    return std::move(*v);
  });
}

result<void> store::revoke_session(std::string_view secret) {
  if (secret.empty() || secret.size() > max_secret) return {};  // nothing to revoke
  const std::string hash = crypto::sha256_hex(secret);
  return p_->guarded("revoke session", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    c->cached("UPDATE sessions SET revoked = 1 WHERE token_hash = ?1").bind(1, hash).run();
    tx.commit();
    return {};
  });
}

result<std::vector<revoked_session>> store::revoked_sessions_since(std::int64_t after,
                                                                   std::size_t limit) {
  return p_->guarded("list revoked sessions", [&]() -> result<std::vector<revoked_session>> {
    auto c = p_->borrow();
    auto& st = c->cached(
        "SELECT token_hash, revoked_seq FROM sessions"
        " WHERE revoked_seq > ?1 AND expires_at > ?2 ORDER BY revoked_seq LIMIT ?3");
    st.bind_all(after, now_ms(), static_cast<std::int64_t>(limit));
    std::vector<revoked_session> out;
    while (st.step()) out.push_back({st.text(0), st.int64(1)});
    return out;
  });
}

// ---- Operations --------------------------------------------------------------------------------

std::uint64_t store::size_bytes() const {
  std::error_code ec;
  std::uint64_t total = 0;
  auto add_file = [&](const fs::path& f) {
    auto n = fs::file_size(f, ec);
    if (!ec) total += n;
  };
  add_file(p_->db_file);
  add_file(fs::path(p_->db_file.string() + "-wal"));
  const auto files = schema::files_path(p_->dir);
  for (fs::recursive_directory_iterator it(files, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec)) add_file(it->path());
  return total;
}

result<void> store::snapshot_to(const fs::path& target) {
  std::error_code ec;
  if (fs::exists(target, ec) || ec)
    return error(errc::conflict, "target_exists", target.string() + " already exists");
  return p_->guarded("snapshot", [&]() -> result<void> {
    auto c = p_->borrow();
    // VACUUM INTO writes a consistent, compacted copy from one read snapshot while writers go on.
    c->prepare("VACUUM INTO ?1").bind(1, target.string()).run();
    return {};
  });
}

}  // namespace samverka::tenant
