// Directory sync (SCIM 2.0 provisioning and CSV import): the store side. Schema and its
// invariants: schema_directory.hpp. The gateway speaks SCIM; here are only people, groups and
// units.
//
// Design notes:
//  1. A SCIM write is a full replacement of what the IdP owns (the gateway merges PATCH ops into
//     the current resource first), so one code path (dir_put_person) creates and replaces.
//  2. The IdP owns: e-mail, name, activity, manager, title, phone, department. It does not own
//     roles or passwords, nor units the CLI or CSV gave: only the department's unit and the units
//     of SCIM groups are added and taken away by SCIM.
//  3. Deactivation (active=false, DELETE) revokes every session of the person in the same
//     transaction; resolve_session refuses inactive people anyway, so the effect is immediate on
//     every tenant (sessions live only at home).
//  4. CSV import runs in one write transaction: every row is checked and applied, problems are
//     collected with their line, and any problem rolls the whole file back.
#include <set>

#include "content_audit.hpp"  // content2: SCIM and CSV changes on the audit trail
#include "store_impl.hpp"

namespace samverka::tenant {

using namespace detail;

namespace {

error uniqueness(const std::string& what) {
  return error(errc::conflict, "uniqueness", what);
}

result<std::string> optional_field(std::string_view v, std::string_view field) {
  return plain_text(v, field, directory_limits::max_field, false, false);
}

directory_settings read_settings(db::connection& c) {
  directory_settings s;
  auto& st = c.cached("SELECT key, value FROM directory_settings");
  while (st.step()) {
    const auto k = st.text(0), v = st.text(1);
    if (k == "create_units") s.create_units = v != "0";
    if (k == "groups_as") s.groups_as_units = v != "none";
  }
  return s;
}

std::optional<std::int64_t> unit_id_by_name(db::connection& c, std::string_view name) {
  auto& st = c.cached("SELECT id FROM units WHERE name = ?1");
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  auto id = st.int64(0);
  st.reset();
  return id;
}

// The unit named `name`, created (top level, or under `parent`) when missing and `create`.
result<std::optional<std::int64_t>> unit_for(db::connection& c, std::string_view name, bool create,
                                             std::optional<std::int64_t> parent = std::nullopt) {
  auto n = plain_text(name, "unit", limits::max_name, true, false);
  if (!n) return n.err();
  if (auto id = unit_id_by_name(c, *n)) return std::optional(*id);
  if (!create) return std::optional<std::int64_t>();
  c.cached("INSERT INTO units(name, parent_id) VALUES (?1, ?2)").bind_all(*n, parent).run();
  return std::optional(c.last_insert_rowid());
}

void add_unit_membership(db::connection& c, std::int64_t user_id, std::int64_t unit_id) {
  c.cached("INSERT OR IGNORE INTO user_units(user_id, unit_id) VALUES (?1, ?2)")
      .bind_all(user_id, unit_id)
      .run();
}

// Takes `user_id` out of `unit_id` unless their department or another SCIM group still puts them
// there (except group `except_group`, which is being changed).
void drop_unit_membership(db::connection& c, std::int64_t user_id, std::int64_t unit_id,
                          std::int64_t except_group) {
  c.cached(
       "DELETE FROM user_units WHERE user_id = ?1 AND unit_id = ?2"
       " AND NOT EXISTS (SELECT 1 FROM directory_users d JOIN units un ON un.name = d.department"
       "                 WHERE d.user_id = ?1 AND un.id = ?2 AND d.deleted = 0)"
       " AND NOT EXISTS (SELECT 1 FROM directory_group_members m"
       "                 JOIN directory_groups g ON g.id = m.group_id"
       "                 WHERE m.user_id = ?1 AND g.unit_id = ?2 AND g.id != ?3)")
      .bind_all(user_id, unit_id, except_group)
      .run();
}

void revoke_sessions(db::connection& c, std::int64_t user_id) {
  c.cached("UPDATE sessions SET revoked = 1 WHERE user_id = ?1 AND revoked = 0")
      .bind(1, user_id)
      .run();
}

void write_profile(db::connection& c, std::int64_t user_id, const std::string& title,
                   const std::string& phone) {
  c.cached(
       "INSERT INTO profiles(user_id, title, phone, updated_at) VALUES (?1, ?2, ?3, ?4)"
       " ON CONFLICT(user_id) DO UPDATE SET title = excluded.title, phone = excluded.phone,"
       " updated_at = excluded.updated_at"
       " WHERE profiles.title != excluded.title OR profiles.phone != excluded.phone")
      .bind_all(user_id, title, phone, now_ms())
      .run();
}

// The person `id` (deleted ones only if `with_deleted`).
std::optional<directory_person> read_person(db::connection& c, std::int64_t id,
                                            bool with_deleted = false) {
  auto& st = c.cached(
      "SELECT u.id, u.email, u.name, u.active, u.created_at, u.manager_id,"
      " coalesce(d.user_name, u.email), d.external_id, coalesce(d.given_name, ''),"
      " coalesce(d.family_name, ''), coalesce(d.department, ''),"
      " coalesce(d.updated_at, u.created_at), coalesce(p.title, ''), coalesce(p.phone, ''),"
      " coalesce(d.deleted, 0)"
      " FROM users u LEFT JOIN directory_users d ON d.user_id = u.id"
      " LEFT JOIN profiles p ON p.user_id = u.id WHERE u.id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  if (st.int64(14) != 0 && !with_deleted) {
    st.reset();
    return std::nullopt;
  }
  directory_person p;
  p.id = st.int64(0);
  p.email = st.text(1);
  p.name = st.text(2);
  p.active = st.int64(3) != 0;
  p.created_at_ms = st.int64(4);
  p.manager_id = st.opt_int64(5);
  p.user_name = st.text(6);
  p.external_id = st.opt_text(7);
  p.given_name = st.text(8);
  p.family_name = st.text(9);
  p.department = st.text(10);
  p.updated_at_ms = st.int64(11);
  p.title = st.text(12);
  p.phone = st.text(13);
  st.reset();
  auto& us = c.cached(
      "SELECT u.name FROM user_units uu JOIN units u ON u.id = uu.unit_id WHERE uu.user_id = ?1"
      " ORDER BY u.name");
  us.bind(1, id);
  while (us.step()) p.units.push_back(us.text(0));
  return p;
}

std::optional<directory_group> read_group(db::connection& c, std::int64_t id) {
  auto& st = c.cached(
      "SELECT g.id, g.display_name, g.external_id, un.name, g.created_at, g.updated_at"
      " FROM directory_groups g LEFT JOIN units un ON un.id = g.unit_id WHERE g.id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  directory_group g;
  g.id = st.int64(0);
  g.display_name = st.text(1);
  g.external_id = st.opt_text(2);
  g.unit = st.opt_text(3);
  g.created_at_ms = st.int64(4);
  g.updated_at_ms = st.int64(5);
  st.reset();
  auto& ms =
      c.cached("SELECT user_id FROM directory_group_members WHERE group_id = ?1 ORDER BY user_id");
  ms.bind(1, id);
  while (ms.step()) g.members.push_back(ms.int64(0));
  return g;
}

// Validated fields of a person, prepared before the transaction.
struct person_fields {
  std::string user_name, email, name, given, family, title, phone, department;
  std::optional<std::string> external_id;
};

result<person_fields> prepare_person(const directory_person_input& in) {
  person_fields f;
  auto un = plain_text(in.user_name, "userName", directory_limits::max_field, true, false);
  if (!un) return un.err();
  f.user_name = std::move(*un);
  f.email = ascii_lower(trim(in.email.empty() ? f.user_name : in.email));
  if (!valid_email(f.email))
    return error(errc::invalid_input, "invalidValue",
                 "'" + f.email + "' is not an e-mail address (userName or emails)");
  for (auto [src, dst, field] :
       {std::tuple{&in.given_name, &f.given, "givenName"},
        std::tuple{&in.family_name, &f.family, "familyName"},
        std::tuple{&in.title, &f.title, "title"}, std::tuple{&in.phone, &f.phone, "phoneNumbers"},
        std::tuple{&in.department, &f.department, "department"}}) {
    auto v = optional_field(*src, field);
    if (!v) return v.err();
    *dst = std::move(*v);
  }
  if (in.external_id) {
    auto v = optional_field(*in.external_id, "externalId");
    if (!v) return v.err();
    if (!v->empty()) f.external_id = std::move(*v);
  }
  std::string name = std::string(trim(in.name));
  if (name.empty()) name = std::string(trim(f.given + " " + f.family));
  if (name.empty()) name = f.email;
  auto n = plain_text(name, "name", limits::max_name, true, false);
  if (!n) return n.err();
  f.name = std::move(*n);
  return f;
}

result<void> check_page(const directory_page_request& p) {
  if (p.start_index < 1)
    return error(errc::invalid_input, "invalidValue", "startIndex must be at least 1");
  return {};
}

}  // namespace

// ---- People -----------------------------------------------------------------------------------

result<directory_person_page> store::dir_list_people(std::optional<std::string_view> user_name,
                                                     const directory_page_request& page) {
  if (auto ok = check_page(page); !ok) return ok.err();
  return p_->guarded("list directory people", [&]() -> result<directory_person_page> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    directory_person_page out;
    // ?1 NULL = every person; the e-mail of a CLI-added person is their userName.
    constexpr std::string_view where =
        " FROM users u LEFT JOIN directory_users d ON d.user_id = u.id"
        " WHERE coalesce(d.deleted, 0) = 0"
        " AND (?1 IS NULL OR coalesce(d.user_name, u.email) = ?1 COLLATE NOCASE)";
    std::optional<std::string> filter;
    if (user_name) filter = std::string(trim(*user_name));
    auto& cnt = c->cached(std::string("SELECT count(*)") + std::string(where));
    cnt.bind(1, filter);
    cnt.step();
    out.total = static_cast<std::size_t>(cnt.int64(0));
    cnt.reset();
    auto& st = c->cached(std::string("SELECT u.id") + std::string(where) +
                         " ORDER BY u.id LIMIT ?2 OFFSET ?3");
    st.bind_all(filter, static_cast<std::int64_t>(std::min(page.count, directory_limits::max_page)),
                static_cast<std::int64_t>(page.start_index - 1));
    std::vector<std::int64_t> ids;
    while (st.step()) ids.push_back(st.int64(0));
    for (auto id : ids)
      if (auto p = read_person(*c, id)) out.items.push_back(std::move(*p));
    return out;
  });
}

result<directory_person> store::dir_get_person(std::int64_t id) {
  return p_->guarded("get directory person", [&]() -> result<directory_person> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto p = read_person(*c, id);
    if (!p) return error(errc::not_found, "unknown_user", "no such user");
    return std::move(*p);
  });
}

