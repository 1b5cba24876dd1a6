// The platform registry (see registry.hpp for the lifecycle and its invariants).
//
// Design notes:
// - One connection behind a mutex: the registry is a few small tables and the gateway caches
//   its hot reads, so a connection pool would buy nothing. Other processes (samverkactl beside
//   the server) are serialised by SQLite's file locks; write transactions are BEGIN IMMEDIATE
//   and short, and never span building or copying a store.
// - A new store (create or import) is built in a staging directory DATA/tenants/.new-* or
//   .import-* (a slug cannot start with '.'), then, inside the registry write transaction that
//   inserts its rows, renamed to DATA/tenants/SLUG. Holding the registry's write lock makes the
//   "is the slug free, is its directory free" check and the rename atomic across processes; a
//   crash between rename and commit leaves a directory without a row, which create refuses
//   ("leftover_directory") instead of deleting someone's data.
// - Delete commits first, then renames the directory to .deleted-SLUG-ID and removes that, so
//   a crash never leaves half a store under a slug that could be registered again.
#include "samverka/provisioning/registry.hpp"

#include <algorithm>
#include <functional>
#include <mutex>
#include <system_error>
#include <tuple>

#include "archive.hpp"
#include "samverka/core/clock.hpp"
#include "samverka/core/crypto.hpp"
#include "samverka/core/slug.hpp"
#include "samverka/db/sqlite.hpp"
#include "samverka/tenant/limits.hpp"
#include "samverka/tenant/pool.hpp"
#include "samverka/tenant/store.hpp"

namespace samverka::provisioning {

namespace fs = std::filesystem;

namespace {

// Registry schema migrations; migration i brings user_version from i to i + 1. Append only.
constexpr const char* migrations[] = {
    R"sql(
CREATE TABLE tenants(
  id INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: ids are never reused (generations)
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'suspended')),
  created_at INTEGER NOT NULL
);
CREATE TABLE tenant_domains(
  domain TEXT PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE
);
CREATE INDEX tenant_domains_by_tenant ON tenant_domains(tenant_id);
CREATE TABLE memberships(
  email TEXT NOT NULL,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (email, tenant_id)
) WITHOUT ROWID;
CREATE INDEX memberships_by_tenant ON memberships(tenant_id);
CREATE TABLE partnerships(
  a INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  b INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  since INTEGER NOT NULL,
  PRIMARY KEY (a, b),
  CHECK (a < b)  -- one row per pair; both directions are read from it
) WITHOUT ROWID;
CREATE INDEX partnerships_by_b ON partnerships(b);
CREATE TABLE scim_tokens(
  token_sha256 TEXT PRIMARY KEY,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL
);
CREATE INDEX scim_tokens_by_tenant ON scim_tokens(tenant_id);
)sql",
    // Cluster mode: partnerships with tenants that other store nodes own. Each node records the
    // half of a cross-node pair that involves its own tenant (the partner's node records the
    // other half); the partner's name is kept for distribution lists and share messages.
    R"sql(
CREATE TABLE remote_partnerships(
  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  partner_slug TEXT NOT NULL,
  partner_name TEXT NOT NULL,
  since INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, partner_slug)
) WITHOUT ROWID;
)sql",
    // A counter that moves with every change that can change someone's partners (pairs, halves,
    // tenants arriving, leaving, suspended or resumed: a suspended store is brought in line when
    // it is back), so the sharing relay re-applies partner sets only then and
    // never misses a link and unlink that both fall between two of its polls.
    R"sql(
CREATE TABLE partnership_changes(n INTEGER NOT NULL);
INSERT INTO partnership_changes(n) VALUES (0);
CREATE TRIGGER partnerships_added AFTER INSERT ON partnerships
  BEGIN UPDATE partnership_changes SET n = n + 1; END;
CREATE TRIGGER partnerships_removed AFTER DELETE ON partnerships
  BEGIN UPDATE partnership_changes SET n = n + 1; END;
CREATE TRIGGER remote_partnerships_added AFTER INSERT ON remote_partnerships
  BEGIN UPDATE partnership_changes SET n = n + 1; END;
CREATE TRIGGER remote_partnerships_removed AFTER DELETE ON remote_partnerships
  BEGIN UPDATE partnership_changes SET n = n + 1; END;
CREATE TRIGGER tenants_added AFTER INSERT ON tenants
  BEGIN UPDATE partnership_changes SET n = n + 1; END;
CREATE TRIGGER tenants_removed AFTER DELETE ON tenants
  BEGIN UPDATE partnership_changes SET n = n + 1; END;
CREATE TRIGGER tenants_state_changed AFTER UPDATE OF state ON tenants
  BEGIN UPDATE partnership_changes SET n = n + 1; END;
)sql",
};
constexpr int registry_schema_version = static_cast<int>(std::size(migrations));

// Random part of staging directory names: unguessable and collision-free between processes.
constexpr std::size_t staging_token_bytes = 9;
// Bytes of randomness in a SCIM bearer token (256 bits, as for sessions).
constexpr std::size_t scim_token_bytes = 32;

