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
#include "samverka/tenant/store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <limits>
#include <map>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "password.hpp"
#include "samverka/core/clock.hpp"
#include "samverka/core/crypto.hpp"
#include "samverka/core/slug.hpp"
#include "samverka/db/sqlite.hpp"
#include "samverka/tenant/limits.hpp"
#include "samverka/tenant/sanitize.hpp"
#include "schema.hpp"

namespace samverka::tenant {

namespace fs = std::filesystem;

namespace {

// Session secrets are 43 characters (32 random bytes, base64url); anything much longer is junk
// and is refused before hashing.
constexpr std::size_t max_secret = 256;
// Every role bit model.hpp defines; other bits are invalid input.
constexpr role_mask all_roles =
    bit(role::employee) | bit(role::manager) | bit(role::editor) | bit(role::admin);

int busy_ms() {
  return static_cast<int>(limits::busy_timeout.count());
}

// ---- Text validation ---------------------------------------------------------------------------

std::string_view trim(std::string_view s) {
  constexpr std::string_view ws = " \t\n\r\v\f";
  auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// Counts code points of valid UTF-8 text with no control characters (C0, DEL, C1; newline and
// tab only if `multiline`); nullopt if the text is not acceptable.
std::optional<std::size_t> plain_chars(std::string_view s, bool multiline) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size(); ++count) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t'))) || c == 0x7f) return std::nullopt;
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
      len = 2, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, cp = c & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + len > s.size()) return std::nullopt;
    for (std::size_t k = 1; k < len; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (d & 0x3f);
    }
    const bool overlong =
        (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
      return std::nullopt;
    i += len;
  }
  return count;
}

// `in` trimmed, if it is acceptable plain text for `field` (at most `max_chars` code points).
// Plain text is stored as given; whoever renders it escapes it.
result<std::string> plain_text(std::string_view in, std::string_view field, std::size_t max_chars,
                               bool required, bool multiline) {
  const std::string f(field);
  const auto t = trim(in);
  if (required && t.empty())
    return error(errc::invalid_input, f + "_required", f + " must not be empty");
  const auto n = plain_chars(t, multiline);
  if (!n)
    return error(errc::invalid_input, "invalid_" + f,
                 f + " must be UTF-8 text without control characters");
  if (*n > max_chars)
    return error(errc::invalid_input, f + "_too_long",
                 f + " is longer than " + std::to_string(max_chars) + " characters");
  return std::string(t);
}

result<void> check_password(std::string_view pw) {
  if (pw.size() < limits::min_password)
    return error(
        errc::invalid_input, "password_too_short",
        "password must be at least " + std::to_string(limits::min_password) + " characters");
  if (pw.size() > limits::max_password)
    return error(errc::invalid_input, "password_too_long",
                 "password must be at most " + std::to_string(limits::max_password) + " bytes");
  return {};
}

bool may_edit(const viewer& v) {
  return has(v.roles, role::editor) || has(v.roles, role::admin);
}

error editor_required() {
  return error(errc::forbidden, "editor_required", "only editors and admins may change news");
}

std::string json_ids(const std::vector<std::int64_t>& ids) {
  std::string out = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(ids[i]);
  }
  out += ']';
  return out;
}

// ---- Keyset cursors: "<published_at_ms>.<id>" --------------------------------------------------

std::string encode_cursor(const news_item& n) {
  return std::to_string(n.published_at_ms) + "." + std::to_string(n.id);
}