result<directory_person> store::dir_put_person(std::optional<std::int64_t> id,
                                               const directory_person_input& in) {
  auto fields = prepare_person(in);
  if (!fields) return fields.err();
  const auto& f = *fields;
  return p_->guarded("write directory person", [&]() -> result<directory_person> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    const auto settings = read_settings(*c);
    const auto now = now_ms();
    std::optional<std::int64_t> target = id;
    std::string old_department;
    if (target) {
      auto cur = read_person(*c, *target);
      if (!cur) return error(errc::not_found, "unknown_user", "no such user");
      old_department = cur->department;
    } else if (auto existing = user_id_by_email(*c, f.email)) {
      // A person SCIM deleted comes back under the same e-mail; anyone else is a duplicate.
      auto gone = read_person(*c, *existing, true);
      if (!gone || read_person(*c, *existing))
        return uniqueness("a user with e-mail " + f.email + " exists");
      target = existing;
      old_department = gone->department;
    }
    // userName is unique among live people, whether the IdP set it or it is a CLI person's e-mail.
    auto& dup = c->cached(
        "SELECT u.id FROM users u LEFT JOIN directory_users d ON d.user_id = u.id"
        " WHERE coalesce(d.deleted, 0) = 0 AND coalesce(d.user_name, u.email) = ?1 COLLATE NOCASE"
        " AND u.id != ?2");
    dup.bind_all(f.user_name, target.value_or(0));
    if (dup.step()) return uniqueness("userName " + f.user_name + " is taken");
    dup.reset();
    if (auto other = user_id_by_email(*c, f.email); other && other != target)
      return uniqueness("a user with e-mail " + f.email + " exists");
    // A deleted person's userName is released for someone else.
    c->cached(
         "UPDATE directory_users SET user_name = 'deleted:' || user_id || ':' || user_name"
         " WHERE deleted = 1 AND user_name = ?1 AND user_id != ?2")
        .bind_all(f.user_name, target.value_or(0))
        .run();
    if (in.manager_id) {
      if (*in.manager_id == target.value_or(-1))
        return error(errc::invalid_input, "invalidValue", "a person cannot be their own manager");
      if (!read_person(*c, *in.manager_id))
        return error(errc::invalid_input, "invalidValue", "manager: no such user");
    }
    if (target) {
      c->cached(
           "UPDATE users SET email = ?1, name = ?2, active = ?3, manager_id = ?4 WHERE id = ?5")
          .bind_all(f.email, f.name, static_cast<std::int64_t>(in.active), in.manager_id, *target)
          .run();
    } else {
      c->cached(
           "INSERT INTO users(email, name, roles, password_hash, active, created_at, manager_id)"
           " VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6)")
          .bind_all(f.email, f.name, static_cast<std::int64_t>(bit(role::employee)),
                    static_cast<std::int64_t>(in.active), now, in.manager_id)
          .run();
      target = c->last_insert_rowid();
    }
    c->cached(
         "INSERT INTO directory_users(user_id, user_name, external_id, given_name, family_name,"
         " department, deleted, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?7)"
         " ON CONFLICT(user_id) DO UPDATE SET user_name = excluded.user_name,"
         " external_id = excluded.external_id, given_name = excluded.given_name,"
         " family_name = excluded.family_name, department = excluded.department, deleted = 0,"
         " updated_at = excluded.updated_at")
        .bind_all(*target, f.user_name, f.external_id, f.given, f.family, f.department, now)
        .run();
    write_profile(*c, *target, f.title, f.phone);
    if (ascii_lower(old_department) != ascii_lower(f.department)) {
      if (!old_department.empty())
        if (auto old_unit = unit_id_by_name(*c, old_department))
          drop_unit_membership(*c, *target, *old_unit, 0);
    }
    if (!f.department.empty()) {
      auto unit = unit_for(*c, f.department, settings.create_units);
      if (!unit) return unit.err();
      if (*unit) add_unit_membership(*c, *target, **unit);
    }
    if (!in.active) revoke_sessions(*c, *target);
    auto out = read_person(*c, *target);
    record_audit(*c, audit_actor("scim"), id ? "user.replace" : "user.create", "user", *target,
                 f.email + (in.active ? "" : ", deactivated") +
                     (f.department.empty() ? "" : ", department " + f.department));
    tx.commit();
    return std::move(*out);
  });
}