error from_sqlite(const db::sqlite_error& e) {
  if (e.is_busy())
    return error(errc::unavailable, "registry_busy",
                 "the registry is locked by another process; try again");
  if (e.is_constraint()) return error(errc::conflict, std::string("registry: ") + e.what());
  return error(errc::internal, std::string("registry: ") + e.what());
}

// Runs `f`, turning the exceptions of SQLite and the file system into expected failures.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const db::sqlite_error& e) {
    return from_sqlite(e);
  } catch (const fs::filesystem_error& e) {
    return error(errc::internal, "filesystem_error", e.what());
  }
}

error unknown_tenant(std::string_view slug) {
  return error(errc::not_found, "tenant_not_found", "no tenant '" + std::string(slug) + "'");
}

tenant_state parse_state(const std::string& s) {
  return s == "suspended" ? tenant_state::suspended : tenant_state::active;
}

// Removes a directory tree, ignoring failures (best effort cleanup of our own staging dirs).
void remove_quietly(const fs::path& p) {
  std::error_code ec;
  fs::remove_all(p, ec);
}

// Removes a staging directory unless disarmed.
struct staging_guard {
  fs::path dir;
  bool armed = true;
  ~staging_guard() {
    if (armed) remove_quietly(dir);
  }
};

struct domain_check {
  std::vector<std::string> domains;  // lower-cased, unique, in input order
};

result<domain_check> normalise_domains(const std::vector<std::string>& in) {
  domain_check out;
  for (const auto& raw : in) {
    auto d = ascii_lower(raw);
    if (!valid_domain(d))
      return error(errc::invalid_input, "invalid_domain", "invalid domain '" + raw + "'");
    if (std::find(out.domains.begin(), out.domains.end(), d) == out.domains.end())
      out.domains.push_back(std::move(d));
  }
  return out;
}

// Sum of the sizes of the regular files below `dir` (database, WAL and files/), as
// store::size_bytes() counts them: the -shm index is scratch memory, not data.
std::uint64_t tree_size(const fs::path& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec),
       end;
       !ec && it != end; it.increment(ec)) {
    std::error_code fec;
    if (it->is_regular_file(fec) && !it->path().filename().string().ends_with("-shm")) {
      auto n = it->file_size(fec);
      if (!fec) total += n;
    }
  }
  return total;
}

}  // namespace

std::string_view to_string(tenant_state s) noexcept {
  return s == tenant_state::suspended ? "suspended" : "active";
}

struct registry::impl {
  fs::path data_dir;
  fs::path tenants_dir;
  std::mutex mu;
  db::connection conn;
  // data_version(): PRAGMA data_version only moves for other connections' commits, so our own
  // commits bump `generation` too.
  std::int64_t last_pragma_version = -1;
  std::int64_t generation = 0;

  impl(fs::path dir, fs::path file)
      : data_dir(std::move(dir)),
        tenants_dir(data_dir / "tenants"),
        conn(file, db::connection::mode::read_write_create,
             static_cast<int>(tenant::limits::busy_timeout.count())) {}

  fs::path tenant_dir(std::string_view slug) const {
    return tenant::pool::tenant_dir(data_dir, slug);
  }

