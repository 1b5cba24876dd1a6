// Tenant administration from the web UI: an admin adjusts people (roles, units, activity, name,
// job title) and the org tree (create, rename, move, delete units).
//
// Design notes:
//  1. People are not created here: samverkactl, SCIM and CSV import own creation, passwords and
//     the home-tenant rule. A cross-employed member is adjusted like anyone else, because roles,
//     units and activity are per tenant; nothing here reaches another tenant's data.
//  2. Every change and its audit entry (actor: the admin) commit in one write transaction.
//  3. Deactivation revokes the person's sessions in the same transaction, as SCIM does. Sessions
//     live at the person's home tenant only, so deactivating a cross-employed member ends their
//     access here (viewer_for refuses inactive people) and leaves their home untouched.
//  4. An admin cannot lock themselves out: removing their own admin role or deactivating
//     themselves is refused, so a tenant never loses its last admin through this path.
//  5. Department groups and search follow by triggers (schema_social.hpp, schema_search.hpp): a
//     new unit gets its group, a rename renames it, a delete retires it. A rename also touches
//     the unit's people so their search text (which holds unit names) is rewritten.
//  6. A unit is deleted only when nothing refers to it: people, sub-units, news audiences (an
//     audience without the unit would silently widen) and SCIM groups mapped to it.
#include <set>

#include "content_audit.hpp"
#include "samverka/tenant/content_limits.hpp"
#include "search_index.hpp"
#include "store_impl.hpp"