result<directory_person> store::dir_delete_person(std::int64_t id) {
  return p_->guarded("delete directory person", [&]() -> result<directory_person> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto p = read_person(*c, id);
    if (!p) return error(errc::not_found, "unknown_user", "no such user");
    c->cached("UPDATE users SET active = 0 WHERE id = ?1").bind(1, id).run();
    revoke_sessions(*c, id);
    const auto now = now_ms();
    c->cached(
         "INSERT INTO directory_users(user_id, user_name, deleted, created_at, updated_at)"
         " VALUES (?1, ?2, 1, ?3, ?3)"
         " ON CONFLICT(user_id) DO UPDATE SET deleted = 1, updated_at = excluded.updated_at")
        .bind_all(id, p->user_name, now)
        .run();
    // Out of every SCIM group (and so of the groups' units).
    std::vector<std::pair<std::int64_t, std::optional<std::int64_t>>> groups;
    auto& gs = c->cached(
        "SELECT g.id, g.unit_id FROM directory_group_members m"
        " JOIN directory_groups g ON g.id = m.group_id WHERE m.user_id = ?1");
    gs.bind(1, id);
    while (gs.step()) groups.emplace_back(gs.int64(0), gs.opt_int64(1));
    gs.reset();
    c->cached("DELETE FROM directory_group_members WHERE user_id = ?1").bind(1, id).run();
    for (auto& [gid, unit] : groups)
      if (unit) drop_unit_membership(*c, id, *unit, gid);
    p->active = false;
    record_audit(*c, audit_actor("scim"), "user.delete", "user", id,
                 p->email + ", deactivated");  // content2
    tx.commit();
    return std::move(*p);
  });
}