  // Removes an unregistered tenant's folder (renamed first, so a half-removed folder is never
  // mistaken for a live tenant).
  result<void> discard_files(std::string_view slug, std::int64_t id) {
    auto dir = tenant_dir(slug);
    auto trash = tenants_dir / (".deleted-" + std::string(slug) + "-" + std::to_string(id));
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(dir, ec))) return {};
    fs::rename(dir, trash, ec);
    if (ec)
      return error(errc::internal, "delete_incomplete",
                   "tenant '" + std::string(slug) + "' is unregistered, but moving " +
                       dir.string() + " away failed: " + ec.message());
    fs::remove_all(trash, ec);
    if (ec)
      return error(errc::internal, "delete_incomplete",
                   "tenant '" + std::string(slug) + "' is unregistered, but removing " +
                       trash.string() + " failed: " + ec.message());
    return {};
  }

  fs::path staging_dir(std::string_view kind, std::string_view slug) const {
    return tenants_dir / ("." + std::string(kind) + "-" + std::string(slug) + "-" +
                          crypto::random_token(staging_token_bytes));
  }

  // Each write transaction's commit goes through here so data_version() sees our own commits.
  void commit(db::write_txn& txn) {
    txn.commit();
    ++generation;
  }

  std::optional<std::int64_t> tenant_id(std::string_view slug) {
    auto& st = conn.cached("SELECT id FROM tenants WHERE slug = ?");
    st.bind(1, slug);
    std::optional<std::int64_t> id;
    if (st.step()) id = st.int64(0);
    st.reset();
    return id;
  }

  std::optional<std::string> domain_owner(std::string_view domain) {
    auto& st = conn.cached(
        "SELECT t.slug FROM tenant_domains d JOIN tenants t ON t.id = d.tenant_id "
        "WHERE d.domain = ?");
    st.bind(1, domain);
    std::optional<std::string> slug;
    if (st.step()) slug = st.text(0);
    st.reset();
    return slug;
  }

  std::vector<std::string> domains_of(std::int64_t id) {
    auto& st = conn.cached("SELECT domain FROM tenant_domains WHERE tenant_id = ? ORDER BY domain");
    st.bind(1, id);
    std::vector<std::string> out;
    while (st.step()) out.push_back(st.text(0));
    st.reset();
    return out;
  }

  std::vector<tenant_info> load(std::optional<std::string_view> slug) {
    auto st =
        conn.prepare(slug ? "SELECT id, slug, name, state, created_at FROM tenants WHERE slug = ?"
                          : "SELECT id, slug, name, state, created_at FROM tenants ORDER BY slug");
    if (slug) st.bind(1, *slug);
    std::vector<tenant_info> out;
    while (st.step()) {
      tenant_info t;
      t.id = st.int64(0);
      t.slug = st.text(1);
      t.name = st.text(2);
      t.state = parse_state(st.text(3));
      t.created_at_ms = st.int64(4);
      out.push_back(std::move(t));
    }
    for (auto& t : out) t.domains = domains_of(t.id);
    return out;
  }

  result<tenant_info> get(std::string_view slug) {
    auto v = load(slug);
    if (v.empty()) return unknown_tenant(slug);
    return std::move(v.front());
  }

  // Checks that `slug` and its directory are free and `domains` unowned (without a lock: a
  // fast, friendly refusal before any work; register_staged() checks again under the lock).
  result<void> check_free(std::string_view slug, const std::vector<std::string>* domains) {
    if (tenant_id(slug))
      return error(errc::conflict, "slug_taken",
                   "tenant slug '" + std::string(slug) + "' is already taken");
    if (domains) {
      for (const auto& d : *domains)
        if (auto owner = domain_owner(d))
          return error(errc::conflict, "domain_taken",
                       "domain " + d + " already belongs to tenant '" + *owner + "'");
    }
    std::error_code ec;
    if (fs::exists(fs::symlink_status(tenant_dir(slug), ec)))
      return error(errc::conflict, "leftover_directory",
                   "directory " + tenant_dir(slug).string() +
                       " exists but no tenant is registered under '" + std::string(slug) +
                       "' (left by a crash?); inspect it and move it away first");
    return {};
  }

  // Registers the store built in `staging` as tenant `slug` (see the design notes). With
  // `skipped` set, domains owned by another tenant are left out and listed there; otherwise
  // they refuse the whole registration.
  result<tenant_info> register_staged(const fs::path& staging, const std::string& slug,
                                      const std::string& name,
                                      const std::vector<std::string>& domains,
                                      std::vector<std::string>* skipped,
                                      const std::vector<std::string>& member_emails,
                                      const std::function<void(std::int64_t)>& in_txn = {}) {
    std::lock_guard lock(mu);
    db::write_txn txn(conn);
    std::vector<std::string> taken;
    for (const auto& d : domains)
      if (domain_owner(d)) taken.push_back(d);
    if (!skipped) {
      if (auto r = check_free(slug, &domains); !r) return r.err();
    } else {
      if (auto r = check_free(slug, nullptr); !r) return r.err();
      *skipped = taken;
    }
    auto now = now_ms();
    conn.prepare("INSERT INTO tenants(slug, name, state, created_at) VALUES (?, ?, 'active', ?)")
        .bind_all(slug, name, now)
        .run();
    auto id = conn.last_insert_rowid();
    for (const auto& d : domains) {
      if (std::find(taken.begin(), taken.end(), d) != taken.end()) continue;
      conn.prepare("INSERT INTO tenant_domains(domain, tenant_id) VALUES (?, ?)")
          .bind_all(d, id)
          .run();
    }
    for (const auto& email : member_emails)
      conn.prepare(
              "INSERT OR IGNORE INTO memberships(email, tenant_id, created_at) VALUES (?, ?, ?)")
          .bind_all(ascii_lower(email), id, now)
          .run();
    if (in_txn) in_txn(id);  // more rows that must appear together with the tenant
    auto final_dir = tenant_dir(slug);
    fs::rename(staging, final_dir);  // throws: the transaction rolls back, staging stays
    try {
      commit(txn);
    } catch (...) {
      std::error_code ec;
      fs::rename(final_dir, staging, ec);  // give it back to the caller's cleanup
      throw;
    }
    return get(slug);
  }

  result<tenant_info> set_state(std::string_view slug, tenant_state s) {
    std::lock_guard lock(mu);
    db::write_txn txn(conn);
    auto& st = conn.cached("UPDATE tenants SET state = ? WHERE slug = ?");
    st.bind_all(std::string(to_string(s)), slug).run();
    if (conn.changes() == 0) return unknown_tenant(slug);
    commit(txn);
    return get(slug);
  }

  void migrate_schema() {
    int v = conn.user_version();
    if (v == registry_schema_version) return;
    db::write_txn txn(conn);
    v = conn.user_version();  // another process may have migrated meanwhile
    if (v > registry_schema_version)
      throw db::sqlite_error(0, "registry schema version " + std::to_string(v) +
                                    " is newer than this build's " +
                                    std::to_string(registry_schema_version));
    for (; v < registry_schema_version; ++v) conn.exec(migrations[v]);
    conn.set_user_version(registry_schema_version);
    commit(txn);
  }
};

