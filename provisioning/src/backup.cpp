#include "backup.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <system_error>

#include "samverka/core/clock.hpp"
#include "samverka/core/slug.hpp"

namespace samverka::provisioning::backup {

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

error invalid_manifest(const std::string& why) {
  return error(errc::invalid_input, "invalid_backup", "not a usable backup manifest: " + why);
}

std::string manifest_text(const manifest& m) {
  json::object o;
  o["format"] = format_id;
  o["created_at"] = to_rfc3339(m.created_at_ms);
  json::array tenants;
  for (const auto& t : m.tenants) {
    json::array domains;
    for (const auto& d : t.domains) domains.emplace_back(d);
    tenants.push_back(json::object{{"slug", t.slug},
                                   {"name", t.name},
                                   {"state", t.state},
                                   {"domains", std::move(domains)},
                                   {"file", "tenants/" + t.slug + ".tar.gz"},
                                   {"size_bytes", t.size_bytes},
                                   {"schema_version", t.schema_version}});
  }
  o["tenants"] = std::move(tenants);
  json::array partners;
  for (const auto& [a, b] : m.partnerships) partners.push_back(json::object{{"a", a}, {"b", b}});
  o["partnerships"] = std::move(partners);
  json::array remote;
  for (const auto& r : m.remote_partnerships)
    remote.push_back(
        json::object{{"local", r.local}, {"remote", r.remote}, {"remote_name", r.remote_name}});
  o["remote_partnerships"] = std::move(remote);
  return json::serialize(o) + "\n";
}

// Writes `text` to `file` atomically (temporary file, then rename).
result<void> write_file_atomically(const fs::path& file, const std::string& text) {
  const fs::path tmp = file.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.flush();
    if (!f) return error(errc::internal, "backup_write_failed", "cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) return error(errc::internal, "backup_write_failed", "cannot write " + file.string());
  return {};
}

// A string member of `o`, or an error naming it.
result<std::string> text_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return invalid_manifest("\"" + std::string(key) + "\" missing");
  return std::string(v->as_string());
}

result<std::int64_t> int_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !(v->is_int64() || v->is_uint64()))
    return invalid_manifest("\"" + std::string(key) + "\" missing");
  return v->is_int64() ? v->as_int64() : static_cast<std::int64_t>(v->as_uint64());
}

result<manifest> parse_manifest(std::string_view text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return invalid_manifest("not a JSON object");
  const auto& o = v.as_object();
  auto format = text_field(o, "format");
  if (!format) return format.err();
  if (*format != format_id) return invalid_manifest("format is not " + std::string(format_id));
  manifest m;
  auto created = text_field(o, "created_at");
  if (!created) return created.err();
  auto created_ms = parse_rfc3339(*created);
  if (!created_ms) return invalid_manifest("bad created_at");
  m.created_at_ms = *created_ms;
  const auto* tenants = o.if_contains("tenants");
  if (!tenants || !tenants->is_array()) return invalid_manifest("\"tenants\" missing");
  std::set<std::string> seen;
  for (const auto& tv : tenants->as_array()) {
    if (!tv.is_object()) return invalid_manifest("a tenant entry is not an object");
    const auto& to = tv.as_object();
    tenant_entry t;
    auto slug = text_field(to, "slug");
    auto name = text_field(to, "name");
    auto state = text_field(to, "state");
    auto size = int_field(to, "size_bytes");
    auto schema = int_field(to, "schema_version");
    for (const error* e : {slug ? nullptr : &slug.err(), name ? nullptr : &name.err(),
                           state ? nullptr : &state.err(), size ? nullptr : &size.err(),
                           schema ? nullptr : &schema.err()})
      if (e) return *e;
    if (!valid_slug(*slug)) return invalid_manifest("invalid slug '" + *slug + "'");
    if (!seen.insert(*slug).second) return invalid_manifest("tenant '" + *slug + "' twice");
    if (*state != "active" && *state != "suspended")
      return invalid_manifest("unknown state '" + *state + "'");
    t.slug = *slug;
    t.name = *name;
    t.state = *state;
    t.size_bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(*size, 0));
    t.schema_version = static_cast<int>(*schema);
    if (const auto* d = to.if_contains("domains"); d && d->is_array())
      for (const auto& dv : d->as_array())
        if (dv.is_string()) t.domains.emplace_back(dv.as_string());
    m.tenants.push_back(std::move(t));
  }
  if (const auto* p = o.if_contains("partnerships"); p && p->is_array()) {
    for (const auto& pv : p->as_array()) {
      if (!pv.is_object()) return invalid_manifest("a partnership is not an object");
      auto a = text_field(pv.as_object(), "a");
      auto b = text_field(pv.as_object(), "b");
      if (!a || !b || !valid_slug(*a) || !valid_slug(*b))
        return invalid_manifest("a partnership names an invalid slug");
      m.partnerships.emplace_back(*a, *b);
    }
  }
  if (const auto* p = o.if_contains("remote_partnerships"); p && p->is_array()) {
    for (const auto& pv : p->as_array()) {
      if (!pv.is_object()) return invalid_manifest("a partnership is not an object");
      auto l = text_field(pv.as_object(), "local");
      auto r = text_field(pv.as_object(), "remote");
      auto n = text_field(pv.as_object(), "remote_name");
      if (!l || !r || !n || !valid_slug(*l) || !valid_slug(*r))
        return invalid_manifest("a partnership names an invalid slug");
      m.remote_partnerships.push_back({*l, *r, *n});
    }
  }
  return m;
}

}  // namespace