// ---- Groups -----------------------------------------------------------------------------------

result<directory_group_page> store::dir_list_groups(std::optional<std::string_view> display_name,
                                                    const directory_page_request& page) {
  if (auto ok = check_page(page); !ok) return ok.err();
  return p_->guarded("list directory groups", [&]() -> result<directory_group_page> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    directory_group_page out;
    std::optional<std::string> filter;
    if (display_name) filter = std::string(trim(*display_name));
    auto& cnt =
        c->cached("SELECT count(*) FROM directory_groups WHERE ?1 IS NULL OR display_name = ?1");
    cnt.bind(1, filter);
    cnt.step();
    out.total = static_cast<std::size_t>(cnt.int64(0));
    cnt.reset();
    auto& st = c->cached(
        "SELECT id FROM directory_groups WHERE ?1 IS NULL OR display_name = ?1"
        " ORDER BY id LIMIT ?2 OFFSET ?3");
    st.bind_all(filter, static_cast<std::int64_t>(std::min(page.count, directory_limits::max_page)),
                static_cast<std::int64_t>(page.start_index - 1));
    std::vector<std::int64_t> ids;
    while (st.step()) ids.push_back(st.int64(0));
    for (auto id : ids)
      if (auto g = read_group(*c, id)) out.items.push_back(std::move(*g));
    return out;
  });
}