registry::registry(std::unique_ptr<impl> p) : p_(std::move(p)) {}
registry::~registry() = default;

result<std::shared_ptr<registry>> registry::open(const fs::path& data_dir) {
  return guarded([&]() -> result<std::shared_ptr<registry>> {
    fs::create_directories(data_dir / "tenants");
    auto p = std::make_unique<impl>(data_dir, data_dir / "registry.sqlite");
    {
      int v = p->conn.user_version();
      if (v > registry_schema_version)
        return error(errc::conflict, "schema_too_new",
                     "the registry's schema version " + std::to_string(v) +
                         " is newer than this build's " + std::to_string(registry_schema_version));
    }
    p->migrate_schema();
    // Trash of deletes interrupted by a crash: unregistered already, safe to remove.
    std::error_code ec;
    for (fs::directory_iterator it(p->tenants_dir, ec), end; !ec && it != end; it.increment(ec))
      if (it->path().filename().string().starts_with(".deleted-")) remove_quietly(it->path());
    return std::shared_ptr<registry>(new registry(std::move(p)));
  });
}

const fs::path& registry::data_dir() const noexcept {
  return p_->data_dir;
}

std::int64_t registry::data_version() {
  std::lock_guard lock(p_->mu);
  try {
    auto v = p_->conn.data_version();
    if (v != p_->last_pragma_version) {
      p_->last_pragma_version = v;
      ++p_->generation;
    }
  } catch (const db::sqlite_error&) {
    // Unchanged as far as we can tell; the caller polls again.
  }
  return p_->generation;
}

result<tenant_info> registry::create_tenant(std::string_view slug, std::string_view name,
                                            const std::vector<std::string>& domains) {
  if (!valid_slug(slug))
    return error(errc::invalid_input, "invalid_slug",
                 "invalid slug '" + std::string(slug) + "': use [a-z][a-z0-9-]{1,39}");
  if (name.empty() || name.size() > tenant::limits::max_name)
    return error(
        errc::invalid_input, "invalid_name",
        "the tenant name must be 1 to " + std::to_string(tenant::limits::max_name) + " bytes");
  auto norm = normalise_domains(domains);
  if (!norm) return norm.err();
  return guarded([&]() -> result<tenant_info> {
    {
      std::lock_guard lock(p_->mu);
      if (auto r = p_->check_free(slug, &norm->domains); !r) return r.err();
    }
    staging_guard staging{p_->staging_dir("new", slug)};
    if (auto r = tenant::create_store(staging.dir); !r) return r.err();
    auto t = p_->register_staged(staging.dir, std::string(slug), std::string(name), norm->domains,
                                 nullptr, {});
    if (t) staging.armed = false;
    return t;
  });
}

result<std::vector<tenant_info>> registry::list_tenants() {
  return guarded([&]() -> result<std::vector<tenant_info>> {
    std::lock_guard lock(p_->mu);
    db::read_txn txn(p_->conn);
    return p_->load(std::nullopt);
  });
}

result<tenant_info> registry::get_tenant(std::string_view slug) {
  return guarded([&]() -> result<tenant_info> {
    std::lock_guard lock(p_->mu);
    db::read_txn txn(p_->conn);
    return p_->get(slug);
  });
}

result<tenant_info> registry::suspend(std::string_view slug) {
  return guarded([&] { return p_->set_state(slug, tenant_state::suspended); });
}

result<tenant_info> registry::resume(std::string_view slug) {
  return guarded([&] { return p_->set_state(slug, tenant_state::active); });
}

result<void> registry::delete_tenant(std::string_view slug) {
  return delete_tenant_keeping_partners(slug, {});  // no cross-node half to record
}

result<std::optional<std::string>> registry::domain_owner(std::string_view domain) {
  return guarded([&]() -> result<std::optional<std::string>> {
    std::lock_guard lock(p_->mu);
    return p_->domain_owner(ascii_lower(domain));
  });
}

result<tenant_usage> registry::usage(std::string_view slug) {
  return guarded([&]() -> result<tenant_usage> {
    {
      std::lock_guard lock(p_->mu);
      if (!p_->tenant_id(slug)) return unknown_tenant(slug);
    }
    auto dir = p_->tenant_dir(slug);
    tenant_usage u;
    u.size_bytes = tree_size(dir);
    try {
      db::connection c(dir / "tenant.sqlite", db::connection::mode::read_only,
                       static_cast<int>(tenant::limits::busy_timeout.count()));
      u.schema_version = c.user_version();
    } catch (const db::sqlite_error&) {
      u.schema_version = 0;  // unreadable: reported as 0, `tenant show` still works
    }
    return u;
  });
}