fs::path archive_path(const fs::path& dir, std::string_view slug) {
  return dir / "tenants" / (std::string(slug) + ".tar.gz");
}

result<manifest> create(registry& reg, const fs::path& out) {
  try {
    if (fs::exists(out) && (!fs::is_directory(out) || !fs::is_empty(out)))
      return error(errc::conflict, "backup_exists",
                   out.string() +
                       " exists and is not an empty directory; a backup never "
                       "overwrites another");
    fs::create_directories(out / "tenants");
  } catch (const fs::filesystem_error& e) {
    return error(errc::internal, "backup_write_failed", e.what());
  }

  manifest m;
  m.created_at_ms = now_ms();
  auto tenants = reg.list_tenants();
  if (!tenants) return tenants.err();
  auto partners = reg.partnerships();
  if (!partners) return partners.err();
  auto remote = reg.remote_partners();
  if (!remote) return remote.err();
  std::set<std::string> taken;
  for (const auto& t : *tenants) {
    const fs::path file = archive_path(out, t.slug);
    auto exported = reg.export_tenant(t.slug, file);
    if (!exported) {
      if (exported.err().kind == errc::not_found) continue;  // deleted meanwhile
      return error(exported.err().kind, exported.err().code,
                   "tenant " + t.slug + ": " + exported.err().message);
    }
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (ec) return error(errc::internal, "backup_write_failed", "cannot stat " + file.string());
    m.tenants.push_back(tenant_entry{t.slug, exported->name, std::string(to_string(t.state)),
                                     exported->domains, size, exported->schema_version});
    taken.insert(t.slug);
  }
  for (const auto& p : *partners)
    if (taken.count(p.a) && taken.count(p.b)) m.partnerships.emplace_back(p.a, p.b);
  for (const auto& r : *remote)
    if (taken.count(r.local)) m.remote_partnerships.push_back({r.local, r.remote, r.remote_name});
  if (auto r = write_file_atomically(out / "manifest.json", manifest_text(m)); !r) return r.err();
  return m;
}

result<manifest> read_manifest(const fs::path& dir) {
  const fs::path file = dir / "manifest.json";
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    return error(errc::invalid_input, "invalid_backup",
                 dir.string() + " holds no manifest.json: not a backup, or an unfinished one");
  const auto size = fs::file_size(file, ec);
  if (ec || size > max_manifest_bytes) return invalid_manifest("manifest.json is too large");
  std::ifstream f(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (!f && !f.eof()) return invalid_manifest("cannot read manifest.json");
  return parse_manifest(text);
}

result<std::vector<restore_outcome>> restore(registry& reg, const fs::path& dir,
                                             const std::vector<std::string>& only) {
  auto m = read_manifest(dir);
  if (!m) return m.err();
  for (const auto& s : only)
    if (std::none_of(m->tenants.begin(), m->tenants.end(),
                     [&](const tenant_entry& t) { return t.slug == s; }))
      return error(errc::not_found, "not_in_backup", "tenant '" + s + "' is not in this backup");

  std::vector<restore_outcome> out;
  std::set<std::string> restored;
  for (const auto& t : m->tenants) {
    if (!only.empty() && std::find(only.begin(), only.end(), t.slug) == only.end()) continue;
    restore_outcome o{t.slug, restore_outcome::kind::failed, {}};
    if (reg.get_tenant(t.slug)) {
      o.what = restore_outcome::kind::exists;
      out.push_back(std::move(o));
      continue;
    }
    const fs::path file = archive_path(dir, t.slug);
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (ec || size != t.size_bytes) {
      o.detail = ec ? "archive " + file.string() + " is missing"
                    : "archive " + file.string() + " has " + std::to_string(size) +
                          " bytes, the manifest says " + std::to_string(t.size_bytes);
      out.push_back(std::move(o));
      continue;
    }
    auto imported = reg.import_tenant(file, std::string_view(t.slug));
    if (!imported) {
      o.detail = imported.err().message;
      out.push_back(std::move(o));
      continue;
    }
    if (t.state == "suspended") {
      if (auto s = reg.suspend(t.slug); !s) {
        o.detail = "restored, but not suspended again: " + s.err().message;
        out.push_back(std::move(o));
        continue;
      }
    }
    o.what = restore_outcome::kind::restored;
    for (const auto& d : imported->skipped_domains)
      o.detail += (o.detail.empty() ? "skipped domains owned by other tenants: " : ", ") + d;
    restored.insert(t.slug);
    out.push_back(std::move(o));
  }
  // Partnerships touching a restored tenant, where the other side is registered now.
  for (const auto& [a, b] : m->partnerships) {
    if (!restored.count(a) && !restored.count(b)) continue;
    if (!reg.get_tenant(a) || !reg.get_tenant(b)) continue;
    if (auto r = reg.link(a, b); !r) {
      for (auto& o : out)
        if (o.slug == a || o.slug == b) {
          o.what = restore_outcome::kind::failed;
          o.detail = "partnership " + a + " <-> " + b + " not restored: " + r.err().message;
        }
    }
  }
  // Cluster mode: halves of partnerships with tenants on other nodes (their nodes keep theirs).
  for (const auto& r : m->remote_partnerships) {
    if (!restored.count(r.local) || reg.get_tenant(r.remote)) continue;
    if (auto l = reg.link_remote(r.local, r.remote, r.remote_name); !l) {
      for (auto& o : out)
        if (o.slug == r.local) {
          o.what = restore_outcome::kind::failed;
          o.detail =
              "partnership " + r.local + " <-> " + r.remote + " not restored: " + l.err().message;
        }
    }
  }
  return out;
}

}  // namespace samverka::provisioning::backup