result<directory_group> store::dir_get_group(std::int64_t id) {
  return p_->guarded("get directory group", [&]() -> result<directory_group> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto g = read_group(*c, id);
    if (!g) return error(errc::not_found, "unknown_group", "no such group");
    return std::move(*g);
  });
}

result<directory_group> store::dir_put_group(std::optional<std::int64_t> id,
                                             const directory_group_input& in) {
  auto name = plain_text(in.display_name, "displayName", limits::max_name, true, false);
  if (!name) return name.err();
  std::optional<std::string> external_id;
  if (in.external_id) {
    auto v = optional_field(*in.external_id, "externalId");
    if (!v) return v.err();
    if (!v->empty()) external_id = std::move(*v);
  }
  if (in.members.size() > directory_limits::max_members)
    return error(
        errc::invalid_input, "invalidValue",
        "a group may have at most " + std::to_string(directory_limits::max_members) + " members");
  const std::set<std::int64_t> members(in.members.begin(), in.members.end());
  return p_->guarded("write directory group", [&]() -> result<directory_group> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    const auto settings = read_settings(*c);
    const auto now = now_ms();
    std::set<std::int64_t> old_members;
    std::optional<std::int64_t> old_unit;
    if (id) {
      auto& st = c->cached("SELECT unit_id FROM directory_groups WHERE id = ?1");
      st.bind(1, *id);
      if (!st.step()) return error(errc::not_found, "unknown_group", "no such group");
      old_unit = st.opt_int64(0);
      st.reset();
      auto g = read_group(*c, *id);
      old_members.insert(g->members.begin(), g->members.end());
    }
    auto& dup = c->cached("SELECT 1 FROM directory_groups WHERE display_name = ?1 AND id != ?2");
    dup.bind_all(*name, id.value_or(0));
    if (dup.step()) return uniqueness("a group named '" + *name + "' exists");
    dup.reset();
    for (auto m : members)
      if (!read_person(*c, m))
        return error(errc::invalid_input, "invalidValue",
                     "member " + std::to_string(m) + ": no such user");
    std::optional<std::int64_t> unit;
    if (settings.groups_as_units) {
      auto u = unit_for(*c, *name, settings.create_units);
      if (!u) return u.err();
      unit = *u;
    }
    std::int64_t gid = 0;
    if (id) {
      gid = *id;
      c->cached(
           "UPDATE directory_groups SET display_name = ?1, external_id = ?2, unit_id = ?3,"
           " updated_at = ?4 WHERE id = ?5")
          .bind_all(*name, external_id, unit, now, gid)
          .run();
    } else {
      c->cached(
           "INSERT INTO directory_groups(display_name, external_id, unit_id, created_at,"
           " updated_at) VALUES (?1, ?2, ?3, ?4, ?4)")
          .bind_all(*name, external_id, unit, now)
          .run();
      gid = c->last_insert_rowid();
    }
    c->cached("DELETE FROM directory_group_members WHERE group_id = ?1").bind(1, gid).run();
    auto& ins = c->cached("INSERT INTO directory_group_members(group_id, user_id) VALUES (?1, ?2)");
    for (auto m : members) {
      ins.reset();
      ins.bind_all(gid, m).run();
    }
    // Unit memberships follow: leavers (or everyone, if the unit changed) out, members in.
    if (old_unit)
      for (auto m : old_members)
        if (!members.contains(m) || old_unit != unit) drop_unit_membership(*c, m, *old_unit, 0);
    if (unit)
      for (auto m : members) add_unit_membership(*c, m, *unit);
    auto out = read_group(*c, gid);
    record_audit(*c, audit_actor("scim"), id ? "directory_group.replace" : "directory_group.create",
                 "directory_group", gid,
                 in.display_name + ", " + std::to_string(out->members.size()) + " members");
    tx.commit();
    return std::move(*out);
  });
}