result<export_manifest> registry::export_tenant(std::string_view slug, const fs::path& out) {
  return guarded([&]() -> result<export_manifest> {
    auto t = get_tenant(slug);
    if (!t) return t.err();
    auto dir = p_->tenant_dir(slug);
    auto store = tenant::store::open(std::string(slug), dir);
    if (!store) return store.err();
    // The snapshot goes next to the stores (same file system, and no /tmp size surprises).
    staging_guard staging{p_->staging_dir("export", slug)};
    fs::create_directory(staging.dir);
    auto snapshot = staging.dir / "tenant.sqlite";
    if (auto r = (*store)->snapshot_to(snapshot); !r) return r.err();
    export_manifest m;
    m.slug = t->slug;
    m.name = t->name;
    m.domains = t->domains;
    m.schema_version = tenant::current_schema_version();  // store::open accepts only that
    m.exported_at_ms = now_ms();
    if (auto r = archive::write_export(m, snapshot, dir / "files", out); !r) return r.err();
    return m;
  });
}

namespace {

// import_tenant, running `in_txn` (given the new tenant's id) in the transaction registering it.
result<registry::import_result> import_staged(registry::impl& impl, const fs::path& archive_path,
                                              std::optional<std::string_view> as_slug,
                                              const std::function<void(std::int64_t)>& in_txn) {
  using import_result = registry::import_result;
  auto* p_ = &impl;
  if (as_slug && !valid_slug(*as_slug))
    return error(errc::invalid_input, "invalid_slug",
                 "invalid slug '" + std::string(*as_slug) + "': use [a-z][a-z0-9-]{1,39}");
  return guarded([&]() -> result<import_result> {
    if (as_slug) {
      std::lock_guard lock(p_->mu);
      if (auto r = p_->check_free(*as_slug, nullptr); !r) return r.err();
    }
    staging_guard staging{p_->staging_dir("import", as_slug ? *as_slug : "archive")};
    fs::create_directory(staging.dir);
    auto slug_free = [&](const export_manifest& m) -> result<void> {
      std::lock_guard lock(p_->mu);
      return p_->check_free(as_slug ? *as_slug : std::string_view(m.slug), nullptr);
    };
    auto manifest = archive::read_export(archive_path, staging.dir, slug_free);
    if (!manifest) return manifest.err();
    std::string slug = as_slug ? std::string(*as_slug) : manifest->slug;
    fs::create_directories(staging.dir / "files");
    if (auto r = tenant::migrate_store(staging.dir); !r) {
      if (r.err().kind != errc::internal) return r.err();  // e.g. schema_too_new
      // Not a SQLite database, or a corrupt one: the archive's fault, not ours.
      return error(errc::invalid_input, "invalid_archive",
                   "tenant.sqlite is not a usable tenant database: " + r.err().message);
    }

    // Every person in the store holds a membership here, as `user add` would have recorded.
    std::vector<std::string> emails;
    {
      auto store = tenant::store::open(slug, staging.dir);
      if (!store) return store.err();
      auto users = (*store)->list_users();
      if (!users) return users.err();
      for (const auto& u : *users) emails.push_back(u.email);
    }  // closed before the directory moves

    import_result out;
    auto t = p_->register_staged(staging.dir, slug, manifest->name, manifest->domains,
                                 &out.skipped_domains, emails, in_txn);
    if (!t) return t.err();
    staging.armed = false;
    out.tenant = std::move(*t);
    return out;
  });
}

}  // namespace

result<registry::import_result> registry::import_tenant(const fs::path& archive_path,
                                                        std::optional<std::string_view> as_slug) {
  return import_staged(*p_, archive_path, as_slug, {});
}

result<std::vector<std::pair<std::string, int>>> registry::migrate_all() {
  auto tenants = list_tenants();
  if (!tenants) return tenants.err();
  std::vector<std::pair<std::string, int>> out;
  std::vector<std::string> failed;
  std::string first_error;
  for (const auto& t : *tenants) {
    auto r = tenant::migrate_store(p_->tenant_dir(t.slug));
    if (r) {
      out.emplace_back(t.slug, *r);
    } else {
      if (failed.empty()) first_error = r.err().message;
      failed.push_back(t.slug);
    }
  }
  if (!failed.empty()) {
    std::string names;
    for (const auto& s : failed) names += (names.empty() ? "" : ", ") + s;
    // The others are migrated (migrations are idempotent: running again is safe).
    return error(errc::internal, "migrate_failed",
                 std::to_string(failed.size()) + " tenant(s) not migrated (" + names +
                     "); first error: " + first_error);
  }
  return out;
}

result<void> registry::add_membership(std::string_view email, std::string_view slug) {
  if (!valid_email(email))
    return error(errc::invalid_input, "invalid_email",
                 "invalid e-mail '" + std::string(email) + "'");
  return guarded([&]() -> result<void> {
    std::lock_guard lock(p_->mu);
    db::write_txn txn(p_->conn);
    auto id = p_->tenant_id(slug);
    if (!id) return unknown_tenant(slug);
    p_->conn
        .prepare("INSERT OR IGNORE INTO memberships(email, tenant_id, created_at) VALUES (?, ?, ?)")
        .bind_all(ascii_lower(email), *id, now_ms())
        .run();
    p_->commit(txn);
    return {};
  });
}