namespace samverka::tenant {

using namespace detail;

namespace {

error admin_required() {
  return error(errc::forbidden, "forbidden", "only administrators may change people and units");
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out.empty() ? "-" : out;
}

std::string person_title(db::connection& c, std::int64_t id) {
  auto& st = c.cached("SELECT title FROM profiles WHERE user_id = ?1");
  st.bind(1, id);
  std::string out;
  if (st.step()) out = st.text(0);
  st.reset();
  return out;
}

std::optional<unit> load_unit(db::connection& c, std::int64_t id) {
  auto& st = c.cached("SELECT id, name, parent_id FROM units WHERE id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  unit u{st.int64(0), st.text(1), st.opt_int64(2)};
  st.reset();
  return u;
}

// The id of the unit named `name` (trimmed; case as the schema's NOCASE folds it).
result<std::int64_t> unit_by_name(db::connection& c, std::string_view name) {
  auto& st = c.cached("SELECT id FROM units WHERE name = ?1");
  st.bind(1, trim(name));
  if (!st.step())
    return error(errc::invalid_input, "unknown_unit",
                 "no unit named '" + std::string(trim(name)) + "'");
  auto id = st.int64(0);
  st.reset();
  return id;
}

bool exists(db::connection& c, const char* sql, std::int64_t id) {
  auto& st = c.cached(sql);
  st.bind(1, id);
  const bool found = st.step();
  st.reset();
  return found;
}

}  // namespace

result<managed_person> store::admin_get_person(const viewer& who, std::int64_t id) {
  if (!has(who.roles, role::admin)) return admin_required();
  return p_->guarded("get person (admin)", [&]() -> result<managed_person> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto u = load_user(*c, id);
    if (!u) return error(errc::not_found, "unknown_user", "no such person");
    return managed_person{std::move(*u), person_title(*c, id)};
  });
}

result<managed_person> store::admin_update_person(const viewer& who, std::int64_t id,
                                                  const person_patch& p) {
  if (!has(who.roles, role::admin)) return admin_required();
  // Everything that can be checked without the database is checked before the transaction.
  std::optional<role_mask> roles;
  if (p.roles) {
    role_mask m = bit(role::employee);
    for (const auto& r : *p.roles) {
      auto parsed = parse_role(r);
      if (!parsed) return error(errc::invalid_input, "unknown_role", "no role named '" + r + "'");
      m |= bit(*parsed);
    }
    roles = m;
  }
  if (p.units && p.units->size() > admin_limits::max_person_units)
    return error(errc::invalid_input, "too_many_units",
                 "a person may be placed in at most " +
                     std::to_string(admin_limits::max_person_units) + " units at once");
  std::optional<std::string> name, title;
  if (p.name) {
    auto n = plain_text(*p.name, "name", limits::max_name, true, false);
    if (!n) return n.err();
    name = std::move(*n);
  }
  if (p.title) {
    auto t = plain_text(*p.title, "title", limits::max_profile_field, false, false);
    if (!t) return t.err();
    title = std::move(*t);
  }
  const bool self = id == who.user_id;
  if (self && roles && !has(*roles, role::admin))
    return error(errc::conflict, "cannot_remove_own_admin",
                 "you cannot take away your own administrator role; ask another administrator");
  if (self && p.active && !*p.active)
    return error(errc::conflict, "cannot_deactivate_self",
                 "you cannot deactivate yourself; ask another administrator");

  return p_->guarded("update person (admin)", [&]() -> result<managed_person> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto cur = load_user(*c, id);
    if (!cur) return error(errc::not_found, "unknown_user", "no such person");
    std::vector<std::string> changes;
    if (roles && *roles != (cur->roles | bit(role::employee))) {
      c->cached("UPDATE users SET roles = ?1 WHERE id = ?2")
          .bind_all(static_cast<std::int64_t>(*roles), id)
          .run();
      changes.push_back("roles: " + joined(role_names(*roles)));
    }
    if (p.units) {
      auto wanted = resolve_units(*c, *p.units);
      if (!wanted) return wanted.err();
      std::set<std::int64_t> want(wanted->ids.begin(), wanted->ids.end()), have;
      auto& st = c->cached("SELECT unit_id FROM user_units WHERE user_id = ?1");
      st.bind(1, id);
      while (st.step()) have.insert(st.int64(0));
      st.reset();
      if (want != have) {
        // Only the difference is written, so search reindexes the person once per real change.
        for (auto u : have)
          if (!want.contains(u))
            c->cached("DELETE FROM user_units WHERE user_id = ?1 AND unit_id = ?2")
                .bind_all(id, u)
                .run();
        for (auto u : want)
          if (!have.contains(u))
            c->cached("INSERT INTO user_units(user_id, unit_id) VALUES (?1, ?2)")
                .bind_all(id, u)
                .run();
        changes.push_back("units: " + joined(wanted->names));
      }
    }
    if (name && *name != cur->name) {
      c->cached("UPDATE users SET name = ?1 WHERE id = ?2").bind_all(*name, id).run();
      changes.push_back("name: " + *name);
    }
    if (title && *title != person_title(*c, id)) {
      c->cached(
           "INSERT INTO profiles(user_id, title, updated_at) VALUES (?1, ?2, ?3)"
           " ON CONFLICT(user_id) DO UPDATE SET title = excluded.title,"
           " updated_at = excluded.updated_at")
          .bind_all(id, *title, now_ms())
          .run();
      auto& ex = c->cached("SELECT title, skills, about FROM profiles WHERE user_id = ?1");
      ex.bind(1, id);
      if (ex.step()) {
        const std::string extra = ex.text(0) + "\n" + ex.text(1) + "\n" + ex.text(2);
        ex.reset();
        index_person_extra(*c, id, extra);
      }
      changes.push_back("title: " + (title->empty() ? std::string("-") : *title));
    }
    if (!changes.empty()) {
      std::string detail = cur->email;
      for (const auto& ch : changes) detail += "; " + ch;
      record_audit(*c, who, "user.update", "user", id, detail);
    }
    if (p.active && *p.active != cur->active) {
      // Someone the HR directory deleted comes back through the directory, which also restores
      // their userName and membership; reviving them here would leave SCIM blind to them.
      if (*p.active &&
          exists(*c, "SELECT 1 FROM directory_users WHERE user_id = ?1 AND deleted = 1", id))
        return error(errc::conflict, "deleted_in_directory",
                     "the HR directory deleted this person; restore them there");
      c->cached("UPDATE users SET active = ?1 WHERE id = ?2")
          .bind_all(static_cast<std::int64_t>(*p.active), id)
          .run();
      if (!*p.active)
        c->cached("UPDATE sessions SET revoked = 1 WHERE user_id = ?1 AND revoked = 0")
            .bind(1, id)
            .run();
      record_audit(*c, who, *p.active ? "user.activate" : "user.deactivate", "user", id,
                   cur->email);
    }
    auto out = load_user(*c, id);
    managed_person mp{std::move(*out), person_title(*c, id)};
    tx.commit();
    return mp;
  });
}

result<unit> store::admin_create_unit(const viewer& who, const unit_draft& d) {
  if (!has(who.roles, role::admin)) return admin_required();
  auto n = plain_text(d.name, "name", limits::max_name, true, false);
  if (!n) return n.err();
  return p_->guarded("create unit (admin)", [&]() -> result<unit> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    unit u;
    u.name = *n;
    if (d.parent) {
      auto parent = unit_by_name(*c, *d.parent);
      if (!parent) return parent.err();
      u.parent_id = *parent;
    }
    auto& dup = c->cached("SELECT 1 FROM units WHERE name = ?1");
    dup.bind(1, u.name);
    const bool taken = dup.step();
    dup.reset();
    if (taken)
      return error(errc::conflict, "unit_exists", "a unit named '" + u.name + "' already exists");
    c->cached("INSERT INTO units(name, parent_id) VALUES (?1, ?2)")
        .bind_all(u.name, u.parent_id)
        .run();
    u.id = c->last_insert_rowid();
    record_audit(*c, who, "unit.create", "unit", u.id,
                 u.name + (d.parent ? " under " + std::string(trim(*d.parent)) : ""));
    tx.commit();
    return u;
  });
}

