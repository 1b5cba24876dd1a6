// Private to tenant/: the connection pool behind tenant::store and the helpers every part of
// the store shares. Each feature implements its store methods in its own translation unit
// (store.cpp: open, org tree, people, sessions; news.cpp: news) on top of this header.
#pragma once

#include <sqlite3.h>
#include <algorithm>
#include <atomic>
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
#include "read_cache.hpp"
#include "samverka/core/clock.hpp"
#include "samverka/core/crypto.hpp"
#include "samverka/core/slug.hpp"
#include "samverka/db/sqlite.hpp"
#include "samverka/tenant/limits.hpp"
#include "samverka/tenant/sanitize.hpp"
#include "samverka/tenant/store.hpp"
#include "schema.hpp"
#include "search_text.hpp"
#include "utf8.hpp"

namespace samverka::tenant {

namespace fs = std::filesystem;

namespace detail {

// Session secrets are 43 characters (32 random bytes, base64url); anything much longer is junk
// and is refused before hashing.
constexpr std::size_t max_secret = 256;
// Every role bit model.hpp defines; other bits are invalid input.
constexpr role_mask all_roles =
    bit(role::employee) | bit(role::manager) | bit(role::editor) | bit(role::admin);

inline int busy_ms() {
  return static_cast<int>(limits::busy_timeout.count());
}

// ---- Text validation ---------------------------------------------------------------------------

inline std::string_view trim(std::string_view s) {
  constexpr std::string_view ws = " \t\n\r\v\f";
  auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// Counts code points of valid UTF-8 text with no control characters (C0, DEL, C1; newline and
// tab only if `multiline`); nullopt if the text is not acceptable.
inline std::optional<std::size_t> plain_chars(std::string_view s, bool multiline) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size(); ++count) {
    const auto d = utf8::decode(s, i);
    if (!d.valid) return std::nullopt;
    const auto cp = d.cp;
    if ((cp < 0x20 && !(multiline && (cp == '\n' || cp == '\t'))) || (cp >= 0x7f && cp <= 0x9f))
      return std::nullopt;
    i += d.len;
  }
  return count;
}

// `in` trimmed, if it is acceptable plain text for `field` (at most `max_chars` code points).
// Plain text is stored as given; whoever renders it escapes it.
inline result<std::string> plain_text(std::string_view in, std::string_view field,
                                      std::size_t max_chars, bool required, bool multiline) {
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

inline result<void> check_password(std::string_view pw) {
  if (pw.size() < limits::min_password)
    return error(
        errc::invalid_input, "password_too_short",
        "password must be at least " + std::to_string(limits::min_password) + " characters");
  if (pw.size() > limits::max_password)
    return error(errc::invalid_input, "password_too_long",
                 "password must be at most " + std::to_string(limits::max_password) + " bytes");
  return {};
}

inline bool may_edit(const viewer& v) {
  return has(v.roles, role::editor) || has(v.roles, role::admin);
}

inline error editor_required() {
  return error(errc::forbidden, "editor_required", "only editors and admins may change news");
}

inline std::string json_ids(const std::vector<std::int64_t>& ids) {
  std::string out = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(ids[i]);
  }
  out += ']';
  return out;
}

// ---- Keyset cursors: "<published_at_ms>.<id>" --------------------------------------------------

inline std::string encode_cursor(const news_item& n) {
  return std::to_string(n.published_at_ms) + "." + std::to_string(n.id);
}

inline std::optional<std::int64_t> parse_nonnegative(std::string_view s) {
  if (s.empty() || s.front() < '0' || s.front() > '9') return std::nullopt;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

inline std::optional<std::pair<std::int64_t, std::int64_t>> parse_cursor(std::string_view c) {
  auto dot = c.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto at = parse_nonnegative(c.substr(0, dot));
  auto id = parse_nonnegative(c.substr(dot + 1));
  if (!at || !id) return std::nullopt;
  return std::pair{*at, *id};
}

// ---- Row readers -------------------------------------------------------------------------------

// Reads a row selected with SAMVERKA_NEWS_COLUMNS; units are filled in by fill_units().
inline news_item read_news_row(const db::statement& st) {
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
  n.unpublish_at_ms = st.opt_int64(12);  // scheduling
  return n;
}

// Whether a row selected with SAMVERKA_NEWS_COLUMNS targets particular units (else every unit,
// and fill_units has nothing to look up for it).
inline bool targets_units(const db::statement& st) {
  return st.int64(11) == 0;
}

// Audience unit names of `items`, in one query for the whole page.
inline void fill_units(db::connection& c, std::vector<news_item>& items) {
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

inline std::optional<news_item> load_news(db::connection& c, std::int64_t id,
                                          role_mask* roles = nullptr) {
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

inline std::optional<user> load_user(db::connection& c, std::int64_t id) {
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

inline std::optional<std::int64_t> user_id_by_email(db::connection& c, std::string_view email) {
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

inline result<resolved_units> resolve_units(db::connection& c,
                                            const std::vector<std::string>& names) {
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

inline result<stored_audience> resolve_audience(db::connection& c, const audience& a) {
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

inline void write_news_units(db::connection& c, std::int64_t news_id, const stored_audience& a) {
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

inline result<news_fields> prepare_fields(const std::optional<std::string>& title,
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

// Inserts a news row for `author` with already validated fields `f` inside the caller's write
// transaction: resolves the audience, writes its units and the audit entry (news.cpp).
result<news_item> insert_news(db::connection& c, const viewer& author, news_fields f,
                              const audience& target, std::optional<std::int64_t> published_at_ms,
                              std::optional<std::int64_t> unpublish_at_ms = std::nullopt);

// Scheduling: whether readers see news item `n` at `now` (published, not yet unpublished).
inline bool news_live(const news_item& n, std::int64_t now) {
  return n.published_at_ms <= now && (!n.unpublish_at_ms || *n.unpublish_at_ms > now);
}

}  // namespace detail

// The connection pool of one store (see the design notes in store.cpp).

struct store::impl {
  std::string slug;
  fs::path dir;
  fs::path db_file;

  // A pooled connection and the last `PRAGMA data_version` it reported (see read_cache.hpp).
  struct pooled {
    std::unique_ptr<db::connection> c;
    std::int64_t data_version = -1;
  };

  std::mutex mu;
  std::condition_variable freed;
  std::vector<pooled> idle;
  std::size_t open = 0;  // connections in existence: idle plus leased

  // Moves on with every commit to this store, by anyone (read_cache.hpp).
  std::atomic<std::uint64_t> generation{1};
  detail::generation_cache<viewer> sessions{detail::max_cached_sessions};
  detail::generation_cache<news_page> feed_pages{detail::max_cached_feed_pages};

  // A borrowed connection, returned to the free list when the lease ends.
  class lease {
   public:
    lease(impl& owner, pooled p)
        : owner_(owner), p_(std::move(p)), changes_(sqlite3_total_changes64(p_.c->raw())) {}
    ~lease() { owner_.give_back(std::move(p_), changes_); }
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    db::connection& operator*() { return *p_.c; }
    db::connection* operator->() { return p_.c.get(); }

    // The store's data generation as of now, counting commits made elsewhere since this
    // connection last looked. Call it before reading what is to be cached.
    std::uint64_t generation() {
      auto& st = p_.c->cached("PRAGMA data_version");
      st.step();
      const auto version = st.int64(0);
      st.reset();
      if (version != p_.data_version) {
        if (p_.data_version != -1) owner_.generation.fetch_add(1);
        p_.data_version = version;
      }
      return owner_.generation.load();
    }

   private:
    impl& owner_;
    pooled p_;
    std::int64_t changes_;  // rows changed through the connection before this lease
  };

  // Waits up to the busy timeout for a free connection, opening a new one while under the cap.
  // Throws db::sqlite_error (busy) when none frees up, which callers report as unavailable.
  lease borrow() {
    std::unique_lock lk(mu);
    if (!freed.wait_for(lk, limits::busy_timeout,
                        [&] { return !idle.empty() || open < limits::connections_per_store; }))
      throw db::sqlite_error(SQLITE_BUSY, "every connection of tenant store " + slug + " is busy");
    if (!idle.empty()) {
      auto p = std::move(idle.back());
      idle.pop_back();
      return lease(*this, std::move(p));
    }
    ++open;
    lk.unlock();
    try {
      auto conn = std::make_unique<db::connection>(db_file, db::connection::mode::read_write,
                                                   detail::busy_ms());
      // The search index's tokenizer and SQL function (search feature, search_text.hpp).
      if (const int rc = search_text::register_on(conn->raw()); rc != SQLITE_OK)
        throw db::sqlite_error(rc, "cannot register the search tokenizer");
      return lease(*this, pooled{std::move(conn)});
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
  // A lease that changed rows moves the generation on, now that its commit is visible (or its
  // rollback is done: a needless move costs only a cache miss).
  void give_back(pooled p, std::int64_t changes_before) noexcept {
    auto& c = p.c;
    bool changed = false;
    if (c) {
      sqlite3* raw = c->raw();
      changed = sqlite3_total_changes64(raw) != changes_before;
      for (sqlite3_stmt* s = sqlite3_next_stmt(raw, nullptr); s; s = sqlite3_next_stmt(raw, s))
        if (sqlite3_stmt_busy(s)) sqlite3_reset(s);
      if (!sqlite3_get_autocommit(raw)) sqlite3_exec(raw, "ROLLBACK", nullptr, nullptr, nullptr);
      if (!sqlite3_get_autocommit(raw)) c.reset();
    }
    if (changed) generation.fetch_add(1);
    std::lock_guard lk(mu);
    if (c)
      idle.push_back(std::move(p));
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

}  // namespace samverka::tenant