result<void> registry::remove_membership(std::string_view email, std::string_view slug) {
  return guarded([&]() -> result<void> {
    std::lock_guard lock(p_->mu);
    db::write_txn txn(p_->conn);
    auto id = p_->tenant_id(slug);
    if (!id) return unknown_tenant(slug);
    p_->conn.prepare("DELETE FROM memberships WHERE email = ? AND tenant_id = ?")
        .bind_all(ascii_lower(email), *id)
        .run();
    if (p_->conn.changes() == 0)
      return error(errc::not_found, "membership_not_found",
                   std::string(email) + " holds no membership in '" + std::string(slug) + "'");
    p_->commit(txn);
    return {};
  });
}

result<std::vector<std::string>> registry::memberships(std::string_view email) {
  return guarded([&]() -> result<std::vector<std::string>> {
    std::lock_guard lock(p_->mu);
    auto& st = p_->conn.cached(
        "SELECT t.slug FROM memberships m JOIN tenants t ON t.id = m.tenant_id "
        "WHERE m.email = ? ORDER BY t.slug");
    st.bind(1, ascii_lower(email));
    std::vector<std::string> out;
    while (st.step()) out.push_back(st.text(0));
    st.reset();
    return out;
  });
}

result<partnership> registry::link(std::string_view a, std::string_view b) {
  if (a == b)
    return error(errc::invalid_input, "self_partnership", "a tenant cannot partner with itself");
  return guarded([&]() -> result<partnership> {
    std::lock_guard lock(p_->mu);
    db::write_txn txn(p_->conn);
    auto ia = p_->tenant_id(a);
    if (!ia) return unknown_tenant(a);
    auto ib = p_->tenant_id(b);
    if (!ib) return unknown_tenant(b);
    const auto lo = std::min(*ia, *ib), hi = std::max(*ia, *ib);  // stored as a < b
    p_->conn.prepare("INSERT OR IGNORE INTO partnerships(a, b, since) VALUES (?, ?, ?)")
        .bind_all(lo, hi, now_ms())
        .run();
    auto st = p_->conn.prepare("SELECT since FROM partnerships WHERE a = ? AND b = ?");
    st.bind_all(lo, hi);
    st.step();
    partnership p{std::string(std::min(a, b)), std::string(std::max(a, b)), st.int64(0)};
    st.reset();
    p_->commit(txn);
    return p;
  });
}

result<void> registry::unlink(std::string_view a, std::string_view b) {
  return guarded([&]() -> result<void> {
    std::lock_guard lock(p_->mu);
    db::write_txn txn(p_->conn);
    auto ia = p_->tenant_id(a);
    if (!ia) return unknown_tenant(a);
    auto ib = p_->tenant_id(b);
    if (!ib) return unknown_tenant(b);
    p_->conn.prepare("DELETE FROM partnerships WHERE a = ? AND b = ?")
        .bind_all(std::min(*ia, *ib), std::max(*ia, *ib))
        .run();
    if (p_->conn.changes() == 0)
      return error(errc::not_found, "not_partners",
                   "'" + std::string(a) + "' and '" + std::string(b) + "' are not partners");
    p_->commit(txn);
    return {};
  });
}

result<std::vector<partnership>> registry::partnerships() {
  return guarded([&]() -> result<std::vector<partnership>> {
    std::lock_guard lock(p_->mu);
    auto st = p_->conn.prepare(
        "SELECT ta.slug, tb.slug, p.since FROM partnerships p "
        "JOIN tenants ta ON ta.id = p.a JOIN tenants tb ON tb.id = p.b");
    std::vector<partnership> out;
    while (st.step()) {
      auto x = st.text(0), y = st.text(1);
      if (y < x) std::swap(x, y);
      out.push_back({std::move(x), std::move(y), st.int64(2)});
    }
    std::sort(out.begin(), out.end(),
              [](const auto& l, const auto& r) { return std::tie(l.a, l.b) < std::tie(r.a, r.b); });
    return out;
  });
}

result<bool> registry::are_partners(std::string_view a, std::string_view b) {
  return guarded([&]() -> result<bool> {
    std::lock_guard lock(p_->mu);
    auto& st = p_->conn.cached(
        "SELECT 1 FROM partnerships p JOIN tenants ta ON ta.id = p.a JOIN tenants tb ON tb.id = "
        "p.b "
        "WHERE (ta.slug = ?1 AND tb.slug = ?2) OR (ta.slug = ?2 AND tb.slug = ?1) "
        "UNION ALL SELECT 1 FROM remote_partnerships r JOIN tenants t ON t.id = r.tenant_id "
        "WHERE ((t.slug = ?1 AND r.partner_slug = ?2) OR (t.slug = ?2 AND r.partner_slug = ?1)) "
        "AND NOT EXISTS (SELECT 1 FROM tenants l WHERE l.slug = r.partner_slug)");
    st.bind(1, a);
    st.bind(2, b);
    bool yes = st.step();
    st.reset();
    return yes;
  });
}