result<unit> store::admin_update_unit(const viewer& who, std::int64_t id, const unit_patch& p) {
  if (!has(who.roles, role::admin)) return admin_required();
  std::optional<std::string> name;
  if (p.name) {
    auto n = plain_text(*p.name, "name", limits::max_name, true, false);
    if (!n) return n.err();
    name = std::move(*n);
  }
  return p_->guarded("update unit (admin)", [&]() -> result<unit> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto cur = load_unit(*c, id);
    if (!cur) return error(errc::not_found, "unknown_unit", "no such unit");
    std::vector<std::string> changes;
    if (name && *name != cur->name) {
      auto& dup = c->cached("SELECT 1 FROM units WHERE name = ?1 AND id != ?2");
      dup.bind_all(*name, id);
      const bool taken = dup.step();
      dup.reset();
      if (taken)
        return error(errc::conflict, "unit_exists", "a unit named '" + *name + "' already exists");
      c->cached("UPDATE units SET name = ?1 WHERE id = ?2").bind_all(*name, id).run();
      // A person's search text holds their unit names: rewrite it for the unit's people.
      c->cached(
           "UPDATE users SET name = name WHERE id IN (SELECT user_id FROM user_units"
           " WHERE unit_id = ?1)")
          .bind(1, id)
          .run();
      changes.push_back("renamed from " + cur->name + " to " + *name);
      cur->name = *name;
    }
    if (p.parent) {
      std::optional<std::int64_t> parent;
      if (*p.parent) {
        auto pid = unit_by_name(*c, **p.parent);
        if (!pid) return pid.err();
        parent = *pid;
        // The new parent must not lie in the unit's own subtree (itself included).
        auto& sub = c->cached(
            "WITH RECURSIVE sub(id) AS (SELECT ?1 UNION SELECT u.id FROM units u JOIN sub"
            " ON u.parent_id = sub.id) SELECT 1 FROM sub WHERE id = ?2");
        sub.bind_all(id, *parent);
        const bool cycle = sub.step();
        sub.reset();
        if (cycle)
          return error(errc::conflict, "unit_cycle",
                       "a unit cannot be moved under itself or one of its sub-units");
      }
      if (parent != cur->parent_id) {
        c->cached("UPDATE units SET parent_id = ?1 WHERE id = ?2").bind_all(parent, id).run();
        changes.push_back(parent ? "moved under " + std::string(trim(**p.parent))
                                 : std::string("moved to the top level"));
        cur->parent_id = parent;
      }
    }
    if (!changes.empty()) {
      std::string detail = cur->name;
      for (const auto& ch : changes) detail += "; " + ch;
      record_audit(*c, who, "unit.update", "unit", id, detail);
    }
    tx.commit();
    return std::move(*cur);
  });
}

result<void> store::admin_delete_unit(const viewer& who, std::int64_t id) {
  if (!has(who.roles, role::admin)) return admin_required();
  return p_->guarded("delete unit (admin)", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto cur = load_unit(*c, id);
    if (!cur) return error(errc::not_found, "unknown_unit", "no such unit");
    if (exists(*c, "SELECT 1 FROM user_units WHERE unit_id = ?1 LIMIT 1", id))
      return error(errc::conflict, "unit_has_people",
                   "the unit still has people; move them to another unit first");
    if (exists(*c, "SELECT 1 FROM units WHERE parent_id = ?1 LIMIT 1", id))
      return error(errc::conflict, "unit_has_subunits",
                   "the unit still has sub-units; move or delete them first");
    if (exists(*c,
               "SELECT 1 FROM news_units nu JOIN news n ON n.id = nu.news_id"
               " WHERE nu.unit_id = ?1 AND n.deleted = 0 LIMIT 1",
               id))
      return error(errc::conflict, "unit_in_use",
                   "news is addressed to the unit; change those audiences first");
    if (exists(*c, "SELECT 1 FROM directory_groups WHERE unit_id = ?1 LIMIT 1", id))
      return error(errc::conflict, "unit_in_use",
                   "a group of the HR directory (SCIM) maps to the unit; remove it there");
    // Deleted news keeps its audience rows; nobody reads them any more.
    c->cached("DELETE FROM news_units WHERE unit_id = ?1").bind(1, id).run();
    c->cached("DELETE FROM units WHERE id = ?1").bind(1, id).run();
    record_audit(*c, who, "unit.delete", "unit", id, cur->name);
    tx.commit();
    return {};
  });
}

}  // namespace samverka::tenant