std::optional<std::int64_t> parse_nonnegative(std::string_view s) {
  if (s.empty() || s.front() < '0' || s.front() > '9') return std::nullopt;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::pair<std::int64_t, std::int64_t>> parse_cursor(std::string_view c) {
  auto dot = c.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto at = parse_nonnegative(c.substr(0, dot));
  auto id = parse_nonnegative(c.substr(dot + 1));
  if (!at || !id) return std::nullopt;
  return std::pair{*at, *id};
}

// ---- Row readers -------------------------------------------------------------------------------

// Reads a row selected with SAMVERKA_NEWS_COLUMNS; units are filled in by fill_units().
news_item read_news_row(const db::statement& st) {
  news_item n;
  n.id = st.int64(0);
  n.title = st.text(1);
  n.summary = st.text(2);
  n.body = st.text(3);
  n.published_at_ms = st.int64(4);
  n.updated_at_ms = st.int64(5);
  n.author_name = st.text(6);
  n.target.roles = role_names(static_cast<role_mask>(st.int64(7)));
  if (!st.is_null(8)) n.source = news_source{st.text(8), st.text(9), st.opt_int64(10).value_or(0)};
  return n;
}

// Audience unit names of `items`, in one query for the whole page.
void fill_units(db::connection& c, std::vector<news_item>& items) {
  if (items.empty()) return;
  std::vector<std::int64_t> ids;
  std::unordered_map<std::int64_t, news_item*> by_id;
  for (auto& n : items) {
    ids.push_back(n.id);
    by_id[n.id] = &n;
  }
  auto& st = c.cached(
      "SELECT nu.news_id, u.name FROM news_units nu JOIN units u ON u.id = nu.unit_id"
      " WHERE nu.news_id IN (SELECT value FROM json_each(?1)) ORDER BY nu.news_id, u.name");
  st.bind(1, json_ids(ids));
  while (st.step()) by_id.at(st.int64(0))->target.units.push_back(st.text(1));
}

std::optional<news_item> load_news(db::connection& c, std::int64_t id, role_mask* roles = nullptr) {
  auto& st =
      c.cached("SELECT " SAMVERKA_NEWS_COLUMNS " FROM news n WHERE n.id = ?1 AND n.deleted = 0");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  std::vector<news_item> one{read_news_row(st)};
  if (roles) *roles = static_cast<role_mask>(st.int64(7));
  st.reset();
  fill_units(c, one);
  return std::move(one.front());
}

std::optional<user> load_user(db::connection& c, std::int64_t id) {
  auto& st = c.cached(
      "SELECT id, email, name, roles, password_hash IS NOT NULL, active FROM users WHERE id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  user u;
  u.id = st.int64(0);
  u.email = st.text(1);
  u.name = st.text(2);
  u.roles = static_cast<role_mask>(st.int64(3));
  u.has_password = st.int64(4) != 0;
  u.active = st.int64(5) != 0;
  st.reset();
  auto& us = c.cached(
      "SELECT u.name FROM user_units uu JOIN units u ON u.id = uu.unit_id WHERE uu.user_id = ?1"
      " ORDER BY u.name");
  us.bind(1, id);
  while (us.step()) u.units.push_back(us.text(0));
  return u;
}

std::optional<std::int64_t> user_id_by_email(db::connection& c, std::string_view email) {
  auto& st = c.cached("SELECT id FROM users WHERE email = ?1");
  st.bind(1, email);
  if (!st.step()) return std::nullopt;
  return st.int64(0);
}

// Ids and canonical names of the units named in `names` (duplicates folded, sorted by name).
struct resolved_units {
  std::vector<std::int64_t> ids;
  std::vector<std::string> names;
};

result<resolved_units> resolve_units(db::connection& c, const std::vector<std::string>& names) {
  std::map<std::string, std::int64_t> found;  // canonical name -> id
  auto& st = c.cached("SELECT id, name FROM units WHERE name = ?1");
  for (const auto& n : names) {
    st.reset();
    st.bind(1, trim(n));
    if (!st.step()) return error(errc::invalid_input, "unknown_unit", "no unit named '" + n + "'");
    found.emplace(st.text(1), st.int64(0));
  }
  st.reset();
  resolved_units out;
  for (auto& [name, id] : found) {
    out.ids.push_back(id);
    out.names.push_back(name);
  }
  return out;
}

// The audience in stored form: role bits (0 = every role) and unit ids (empty = every unit).
struct stored_audience {
  role_mask roles = 0;
  resolved_units units;
};

result<stored_audience> resolve_audience(db::connection& c, const audience& a) {
  stored_audience out;
  for (const auto& r : a.roles) {
    auto parsed = parse_role(r);
    if (!parsed) return error(errc::invalid_input, "unknown_role", "no role named '" + r + "'");
    out.roles |= bit(*parsed);
  }
  if (a.units.size() > limits::max_audience_units)
    return error(
        errc::invalid_input, "too_many_units",
        "an audience may name at most " + std::to_string(limits::max_audience_units) + " units");
  auto units = resolve_units(c, a.units);
  if (!units) return units.err();
  out.units = std::move(*units);
  return out;
}

void write_news_units(db::connection& c, std::int64_t news_id, const stored_audience& a) {
  c.cached("DELETE FROM news_units WHERE news_id = ?1").bind(1, news_id).run();
  auto& ins = c.cached("INSERT INTO news_units(news_id, unit_id) VALUES (?1, ?2)");
  for (auto id : a.units.ids) {
    ins.reset();
    ins.bind_all(news_id, id).run();
  }
}

// Validated, sanitised fields of a draft or patch, prepared before any transaction.
struct news_fields {
  std::optional<std::string> title, summary, body;
};

result<news_fields> prepare_fields(const std::optional<std::string>& title,
                                   const std::optional<std::string>& summary,
                                   const std::optional<std::string>& body) {
  news_fields f;
  if (title) {
    auto t = plain_text(*title, "title", limits::max_title, true, true);
    if (!t) return t.err();
    f.title = std::move(*t);
  }
  if (summary) {
    auto s = plain_text(*summary, "summary", limits::max_summary, false, true);
    if (!s) return s.err();
    f.summary = std::move(*s);
  }
  if (body) {
    f.body = sanitize_html(*body);
    if (f.body->size() > limits::max_body)
      return error(errc::too_large, "body_too_large",
                   "the news body is larger than " + std::to_string(limits::max_body) +
                       " bytes after sanitising");
  }
  return f;
}

}  // namespace

// ---- Connection pool ---------------------------------------------------------------------------

struct store::impl {
  std::string slug;
  fs::path dir;
  fs::path db_file;

  std::mutex mu;
  std::condition_variable freed;
  std::vector<std::unique_ptr<db::connection>> idle;
  std::size_t open = 0;  // connections in existence: idle plus leased

  // A borrowed connection, returned to the free list when the lease ends.
  class lease {
   public:
    lease(impl& owner, std::unique_ptr<db::connection> c) : owner_(owner), c_(std::move(c)) {}
    ~lease() { owner_.give_back(std::move(c_)); }
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    db::connection& operator*() { return *c_; }
    db::connection* operator->() { return c_.get(); }

   private:
    impl& owner_;
    std::unique_ptr<db::connection> c_;
  };

  // Waits up to the busy timeout for a free connection, opening a new one while under the cap.
  // Throws db::sqlite_error (busy) when none frees up, which callers report as unavailable.
  lease borrow() {
    std::unique_lock lk(mu);
    if (!freed.wait_for(lk, limits::busy_timeout,
                        [&] { return !idle.empty() || open < limits::connections_per_store; }))
      throw db::sqlite_error(SQLITE_BUSY, "every connection of tenant store " + slug + " is busy");
    if (!idle.empty()) {
      auto c = std::move(idle.back());
      idle.pop_back();
      return lease(*this, std::move(c));
    }
    ++open;
    lk.unlock();
    try {
      return lease(*this, std::make_unique<db::connection>(
                              db_file, db::connection::mode::read_write, busy_ms()));
    } catch (...) {
      lk.lock();
      --open;
      freed.notify_one();
      throw;
    }
  }

  // Puts `c` back in a clean state: no statement mid-iteration (which would pin an old WAL
  // snapshot and stall checkpoints) and no open transaction; a connection that cannot be
  // cleaned is closed instead.
  void give_back(std::unique_ptr<db::connection> c) noexcept {
    if (c) {
      sqlite3* raw = c->raw();
      for (sqlite3_stmt* s = sqlite3_next_stmt(raw, nullptr); s; s = sqlite3_next_stmt(raw, s))
        if (sqlite3_stmt_busy(s)) sqlite3_reset(s);
      if (!sqlite3_get_autocommit(raw)) sqlite3_exec(raw, "ROLLBACK", nullptr, nullptr, nullptr);
      if (!sqlite3_get_autocommit(raw)) c.reset();
    }
    std::lock_guard lk(mu);
    if (c)
      idle.push_back(std::move(c));
    else
      --open;
    freed.notify_one();
  }

  // Runs `f` (which returns result<T>), turning storage and environment failures into errors.
  template <class F>
  auto guarded(std::string_view what, F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const db::sqlite_error& e) {
      return schema::from_sqlite(e, what);
    } catch (const std::runtime_error& e) {  // the environment failed: randomness, argon2 memory
      return error(errc::internal, std::string(what) + ": " + e.what());
    }
  }
};

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