result<remote_partnership> registry::link_remote(std::string_view local, std::string_view remote,
                                                 std::string_view remote_name) {
  if (local == remote)
    return error(errc::invalid_input, "self_partnership", "a tenant cannot partner with itself");
  if (!valid_slug(remote))
    return error(errc::invalid_input, "invalid_slug", "'" + std::string(remote) + "' is no slug");
  return guarded([&]() -> result<remote_partnership> {
    std::lock_guard lock(p_->mu);
    db::write_txn txn(p_->conn);
    auto id = p_->tenant_id(local);
    if (!id) return unknown_tenant(local);
    if (p_->tenant_id(remote))
      return error(errc::conflict, "tenant_is_local",
                   "'" + std::string(remote) + "' is registered on this node; use link");
    p_->conn
        .prepare(
            "INSERT INTO remote_partnerships(tenant_id, partner_slug, partner_name, since) "
            "VALUES (?, ?, ?, ?) ON CONFLICT(tenant_id, partner_slug) DO UPDATE SET "
            "partner_name = excluded.partner_name")
        .bind_all(*id, remote, remote_name, now_ms())
        .run();
    auto st = p_->conn.prepare(
        "SELECT since FROM remote_partnerships WHERE tenant_id = ? AND partner_slug = ?");
    st.bind_all(*id, remote);
    st.step();
    remote_partnership out{std::string(local), std::string(remote), std::string(remote_name),
                           st.int64(0)};
    st.reset();
    p_->commit(txn);
    return out;
  });
}

result<void> registry::unlink_remote(std::string_view local, std::string_view remote) {
  return guarded([&]() -> result<void> {
    std::lock_guard lock(p_->mu);
    db::write_txn txn(p_->conn);
    auto id = p_->tenant_id(local);
    if (!id) return unknown_tenant(local);
    p_->conn.prepare("DELETE FROM remote_partnerships WHERE tenant_id = ? AND partner_slug = ?")
        .bind_all(*id, remote)
        .run();
    if (p_->conn.changes() == 0)
      return error(
          errc::not_found, "not_partners",
          "'" + std::string(local) + "' and '" + std::string(remote) + "' are not partners");
    p_->commit(txn);
    return {};
  });
}

result<std::int64_t> registry::partnership_version() {
  return guarded([&]() -> result<std::int64_t> {
    std::lock_guard lock(p_->mu);
    auto& st = p_->conn.cached("SELECT n FROM partnership_changes");
    std::int64_t n = st.step() ? st.int64(0) : 0;
    st.reset();
    return n;
  });
}

result<std::vector<remote_partnership>> registry::remote_partners() {
  return guarded([&]() -> result<std::vector<remote_partnership>> {
    std::lock_guard lock(p_->mu);
    auto st = p_->conn.prepare(
        "SELECT t.slug, r.partner_slug, r.partner_name, r.since FROM remote_partnerships r "
        "JOIN tenants t ON t.id = r.tenant_id "
        "WHERE NOT EXISTS (SELECT 1 FROM tenants l WHERE l.slug = r.partner_slug) "
        "ORDER BY t.slug, r.partner_slug");
    std::vector<remote_partnership> out;
    while (st.step()) out.push_back({st.text(0), st.text(1), st.text(2), st.int64(3)});
    return out;
  });
}

result<void> registry::delete_tenant_keeping_partners(std::string_view slug,
                                                      const std::vector<remote_partnership>& keep) {
  return guarded([&]() -> result<void> {
    std::int64_t id = 0;
    {
      std::lock_guard lock(p_->mu);
      db::write_txn txn(p_->conn);
      auto found = p_->tenant_id(slug);
      if (!found) return unknown_tenant(slug);
      id = *found;
      p_->conn.prepare("DELETE FROM tenants WHERE id = ?").bind_all(id).run();  // cascades
      for (const auto& k : keep) {
        if (k.local == slug || k.remote != slug) continue;
        p_->conn
            .prepare(
                "INSERT INTO remote_partnerships(tenant_id, partner_slug, partner_name, since) "
                "SELECT id, ?, ?, ? FROM tenants WHERE slug = ? "
                "ON CONFLICT(tenant_id, partner_slug) DO UPDATE SET "
                "partner_name = excluded.partner_name")
            .bind_all(slug, k.remote_name, k.since_ms > 0 ? k.since_ms : now_ms(), k.local)
            .run();
      }
      p_->commit(txn);
    }
    // The files go (see the design notes), if a move left them here.
    return p_->discard_files(slug, id);
  });
}