result<void> store::dir_delete_group(std::int64_t id) {
  return p_->guarded("delete directory group", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto& st = c->cached("SELECT unit_id FROM directory_groups WHERE id = ?1");
    st.bind(1, id);
    if (!st.step()) return error(errc::not_found, "unknown_group", "no such group");
    const auto unit = st.opt_int64(0);
    st.reset();
    auto g = read_group(*c, id);
    c->cached("DELETE FROM directory_groups WHERE id = ?1").bind(1, id).run();
    if (unit)
      for (auto m : g->members) drop_unit_membership(*c, m, *unit, id);
    record_audit(*c, audit_actor("scim"), "directory_group.delete", "directory_group", id,
                 g->display_name);  // content2
    tx.commit();
    return {};
  });
}

// ---- Settings ---------------------------------------------------------------------------------

result<directory_settings> store::dir_settings() {
  return p_->guarded("directory settings", [&]() -> result<directory_settings> {
    auto c = p_->borrow();
    return read_settings(*c);
  });
}

result<void> store::dir_set_settings(const directory_settings& s) {
  return p_->guarded("set directory settings", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto& st = c->cached(
        "INSERT INTO directory_settings(key, value) VALUES (?1, ?2)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    st.bind_all("create_units", s.create_units ? "1" : "0").run();
    st.reset();
    st.bind_all("groups_as", s.groups_as_units ? "units" : "none").run();
    tx.commit();
    return {};
  });
}

// ---- CSV import -------------------------------------------------------------------------------

namespace {

// Everything an import may change about a person, to tell "updated" from "unchanged".
std::string import_state(db::connection& c, std::int64_t id) {
  auto p = read_person(c, id, true);
  if (!p) return {};
  auto& st = c.cached("SELECT roles FROM users WHERE id = ?1");
  st.bind(1, id);
  std::string roles = st.step() ? std::to_string(st.int64(0)) : "";
  st.reset();
  std::string units;
  for (const auto& u : p->units) units += u + "\x1f";
  return p->name + "\x1e" + roles + "\x1e" + units + "\x1e" + p->title + "\x1e" + p->phone +
         "\x1e" + (p->manager_id ? std::to_string(*p->manager_id) : "");
}

// The unit at the end of `path` ("A/B/C"), creating each missing segment under the previous one.
result<std::int64_t> unit_path(db::connection& c, std::string_view path) {
  std::optional<std::int64_t> parent;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    auto unit = unit_for(c, trim(path.substr(start, slash - start)), true, parent);
    if (!unit) return unit.err();
    parent = **unit;
    start = slash + 1;
  }
  return *parent;
}

}  // namespace