result<viewer> store::viewer_for(std::int64_t user_id) {
  return p_->guarded("resolve viewer", [&]() -> result<viewer> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto& st = c->cached("SELECT email, name, roles FROM users WHERE id = ?1 AND active = 1");
    st.bind(1, user_id);
    if (!st.step()) return error(errc::not_found, "unknown_user", "no such active person");
    viewer v;
    v.user_id = user_id;
    v.email = st.text(0);
    v.name = st.text(1);
    v.roles = static_cast<role_mask>(st.int64(2)) | bit(role::employee);
    st.reset();
    auto& us = c->cached("SELECT unit_id FROM user_units WHERE user_id = ?1 ORDER BY unit_id");
    us.bind(1, user_id);
    while (us.step()) v.unit_ids.push_back(us.int64(0));
    // UNION (not UNION ALL) stops at units already seen, so shared ancestors appear once.
    auto& reach = c->cached(
        "WITH RECURSIVE r(id) AS ("
        "  SELECT unit_id FROM user_units WHERE user_id = ?1"
        "  UNION SELECT u.parent_id FROM units u JOIN r ON u.id = r.id"
        "        WHERE u.parent_id IS NOT NULL)"
        " SELECT id FROM r ORDER BY id");
    reach.bind(1, user_id);
    while (reach.step()) v.reach.push_back(reach.int64(0));
    return v;
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

// ---- News --------------------------------------------------------------------------------------

result<news_item> store::create_news(const viewer& author, const news_draft& d) {
  if (!may_edit(author)) return editor_required();
  auto f = prepare_fields(d.title, d.summary, d.body);
  if (!f) return f.err();
  if (d.published_at_ms && *d.published_at_ms < 0)
    return error(errc::invalid_input, "invalid_published_at", "publication time before 1970");
  return p_->guarded("create news", [&]() -> result<news_item> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto a = resolve_audience(*c, d.target);
    if (!a) return a.err();
    news_item n;
    n.title = std::move(*f->title);
    n.summary = std::move(*f->summary);
    n.body = std::move(*f->body);
    n.published_at_ms = n.updated_at_ms = d.published_at_ms.value_or(now_ms());
    n.author_name = author.name;
    n.target.units = a->units.names;
    n.target.roles = role_names(a->roles);
    std::optional<std::int64_t> author_id;
    if (author.user_id > 0) author_id = author.user_id;
    c->cached(
         "INSERT INTO news(title, summary, body, author_id, author_name, published_at, updated_at,"
         " roles_mask, all_units) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
        .bind_all(n.title, n.summary, n.body, author_id, n.author_name, n.published_at_ms,
                  n.updated_at_ms, static_cast<std::int64_t>(a->roles),
                  static_cast<std::int64_t>(a->units.ids.empty()))
        .run();
    n.id = c->last_insert_rowid();
    write_news_units(*c, n.id, *a);
    tx.commit();
    return n;
  });
}

result<news_page> store::list_news(const viewer& who, news_scope scope, std::size_t limit,
                                   std::optional<std::string_view> cursor) {
  std::int64_t after_at = std::numeric_limits<std::int64_t>::max();
  std::int64_t after_id = std::numeric_limits<std::int64_t>::max();
  if (cursor) {
    auto parsed = parse_cursor(*cursor);
    if (!parsed) return error(errc::invalid_input, "invalid_cursor", "malformed news cursor");
    std::tie(after_at, after_id) = *parsed;
  }
  if (limit == 0) limit = limits::default_page;
  limit = std::clamp<std::size_t>(limit, 1, limits::max_page);
  const auto fetch = static_cast<std::int64_t>(limit) + 1;  // one more tells if a next page exists
  const auto roles = static_cast<std::int64_t>(who.roles | bit(role::employee));
  return p_->guarded("list news", [&]() -> result<news_page> {
    auto c = p_->borrow();
    db::read_txn tx(*c);  // the page and its audiences from one snapshot
    auto& st = c->cached(scope == news_scope::mine ? schema::feed_mine_sql : schema::feed_all_sql);
    if (scope == news_scope::mine)
      st.bind_all(after_at, after_id, roles, json_ids(who.reach), fetch);
    else
      st.bind_all(after_at, after_id, roles, fetch);
    news_page page;
    while (st.step()) page.items.push_back(read_news_row(st));
    if (page.items.size() > limit) {
      page.items.resize(limit);
      page.next_cursor = encode_cursor(page.items.back());
    }
    fill_units(*c, page.items);
    return page;
  });
}

result<news_item> store::get_news(const viewer& who, std::int64_t id) {
  return p_->guarded("get news", [&]() -> result<news_item> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    role_mask target = 0;
    auto n = load_news(*c, id, &target);
    const bool role_match = target == 0 || (target & (who.roles | bit(role::employee))) != 0;
    if (!n || !(role_match || may_edit(who)))
      return error(errc::not_found, "unknown_news", "no such news item");
    return std::move(*n);
  });
}

result<news_item> store::update_news(const viewer& who, std::int64_t id, const news_patch& patch) {
  if (!may_edit(who)) return editor_required();
  auto f = prepare_fields(patch.title, patch.summary, patch.body);
  if (!f) return f.err();
  return p_->guarded("update news", [&]() -> result<news_item> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto cur = load_news(*c, id);
    if (!cur) return error(errc::not_found, "unknown_news", "no such news item");
    if (f->title) cur->title = std::move(*f->title);
    if (f->summary) cur->summary = std::move(*f->summary);
    if (f->body) cur->body = std::move(*f->body);
    cur->updated_at_ms = std::max(now_ms(), cur->published_at_ms);
    c->cached("UPDATE news SET title = ?1, summary = ?2, body = ?3, updated_at = ?4 WHERE id = ?5")
        .bind_all(cur->title, cur->summary, cur->body, cur->updated_at_ms, id)
        .run();
    if (patch.target) {
      auto a = resolve_audience(*c, *patch.target);
      if (!a) return a.err();
      c->cached("UPDATE news SET roles_mask = ?1, all_units = ?2 WHERE id = ?3")
          .bind_all(static_cast<std::int64_t>(a->roles),
                    static_cast<std::int64_t>(a->units.ids.empty()), id)
          .run();
      write_news_units(*c, id, *a);
      cur->target.units = a->units.names;
      cur->target.roles = role_names(a->roles);
    }
    tx.commit();
    return std::move(*cur);
  });
}

result<void> store::delete_news(const viewer& who, std::int64_t id) {
  if (!may_edit(who)) return editor_required();
  return p_->guarded("delete news", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    c->cached("UPDATE news SET deleted = 1, updated_at = ?1 WHERE id = ?2 AND deleted = 0")
        .bind_all(now_ms(), id)
        .run();
    if (c->changes() == 0) return error(errc::not_found, "unknown_news", "no such news item");
    tx.commit();
    return {};
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