result<registry::import_result> registry::import_moved_tenant(
    const fs::path& archive, std::string_view slug, const std::vector<arriving_partner>& partners,
    std::vector<remote_partnership>& dropped) {
  dropped.clear();
  // Runs inside the transaction that registers the tenant (holding the registry's lock).
  const auto settle = [&](std::int64_t id) {
    auto& conn = p_->conn;
    for (const auto& pt : partners) {
      if (pt.slug == slug || !valid_slug(pt.slug)) continue;
      if (auto pid = p_->tenant_id(pt.slug)) {
        auto half = conn.prepare(
            "SELECT since FROM remote_partnerships WHERE tenant_id = ? AND partner_slug = ?");
        half.bind_all(*pid, slug);
        if (!half.step()) continue;  // one-sided: no partnership
        const std::int64_t since = half.int64(0);
        half.reset();
        conn.prepare("INSERT OR IGNORE INTO partnerships(a, b, since) VALUES (?, ?, ?)")
            .bind_all(std::min(id, *pid), std::max(id, *pid), since)
            .run();
      } else {
        conn.prepare(
                "INSERT INTO remote_partnerships(tenant_id, partner_slug, partner_name, since) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(tenant_id, partner_slug) DO UPDATE SET "
                "partner_name = excluded.partner_name")
            .bind_all(id, pt.slug, pt.name, now_ms())
            .run();
      }
    }
    auto rows = conn.prepare(
        "SELECT t.slug, r.partner_name, r.since FROM remote_partnerships r "
        "JOIN tenants t ON t.id = r.tenant_id WHERE r.partner_slug = ?");
    rows.bind_all(slug);
    while (rows.step())
      dropped.push_back({rows.text(0), std::string(slug), rows.text(1), rows.int64(2)});
    rows.reset();
    conn.prepare("DELETE FROM remote_partnerships WHERE partner_slug = ?").bind_all(slug).run();
  };
  auto r = import_staged(*p_, archive, slug, settle);
  if (!r) dropped.clear();  // rolled back
  return r;
}

result<std::string> registry::create_scim_token(std::string_view slug) {
  return guarded([&]() -> result<std::string> {
    std::lock_guard lock(p_->mu);
    db::write_txn txn(p_->conn);
    auto id = p_->tenant_id(slug);
    if (!id) return unknown_tenant(slug);
    auto token = crypto::random_token(scim_token_bytes);
    p_->conn
        .prepare("INSERT INTO scim_tokens(token_sha256, tenant_id, created_at) VALUES (?, ?, ?)")
        .bind_all(crypto::sha256_hex(token), *id, now_ms())
        .run();
    p_->commit(txn);
    return token;
  });
}

result<bool> registry::verify_scim_token(std::string_view slug, std::string_view token) {
  return guarded([&]() -> result<bool> {
    std::lock_guard lock(p_->mu);
    // Looked up by hash: the comparison's timing reveals nothing about the secret itself.
    auto& st = p_->conn.cached(
        "SELECT 1 FROM scim_tokens s JOIN tenants t ON t.id = s.tenant_id "
        "WHERE s.token_sha256 = ? AND t.slug = ?");
    st.bind(1, crypto::sha256_hex(token));
    st.bind(2, slug);
    bool ok = st.step();
    st.reset();
    return ok;
  });
}

// (directory feature) SCIM token listing and revocation.
result<std::vector<registry::scim_token_info>> registry::list_scim_tokens(std::string_view slug) {
  return guarded([&]() -> result<std::vector<scim_token_info>> {
    std::lock_guard lock(p_->mu);
    auto id = p_->tenant_id(slug);
    if (!id) return unknown_tenant(slug);
    auto st = p_->conn.prepare(
        "SELECT substr(token_sha256, 1, ?), created_at FROM scim_tokens WHERE tenant_id = ?"
        " ORDER BY created_at, token_sha256");
    st.bind_all(static_cast<std::int64_t>(scim_token_id_chars), *id);
    std::vector<scim_token_info> out;
    while (st.step()) out.push_back(scim_token_info{st.text(0), st.int64(1)});
    return out;
  });
}

result<void> registry::revoke_scim_token(std::string_view slug, std::string_view token_id) {
  const bool hex = token_id.size() == scim_token_id_chars &&
                   std::all_of(token_id.begin(), token_id.end(), [](char ch) {
                     return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
                   });
  if (!hex)
    return error(errc::not_found, "unknown_token",
                 "no SCIM token '" + std::string(token_id) + "' (see `scim token list`)");
  return guarded([&]() -> result<void> {
    std::lock_guard lock(p_->mu);
    db::write_txn txn(p_->conn);
    auto id = p_->tenant_id(slug);
    if (!id) return unknown_tenant(slug);
    p_->conn
        .prepare("DELETE FROM scim_tokens WHERE tenant_id = ? AND substr(token_sha256, 1, ?) = ?")
        .bind_all(*id, static_cast<std::int64_t>(scim_token_id_chars), token_id)
        .run();
    if (p_->conn.changes() == 0)
      return error(errc::not_found, "unknown_token",
                   "no SCIM token '" + std::string(token_id) + "' for tenant " + std::string(slug));
    p_->commit(txn);
    return {};
  });
}

}  // namespace samverka::provisioning