result<import_report> store::import_people(const std::vector<import_row>& rows, bool dry_run) {
  if (rows.size() > directory_limits::max_import_rows)
    return error(errc::too_large, "too_many_rows",
                 "an import may hold at most " + std::to_string(directory_limits::max_import_rows) +
                     " rows");
  return p_->guarded("import people", [&]() -> result<import_report> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    import_report rep;
    auto problem = [&](const import_row& r, std::string msg) {
      rep.problems.push_back(import_problem{r.line, std::move(msg)});
    };
    std::map<std::string, std::size_t> seen;        // e-mail -> line
    std::vector<std::int64_t> ids(rows.size(), 0);  // row -> person
    std::vector<std::string> before(rows.size());
    std::vector<bool> is_new(rows.size(), false);
    const auto now = now_ms();
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& r = rows[i];
      const std::string email = ascii_lower(trim(r.email));
      if (!valid_email(email)) {
        problem(r, "'" + r.email + "' is not an e-mail address");
        continue;
      }
      if (auto [it, fresh] = seen.emplace(email, r.line); !fresh) {
        problem(r, email + " is also on line " + std::to_string(it->second));
        continue;
      }
      auto name = plain_text(r.name, "name", limits::max_name, true, false);
      auto title = optional_field(r.title.value_or(""), "title");
      auto phone = optional_field(r.phone.value_or(""), "phone");
      if (!name || !title || !phone) {
        problem(r, (!name ? name.err() : !title ? title.err() : phone.err()).message);
        continue;
      }
      if (r.roles && (*r.roles & ~all_roles) != 0) {
        problem(r, "unknown role");
        continue;
      }
      std::optional<std::int64_t> unit;
      if (!trim(r.unit).empty()) {
        auto u = unit_path(*c, r.unit);
        if (!u) {
          problem(r, "unit: " + u.err().message);
          continue;
        }
        unit = *u;
      }
      std::optional<std::int64_t> roles;
      if (r.roles) roles = static_cast<std::int64_t>(*r.roles | bit(role::employee));
      std::int64_t id = 0;
      if (auto existing = user_id_by_email(*c, email)) {
        id = *existing;
        before[i] = import_state(*c, id);
        c->cached("UPDATE users SET name = ?1, roles = coalesce(?2, roles) WHERE id = ?3")
            .bind_all(*name, roles, id)
            .run();
        if (unit) {
          c->cached("DELETE FROM user_units WHERE user_id = ?1 AND unit_id != ?2")
              .bind_all(id, *unit)
              .run();
        }
      } else {
        c->cached(
             "INSERT INTO users(email, name, roles, password_hash, active, created_at)"
             " VALUES (?1, ?2, ?3, NULL, 1, ?4)")
            .bind_all(email, *name, roles.value_or(bit(role::employee)), now)
            .run();
        id = c->last_insert_rowid();
        is_new[i] = true;
      }
      if (unit) add_unit_membership(*c, id, *unit);
      if (r.title || r.phone) {
        auto cur = read_person(*c, id, true);
        write_profile(*c, id, r.title ? *title : cur->title, r.phone ? *phone : cur->phone);
      }
      ids[i] = id;
    }
    // Managers after everyone exists, so a report may come before their manager in the file.
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (!ids[i]) continue;
      const auto& r = rows[i];
      if (!r.manager_email) continue;  // no such column: kept
      std::optional<std::int64_t> manager;
      const std::string m = ascii_lower(trim(*r.manager_email));
      if (!m.empty()) {
        manager = user_id_by_email(*c, m);
        if (!manager) {
          problem(r, "manager " + m + " is not a person of this tenant nor in the file");
          continue;
        }
        if (*manager == ids[i]) {
          problem(r, "a person cannot be their own manager");
          continue;
        }
      }
      c->cached("UPDATE users SET manager_id = ?1 WHERE id = ?2").bind_all(manager, ids[i]).run();
    }
    std::sort(rep.problems.begin(), rep.problems.end(),
              [](const import_problem& a, const import_problem& b) { return a.line < b.line; });
    if (!rep.problems.empty()) return rep;  // the transaction rolls back
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const std::string line = "CSV import line " + std::to_string(rows[i].line) + ": ";
      if (is_new[i]) {
        ++rep.created;
        rep.created_emails.push_back(ascii_lower(trim(rows[i].email)));
        record_audit(*c, audit_actor("operator"), "user.create", "user", ids[i],
                     line + ascii_lower(trim(rows[i].email)));  // content2
      } else if (before[i] != import_state(*c, ids[i])) {
        ++rep.updated;
        record_audit(*c, audit_actor("operator"), "user.update", "user", ids[i],
                     line + ascii_lower(trim(rows[i].email)));  // content2
      } else {
        ++rep.unchanged;
      }
    }
    if (!dry_run) tx.commit();
    return rep;
  });
}

}  // namespace samverka::tenant
