// samverkactl: the operator CLI of the public contract (CONTRACT.md, "Operator CLI"), plus a few
// read-only extras (`unit list`, `user list`) documented in --help.
//
// Shape of every command: parse (usage errors exit 2 before anything is touched), open the
// registry, do one short operation through the registry or one tenant::store, print a table or
// (with --json) one JSON value on stdout. Failures print one line "samverkactl: reason" on
// stderr and exit 1. Nothing holds a transaction longer than one call, so the CLI runs safely
// beside a serving `samverka`.
#include "samverka/provisioning/cli.hpp"

#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "backup.hpp"
#include "cli_idp.hpp"     // oidc feature
#include "cli_move.hpp"    // cluster mode: tenant move
#include "csv_import.hpp"  // directory feature
#include "samverka/cluster/redis.hpp"
#include "samverka/cluster/sessions.hpp"
#include "samverka/core/clock.hpp"
#include "samverka/core/slug.hpp"
#include "samverka/provisioning/cluster_client.hpp"
#include "samverka/provisioning/digest.hpp"
#include "samverka/provisioning/registry.hpp"
#include "samverka/tenant/limits.hpp"
#include "samverka/tenant/model.hpp"
#include "samverka/tenant/pool.hpp"
#include "samverka/tenant/store.hpp"

#ifndef SAMVERKA_VERSION
#define SAMVERKA_VERSION "0.1.0"  // kept in step with project(VERSION) in the top CMakeLists.txt
#endif

namespace samverka::provisioning {

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;
// Revoked sessions read and withdrawn from Redis per round trip (cluster mode, sync_sessions).
constexpr std::size_t session_sync_batch = 500;

// Thrown by a command to end with a one-line reason and an exit code; caught once in run_cli.
struct cli_exit {
  int code;
  std::string reason;
};

// One line, whatever the message holds (SQLite and libarchive messages may contain newlines).
std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

template <class T>
T take(result<T> r) {
  if (!r) throw cli_exit{exit_failed, r.err().message};
  return std::move(*r);
}
inline void take(result<void> r) {
  if (!r) throw cli_exit{exit_failed, r.err().message};
}

// --- Output -----------------------------------------------------------------------------------

// Display width of UTF-8 text (code points; Swedish names are all single-width).
std::size_t width(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

// Prints rows under a header (none if empty) as columns separated by two spaces.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> w(header.size());
  for (const auto& r : rows) w.resize(std::max(w.size(), r.size()));
  for (std::size_t i = 0; i < header.size(); ++i) w[i] = width(header[i]);
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], width(r[i]));
  auto line = [&](const std::vector<std::string>& r) {
    std::string out;
    for (std::size_t i = 0; i < r.size(); ++i) {
      out += r[i];
      if (i + 1 < r.size()) out.append(w[i] - width(r[i]) + 2, ' ');
    }
    std::cout << out << '\n';
  };
  if (!header.empty()) line(header);
  for (const auto& r : rows) line(r);
}

std::string join(const std::vector<std::string>& v, std::string_view sep = ",") {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

json::array to_json_array(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

void print_json(const json::value& v) {
  std::cout << json::serialize(v) << '\n';
}

// "12.3 MiB" for people; --json carries the exact byte count.
std::string human_size(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

json::object tenant_json(const tenant_info& t, const std::optional<tenant_usage>& u) {
  json::object o;
  o["slug"] = t.slug;
  o["name"] = t.name;
  o["domains"] = to_json_array(t.domains);
  o["state"] = to_string(t.state);
  if (u) {
    o["size_bytes"] = u->size_bytes;
    o["schema_version"] = u->schema_version;
  }
  o["created_at"] = to_rfc3339(t.created_at_ms);
  o["id"] = t.id;
  return o;
}

json::object user_json(const tenant::user& u) {
  json::object o;
  o["id"] = u.id;
  o["email"] = u.email;
  o["name"] = u.name;
  o["roles"] = to_json_array(tenant::role_names(u.roles));
  o["units"] = to_json_array(u.units);
  o["active"] = u.active;
  o["has_password"] = u.has_password;
  return o;
}

json::object partnership_json(const partnership& p) {
  json::object o;
  o["a"] = p.a;
  o["b"] = p.b;
  o["since"] = to_rfc3339(p.since_ms);
  return o;
}

// --- Commands ---------------------------------------------------------------------------------

struct context {
  fs::path data_dir;
  bool json = false;
  std::string redis_flag;  // --redis URL (cluster mode); else $SAMVERKA_REDIS
  std::shared_ptr<registry> reg;
  std::optional<cluster_client> cluster_conn;

  registry& r() {
    if (!reg) reg = take(registry::open(data_dir));
    return *reg;
  }

  // The cluster this node belongs to (connected on first use); nullptr in single-node mode.
  cluster_client* cluster() {
    if (cluster_conn) return &*cluster_conn;
    auto o = cluster_options_from_env(redis_flag);
    if (!o) return nullptr;
    auto conn = cluster_client::connect(*o);
    if (!conn) throw cli_exit{exit_failed, "cluster mode: " + conn.err().message};
    cluster_conn.emplace(std::move(conn.value()));
    return &*cluster_conn;
  }

  // The store of a registered tenant (suspension does not matter to the operator).
  std::shared_ptr<tenant::store> store(const std::string& slug) {
    auto t = take(r().get_tenant(slug));
    touched.insert(t.slug);
    return take(tenant::store::open(t.slug, tenant::pool::tenant_dir(data_dir, t.slug)));
  }

  // Tenants whose stores or states this run may have changed (cluster mode: sync_sessions).
  std::set<std::string> touched;
};

// Cluster mode: the sessions this run revoked (user remove, an import's deactivations) or made
// unusable (a suspended or deleted tenant) leave Redis now, so other store nodes stop accepting
// them at once. Best effort: the changes are committed, and the owning node's sweep
// (gateway/src/session_sync.hpp) deletes them within a second anyway.
void sync_sessions(context& c) {
  if (c.touched.empty()) return;
  const auto o = cluster_options_from_env(c.redis_flag);
  if (!o) return;
  auto addr = cluster::parse_redis_url(o->redis_url);
  if (!addr) return;  // the command itself reported a bad URL if it needed the cluster
  cluster::session_directory sessions(std::move(addr.value()));
  for (const auto& slug : c.touched) {
    auto t = c.r().get_tenant(slug);
    result<void> r;
    if (!t || t->state != tenant_state::active) {
      r = sessions.forget_home(slug);
    } else {
      auto store = c.store(slug);
      std::int64_t after = 0;
      for (;;) {
        auto revoked = store->revoked_sessions_since(after, session_sync_batch);
        if (!revoked) {
          r = revoked.err();
          break;
        }
        std::vector<std::string> hashes;
        for (auto& s : *revoked) hashes.push_back(std::move(s.token_hash));
        if (r = sessions.forget(slug, hashes); !r || revoked->size() < session_sync_batch) break;
        after = revoked->back().seq;
      }
    }
    if (!r)
      std::cerr << "samverkactl: warning: sessions of " << slug
                << " not yet withdrawn from Redis (its node does so within a second): "
                << one_line(r.err().message) << std::endl;
  }
}

void print_tenant(context& c, const tenant_info& t) {
  auto u = take(c.r().usage(t.slug));
  if (c.json) return print_json(tenant_json(t, u));
  print_table({}, {{"slug", t.slug},
                   {"name", t.name},
                   {"domains", join(t.domains, ", ")},
                   {"state", std::string(to_string(t.state))},
                   {"size", human_size(u.size_bytes)},
                   {"schema", std::to_string(u.schema_version)},
                   {"created", to_rfc3339(t.created_at_ms)},
                   {"id", std::to_string(t.id)}});
}

// Merges the search index of each tenant named (every tenant when none is) into one segment.
void search_optimize(context& c, const std::vector<std::string>& slugs) {
  std::vector<std::string> todo = slugs;
  if (todo.empty())
    for (const auto& t : take(c.r().list_tenants())) todo.push_back(t.slug);
  json::array out;
  std::vector<std::vector<std::string>> rows;
  for (const auto& slug : todo) {
    // Opened directly: an index merge ends no session (c.store would have them re-synced).
    auto t = take(c.r().get_tenant(slug));
    auto store = take(tenant::store::open(t.slug, tenant::pool::tenant_dir(c.data_dir, t.slug)));
    const auto started = std::chrono::steady_clock::now();
    const auto segments = take(store->optimize_search_index());
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    if (c.json)
      out.push_back(json::object{{"slug", slug}, {"segments_before", segments}, {"ms", ms}});
    else
      rows.push_back({slug, std::to_string(segments), std::to_string(ms)});
  }
  if (c.json) return print_json(out);
  print_table({"SLUG", "SEGMENTS BEFORE", "MS"}, rows);
}

void tenant_list(context& c) {
  auto tenants = take(c.r().list_tenants());
  json::array out;
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : tenants) {
    auto u = take(c.r().usage(t.slug));
    if (c.json) {
      out.push_back(tenant_json(t, u));
    } else {
      rows.push_back({t.slug, t.name, std::string(to_string(t.state)), human_size(u.size_bytes),
                      join(t.domains)});
    }
  }
  if (c.json) return print_json(out);
  print_table({"SLUG", "NAME", "STATE", "SIZE", "DOMAINS"}, rows);
}

// Turns terminal echo off while a person types a password, and back on at scope exit.
class no_echo {
 public:
  no_echo() {
    if (::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved_) == 0) {
      termios quiet = saved_;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      active_ = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
      std::cerr << "password: " << std::flush;
    }
  }
  ~no_echo() {
    if (active_) {
      ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
      std::cerr << '\n';
    }
  }
  no_echo(const no_echo&) = delete;
  no_echo& operator=(const no_echo&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

// Reads the password: one line from stdin, without its line ending (scripts pipe it in; on a
// terminal it is typed without echo).
std::string read_password_line() {
  std::string pw;
  bool got = false;
  {
    no_echo quiet;
    got = static_cast<bool>(std::getline(std::cin, pw)) || !pw.empty();
  }
  if (!got) throw cli_exit{exit_failed, "--password-stdin: no password on standard input"};
  if (!pw.empty() && pw.back() == '\r') pw.pop_back();
  if (pw.size() < tenant::limits::min_password)
    throw cli_exit{exit_failed, "password too short: at least " +
                                    std::to_string(tenant::limits::min_password) + " characters"};
  if (pw.size() > tenant::limits::max_password)
    throw cli_exit{exit_failed, "password too long: at most " +
                                    std::to_string(tenant::limits::max_password) + " bytes"};
  return pw;
}

struct user_add_args {
  std::string slug, email, name;
  std::vector<std::string> roles, units;
  bool password_stdin = false;
};

void user_add(context& c, const user_add_args& a) {
  auto email = ascii_lower(a.email);
  if (!valid_email(email)) throw cli_exit{exit_failed, "invalid e-mail address '" + a.email + "'"};
  auto t = take(c.r().get_tenant(a.slug));
  tenant::new_user u;
  u.email = email;
  u.name = a.name;
  u.units = a.units;
  u.roles = tenant::bit(tenant::role::employee);
  for (const auto& name : a.roles)
    if (auto r = tenant::parse_role(name)) u.roles |= tenant::bit(*r);
  if (a.password_stdin) {
    // Checked before reading, so an operator is not asked for a password that would be refused.
    auto domain = email_domain(email);
    auto owner = take(c.r().domain_owner(domain));
    // Cluster mode: this registry knows only this node's tenants; Redis knows every node's.
    if (!owner) {
      if (auto* cl = c.cluster()) {
        auto remote = cl->domain_owner(domain);
        if (!remote)
          throw cli_exit{exit_failed, "cannot check who owns " + domain +
                                          " in the cluster (Redis): " + remote.err().message};
        owner = std::move(remote.value());
      }
    }
    if (owner && *owner != t.slug)
      throw cli_exit{exit_failed, "refusing a password: " + domain + " belongs to tenant '" +
                                      *owner + "', so " + email +
                                      " logs in there (add them here without a password)"};
    u.password = read_password_line();
  }
  auto store = c.store(t.slug);
  auto added = take(store->add_user(u));
  if (auto r = c.r().add_membership(email, t.slug); !r)
    throw cli_exit{exit_failed,
                   "user added, but recording the membership failed: " + r.err().message};
  // (sharing feature) membership changes are on the tenant's sharing audit trail.
  (void)store->sharing_record("operator", "membership_added", std::nullopt, "", email);
  // (content2) people changes by the operator are on the tenant's audit trail.
  (void)store->record_admin_audit(
      "operator", "user.create", "user", added.id,
      added.email + ", roles " + join(tenant::role_names(added.roles)) +
          (added.units.empty() ? std::string() : ", units " + join(added.units)) +
          (a.password_stdin ? ", password set" : ""));
  if (c.json) return print_json(user_json(added));
  std::cout << "added " << added.email << " to " << t.slug << " (user " << added.id << ", roles "
            << join(tenant::role_names(added.roles)) << ")\n";
}

void user_list(context& c, const std::string& slug) {
  auto users = take(c.store(slug)->list_users());
  if (c.json) {
    json::array out;
    for (const auto& u : users) out.push_back(user_json(u));
    return print_json(out);
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& u : users)
    rows.push_back({std::to_string(u.id), u.email, u.name, join(tenant::role_names(u.roles)),
                    join(u.units), u.active ? "yes" : "no", u.has_password ? "yes" : "no"});
  print_table({"ID", "EMAIL", "NAME", "ROLES", "UNITS", "ACTIVE", "PASSWORD"}, rows);
}

void unit_list(context& c, const std::string& slug) {
  auto units = take(c.store(slug)->list_units());
  std::map<std::int64_t, std::string> names;
  for (const auto& u : units) names[u.id] = u.name;
  auto parent_name = [&](const tenant::unit& u) -> std::optional<std::string> {
    if (!u.parent_id) return std::nullopt;
    auto it = names.find(*u.parent_id);
    return it == names.end() ? std::nullopt : std::optional(it->second);
  };
  if (c.json) {
    json::array out;
    for (const auto& u : units) {
      json::object o;
      o["id"] = u.id;
      o["name"] = u.name;
      if (auto p = parent_name(u))
        o["parent"] = *p;
      else
        o["parent"] = nullptr;
      out.push_back(std::move(o));
    }
    return print_json(out);
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& u : units)
    rows.push_back({std::to_string(u.id), u.name, parent_name(u).value_or("")});
  print_table({"ID", "NAME", "PARENT"}, rows);
}

// --- Backups (ops feature) ----------------------------------------------------------------

void backup_run(context& c, const std::string& dir) {
  auto m = take(backup::create(c.r(), dir));
  if (c.json) {
    json::array tenants;
    for (const auto& t : m.tenants)
      tenants.push_back(json::object{{"slug", t.slug}, {"size_bytes", t.size_bytes}});
    return print_json(json::object{{"dir", dir},
                                   {"created_at", to_rfc3339(m.created_at_ms)},
                                   {"tenants", std::move(tenants)},
                                   {"partnerships", m.partnerships.size()}});
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : m.tenants) rows.push_back({t.slug, t.state, human_size(t.size_bytes)});
  print_table({"SLUG", "STATE", "SIZE"}, rows);
  std::cout << "backed up " << m.tenants.size() << " tenant(s) and " << m.partnerships.size()
            << " partnership(s) to " << dir << '\n';
}

void restore_run(context& c, const std::string& dir, const std::vector<std::string>& only) {
  auto outcomes = take(backup::restore(c.r(), dir, only));
  auto word = [](backup::restore_outcome::kind k) {
    using kind = backup::restore_outcome::kind;
    return k == kind::restored ? "restored" : k == kind::exists ? "exists" : "failed";
  };
  std::size_t failed = 0;
  json::array out;
  std::vector<std::vector<std::string>> rows;
  for (const auto& o : outcomes) {
    if (o.what == backup::restore_outcome::kind::failed) ++failed;
    if (c.json)
      out.push_back(json::object{{"slug", o.slug}, {"result", word(o.what)}, {"detail", o.detail}});
    else
      rows.push_back({o.slug, word(o.what), o.detail});
  }
  if (c.json)
    print_json(out);
  else
    print_table({"SLUG", "RESULT", "DETAIL"}, rows);
  if (failed)
    throw cli_exit{exit_failed,
                   std::to_string(failed) + " tenant(s) not restored (see the table above)"};
}

// --- Memberships and acceptance policies (sharing feature) --------------------------------

// Ends `email`'s membership in tenant `slug`: the person is deactivated there (kept for the
// authorship of what they wrote) and the registry forgets the membership. At the person's home
// tenant this is deactivation, which ends their sessions and so their access everywhere at once.
void user_remove(context& c, const std::string& slug, const std::string& raw_email) {
  const auto email = ascii_lower(raw_email);
  auto t = take(c.r().get_tenant(slug));
  auto store = c.store(t.slug);
  auto u = take(store->find_user(email));
  take(store->set_active(u.id, false));
  take(c.r().remove_membership(email, t.slug));
  const auto owner = take(c.r().domain_owner(email_domain(email)));
  const bool home = owner && *owner == t.slug;
  (void)store->sharing_record("operator", "membership_removed", std::nullopt, "",
                              email + (home ? " (home tenant: access ended everywhere)" : ""));
  (void)store->record_admin_audit("operator", "user.deactivate", "user", u.id,
                                  email + " removed from the tenant");  // (content2) audit trail
  if (c.json)
    return print_json(
        json::object{{"tenant", t.slug}, {"email", email}, {"removed", true}, {"home", home}});
  std::cout << "removed " << email << " from " << t.slug
            << (home ? " (their home: their sessions end on every tenant)" : "") << '\n';
}

// Cluster mode: how long the CLI waits for another node to record its half of a partnership.
constexpr std::chrono::milliseconds partner_call_timeout{5000};
// The internal path a store node answers to record / remove its half (gateway sharing_link).
constexpr std::string_view partner_link_path = "/internal/v1/sharing/partners/link";
constexpr std::string_view partner_unlink_path = "/internal/v1/sharing/partners/unlink";

// Which of two tenants is registered here: (local, other), or nullopt when both are.
std::optional<std::pair<std::string, std::string>> split_local(context& c, const std::string& a,
                                                               const std::string& b) {
  const bool la = c.r().get_tenant(a).has_value(), lb = c.r().get_tenant(b).has_value();
  if (la && lb) return std::nullopt;
  if (!la && !lb)
    throw cli_exit{exit_failed, "neither " + a + " nor " + b +
                                    " is registered on this node; run this on a node of one of "
                                    "them"};
  if (!c.cluster())
    throw cli_exit{exit_failed, "unknown tenant " + (la ? b : a) + " (single-node mode)"};
  return la ? std::pair{a, b} : std::pair{b, a};
}

// Asks the node owning `other` to add or remove its half of the pair with `local`; the body of
// its answer ({"name"} of `other` when linking). not_found when no node serves `other`.
result<std::string> partner_call(context& c, std::string_view path, const std::string& local,
                                 const std::string& other) {
  auto* cl = c.cluster();
  auto node = cl->owner_of(other);
  if (!node) return node.err();
  if (!*node)
    return error(errc::not_found, "unknown_tenant", "no node serves a tenant '" + other + "'");
  json::object o{{"local", other}, {"remote", local}};
  if (path == partner_link_path) o["remote_name"] = take(c.r().get_tenant(local)).name;
  auto reply = cl->post(**node, path, json::serialize(o), partner_call_timeout);
  if (!reply) return reply.err();
  if (reply->status != 200)
    return error(
        errc::unavailable, "node_refused",
        "node " + **node + " answered " + std::to_string(reply->status) + ": " + reply->body);
  return reply->body;
}

// `partner link` across nodes: the other node records its half first, then this one, so a
// failure leaves at most the other node's half, which a repeated link completes.
partnership link_across(context& c, const std::string& local, const std::string& other) {
  auto body = partner_call(c, partner_link_path, local, other);
  if (!body) throw cli_exit{exit_failed, "cannot link across nodes: " + body.err().message};
  std::string name = other;
  json::error_code ec;
  if (auto v = json::parse(*body, ec); !ec && v.is_object())
    if (auto* n = v.as_object().if_contains("name"); n && n->is_string())
      name = std::string(n->as_string());
  auto half = take(c.r().link_remote(local, other, name));
  return {std::min(local, other), std::max(local, other), half.since_ms};
}

// `partner unlink` across nodes: both halves go; a partner no node serves any more only here.
void unlink_across(context& c, const std::string& local, const std::string& other) {
  auto body = partner_call(c, partner_unlink_path, local, other);
  if (!body && body.err().kind != errc::not_found)
    throw cli_exit{exit_failed, "cannot unlink across nodes: " + body.err().message};
  take(c.r().unlink_remote(local, other));
}

// Sets how `receiver` takes offers from partner `sender`: manual (an editor accepts) or auto.
void partner_policy(context& c, const std::string& receiver, const std::string& sender,
                    const std::string& mode) {
  if (!take(c.r().are_partners(receiver, sender)))
    throw cli_exit{exit_failed, sender + " is not a partner of " + receiver};
  const auto p = mode == "auto" ? tenant::accept_policy::automatic : tenant::accept_policy::manual;
  take(c.store(receiver)->set_accept_policy(sender, p, "operator"));
  if (c.json)
    return print_json(json::object{
        {"receiver", receiver}, {"from", sender}, {"policy", std::string(tenant::to_string(p))}});
  std::cout << receiver << " takes offers from " << sender << ": " << tenant::to_string(p) << '\n';
}

// --- Directory feature: CSV import of an HR export, SCIM settings ----------------------------

// Imports people from an HR export, all or nothing: every problem is listed with its line and
// nothing is applied; otherwise new people get their memberships recorded in the registry.
void user_import(context& c, const std::string& slug, const std::string& file, bool dry_run) {
  auto t = take(c.r().get_tenant(slug));
  std::ifstream in(file, std::ios::binary);
  if (!in) throw cli_exit{exit_failed, "cannot read " + file};
  std::string text;
  {
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  if (text.size() > csv::max_file_bytes)
    throw cli_exit{exit_failed,
                   file + " is larger than " + std::to_string(csv::max_file_bytes >> 20) + " MiB"};
  auto parsed = csv::read_people(text);
  std::vector<tenant::import_problem> problems = std::move(parsed.problems);
  tenant::import_report rep;
  auto store = c.store(t.slug);
  if (problems.empty()) {
    // Checked in the store too (inside the transaction), so rows are validated in one place.
    rep = take(store->import_people(parsed.rows, dry_run));
    problems = rep.problems;
  }
  if (!problems.empty()) {
    std::sort(problems.begin(), problems.end(),
              [](const auto& a, const auto& b) { return a.line < b.line; });
    if (c.json) {
      json::array out;
      for (const auto& p : problems)
        out.push_back(json::object{{"line", p.line}, {"message", p.message}});
      print_json(json::object{{"imported", false}, {"problems", std::move(out)}});
    } else {
      for (const auto& p : problems)
        std::cout << file << ":" << p.line << ": " << p.message << '\n';
    }
    throw cli_exit{exit_failed, std::to_string(problems.size()) + " problem(s) in " + file +
                                    "; nothing was imported"};
  }
  if (!dry_run) {
    for (const auto& row : parsed.rows)
      if (auto r = c.r().add_membership(ascii_lower(row.email), t.slug); !r)
        throw cli_exit{exit_failed,
                       "imported, but recording a membership failed: " + r.err().message};
  }
  if (c.json)
    return print_json(json::object{{"imported", !dry_run},
                                   {"dry_run", dry_run},
                                   {"created", rep.created},
                                   {"updated", rep.updated},
                                   {"unchanged", rep.unchanged}});
  std::cout << (dry_run ? "dry run: would create " : "created ") << rep.created << ", "
            << (dry_run ? "update " : "updated ") << rep.updated << ", unchanged " << rep.unchanged
            << " in " << t.slug << '\n';
}

// Shows or changes how SCIM departments and groups map to units.
void scim_settings(context& c, const std::string& slug, const std::string& create_units,
                   const std::string& groups_as) {
  auto t = take(c.r().get_tenant(slug));
  auto store = c.store(t.slug);
  auto s = take(store->dir_settings());
  if (!create_units.empty()) s.create_units = create_units == "yes";
  if (!groups_as.empty()) s.groups_as_units = groups_as == "units";
  if (!create_units.empty() || !groups_as.empty()) take(store->dir_set_settings(s));
  if (c.json)
    return print_json(json::object{{"slug", t.slug},
                                   {"create_units", s.create_units},
                                   {"groups_as", s.groups_as_units ? "units" : "none"}});
  print_table({}, {{"create_units", s.create_units ? "yes" : "no"},
                   {"groups_as", s.groups_as_units ? "units" : "none"}});
}

std::string default_data_dir() {
  const char* env = std::getenv("SAMVERKA_DATA_DIR");
  return env && *env ? env : "./data";
}

}  // namespace

int run_cli(int argc, char** argv) {
  context c;
  std::string data_dir = default_data_dir();
  std::function<void()> action;

  CLI::App app{
      "samverkactl — operator CLI of Samverka, the multi-tenant municipal intranet.\n"
      "Exit status: 0 success, 1 refused or failed (reason on stderr), 2 usage error.",
      "samverkactl"};
  app.fallthrough();  // global options are accepted after the command too
  app.require_subcommand(1);
  app.add_option("--data-dir", data_dir,
                 "data directory (default: $SAMVERKA_DATA_DIR, else ./data)");
  app.add_flag("--json", c.json, "print machine-readable JSON instead of tables");
  app.add_option("--redis", c.redis_flag,
                 "cluster mode: the cluster's Redis, redis://HOST:PORT[/DB] (default: "
                 "$SAMVERKA_REDIS); needs $SAMVERKA_CLUSTER_KEY. Checks rules that span nodes "
                 "(e.g. e-mail domains owned by a tenant on another node)");
  app.set_version_flag("--version", [] {
    return std::string("samverkactl ") + SAMVERKA_VERSION + " (tenant schema " +
           std::to_string(tenant::current_schema_version()) + ")";
  });

  // tenant ...
  auto* tenant_cmd =
      app.add_subcommand("tenant", "create, inspect, suspend, move and delete tenants");
  tenant_cmd->require_subcommand(1);

  std::string slug, name, out_file, in_file, as_slug;
  std::vector<std::string> domains;
  bool yes = false;

  auto* create = tenant_cmd->add_subcommand("create", "create a new, isolated tenant");
  create->add_option("SLUG", slug, "[a-z][a-z0-9-]{1,39}")->required();
  create->add_option("--name", name, "display name, e.g. \"Eksjö kommun\"")->required();
  create->add_option("--domain", domains,
                     "e-mail domain the tenant owns (its people log in here); repeatable");
  create->callback(
      [&] { action = [&] { print_tenant(c, take(c.r().create_tenant(slug, name, domains))); }; });

  auto* list = tenant_cmd->add_subcommand("list", "list tenants: slug, name, state, size, domains");
  list->callback([&] { action = [&] { tenant_list(c); }; });

  auto* show = tenant_cmd->add_subcommand("show", "one tenant, incl. size and schema version");
  show->add_option("SLUG", slug)->required();
  show->callback([&] { action = [&] { print_tenant(c, take(c.r().get_tenant(slug))); }; });

  auto* suspend = tenant_cmd->add_subcommand(
      "suspend", "answer the tenant's HTTP requests with 503; nothing is lost (idempotent)");
  suspend->add_option("SLUG", slug)->required();
  suspend->callback([&] {
    action = [&] {
      print_tenant(c, take(c.r().suspend(slug)));
      c.touched.insert(slug);
    };
  });

  auto* resume = tenant_cmd->add_subcommand("resume", "serve a suspended tenant again");
  resume->add_option("SLUG", slug)->required();
  resume->callback([&] { action = [&] { print_tenant(c, take(c.r().resume(slug))); }; });

  auto* exp = tenant_cmd->add_subcommand(
      "export",
      "consistent snapshot (database + files) into a tar file (.tar.gz: compressed); "
      "safe while the server runs");
  exp->add_option("SLUG", slug)->required();
  exp->add_option("--out", out_file, "archive to write (replaced if it exists)")->required();
  exp->callback([&] {
    action = [&] {
      auto m = take(c.r().export_tenant(slug, out_file));
      if (c.json) {
        json::object o;
        o["slug"] = m.slug;
        o["name"] = m.name;
        o["domains"] = to_json_array(m.domains);
        o["schema_version"] = m.schema_version;
        o["exported_at"] = to_rfc3339(m.exported_at_ms);
        o["file"] = out_file;
        return print_json(o);
      }
      std::cout << "exported " << m.slug << " to " << out_file << '\n';
    };
  });

  auto* imp = tenant_cmd->add_subcommand(
      "import", "restore an export as a new tenant; domains owned by another tenant are skipped");
  imp->add_option("FILE", in_file)->required();
  imp->add_option("--as", as_slug, "slug for the restored tenant (default: the exported one)");
  imp->callback([&] {
    action = [&] {
      std::optional<std::string_view> as;
      if (!as_slug.empty()) as = as_slug;
      auto r = take(c.r().import_tenant(in_file, as));
      if (c.json) {
        json::object o;
        o["tenant"] = tenant_json(r.tenant, take(c.r().usage(r.tenant.slug)));
        o["skipped_domains"] = to_json_array(r.skipped_domains);
        return print_json(o);
      }
      std::cout << "imported " << in_file << " as " << r.tenant.slug << '\n';
      if (!r.skipped_domains.empty())
        std::cout << "skipped domains owned by other tenants: " << join(r.skipped_domains, ", ")
                  << '\n';
    };
  });

  auto* del = tenant_cmd->add_subcommand("delete", "remove the tenant and all its data (--yes)");
  del->add_option("SLUG", slug)->required();
  del->add_flag("--yes", yes, "confirm: the tenant's database and files are removed for good");
  del->callback([&] {
    if (!yes)
      throw cli_exit{exit_usage, "tenant delete removes tenant '" + slug +
                                     "' and all its data for good; add --yes to confirm"};
    action = [&] {
      take(c.r().delete_tenant(slug));
      c.touched.insert(slug);
      if (c.json) {
        json::object o;
        o["deleted"] = slug;
        return print_json(o);
      }
      std::cout << "deleted " << slug << '\n';
    };
  });

  // unit ...
  auto* unit_cmd = app.add_subcommand("unit", "departments/units of a tenant's org tree");
  unit_cmd->require_subcommand(1);
  std::string parent;
  auto* unit_add = unit_cmd->add_subcommand("add", "add a unit");
  unit_add->add_option("SLUG", slug)->required();
  unit_add->add_option("--name", name, "unit name, unique in the tenant")->required();
  unit_add->add_option("--parent", parent, "name of the parent unit");
  unit_add->callback([&] {
    action = [&] {
      std::optional<std::string_view> p;
      if (!parent.empty()) p = parent;
      auto u = take(c.store(slug)->add_unit(name, p));
      (void)c.store(slug)->record_admin_audit("operator", "unit.create", "unit", u.id,
                                              u.name + (p ? " under " + parent : ""));  // content2
      if (c.json) {
        json::object o;
        o["id"] = u.id;
        o["name"] = u.name;
        if (p)
          o["parent"] = parent;
        else
          o["parent"] = nullptr;
        return print_json(o);
      }
      std::cout << "added unit " << u.name << " to " << slug << (p ? " under " + parent : "")
                << '\n';
    };
  });
  auto* unit_ls = unit_cmd->add_subcommand("list", "list the units of a tenant");
  unit_ls->add_option("SLUG", slug)->required();
  unit_ls->callback([&] { action = [&] { unit_list(c, slug); }; });

  // user ...
  auto* user_cmd = app.add_subcommand("user", "people of a tenant");
  user_cmd->require_subcommand(1);
  user_add_args ua;
  auto* user_add_cmd = user_cmd->add_subcommand(
      "add",
      "add a person; a password (from stdin) only for people whose e-mail domain no other "
      "tenant owns");
  user_add_cmd->add_option("SLUG", ua.slug)->required();
  user_add_cmd->add_option("--email", ua.email, "e-mail address (lower-cased)")->required();
  user_add_cmd->add_option("--name", ua.name, "full name")->required();
  user_add_cmd->add_option("--role", ua.roles, "employee (always held), manager, editor, admin")
      ->check(CLI::IsMember({"employee", "manager", "editor", "admin"}));
  user_add_cmd->add_option("--unit", ua.units, "name of a unit the person belongs to; repeatable");
  user_add_cmd->add_flag("--password-stdin", ua.password_stdin,
                         "read the password (one line) from standard input");
  user_add_cmd->callback([&] { action = [&] { user_add(c, ua); }; });
  auto* user_ls = user_cmd->add_subcommand("list", "list the people of a tenant");
  user_ls->add_option("SLUG", slug)->required();
  user_ls->callback([&] { action = [&] { user_list(c, slug); }; });
  // (sharing feature) user remove: end one tenant's membership; at home, access everywhere.
  std::string remove_email;
  auto* user_rm = user_cmd->add_subcommand(
      "remove",
      "end a person's membership in a tenant (deactivates them there); at their home tenant "
      "this ends their access everywhere at once");
  user_rm->add_option("SLUG", slug)->required();
  user_rm->add_option("--email", remove_email, "e-mail address")->required();
  user_rm->callback([&] { action = [&] { user_remove(c, slug, remove_email); }; });
  // (directory feature) user import: an HR export as CSV, all or nothing.
  user_cmd->alias("users");
  std::string import_csv;
  bool import_dry_run = false;
  auto* user_imp = user_cmd->add_subcommand(
      "import",
      "import people from an HR export (CSV with a header row: email,name,unit,roles,title,phone,"
      "manager_email; unit may be a path \"Parent/Child\"; roles separated by ';'); all or "
      "nothing, idempotent");
  user_imp->add_option("SLUG", slug)->required();
  user_imp->add_option("--csv", import_csv, "the CSV file (UTF-8)")->required();
  user_imp->add_flag("--dry-run", import_dry_run, "check and count, change nothing");
  user_imp->callback([&] { action = [&] { user_import(c, slug, import_csv, import_dry_run); }; });

  // partner ...
  auto* partner_cmd = app.add_subcommand("partner", "partnerships between tenants (symmetric)");
  partner_cmd->require_subcommand(1);
  std::string a, b;
  auto* link = partner_cmd->add_subcommand("link", "make A and B partners (idempotent)");
  link->add_option("A", a)->required();
  link->add_option("B", b)->required();
  link->callback([&] {
    action = [&] {
      auto across = split_local(c, a, b);
      auto p = across ? link_across(c, across->first, across->second) : take(c.r().link(a, b));
      if (c.json) return print_json(partnership_json(p));
      std::cout << "partners: " << p.a << " <-> " << p.b << " since " << to_rfc3339(p.since_ms)
                << '\n';
    };
  });
  auto* unlink = partner_cmd->add_subcommand("unlink", "end the partnership of A and B");
  unlink->add_option("A", a)->required();
  unlink->add_option("B", b)->required();
  unlink->callback([&] {
    action = [&] {
      if (auto across = split_local(c, a, b))
        unlink_across(c, across->first, across->second);
      else
        take(c.r().unlink(a, b));
      if (c.json) {
        json::object o;
        o["a"] = std::min(a, b);
        o["b"] = std::max(a, b);
        o["unlinked"] = true;
        return print_json(o);
      }
      std::cout << "unlinked " << a << " and " << b << '\n';
    };
  });
  auto* plist = partner_cmd->add_subcommand("list", "list partnerships");
  plist->callback([&] {
    action = [&] {
      auto ps = take(c.r().partnerships());
      // Cluster mode: pairs with a tenant another node owns (this node's half of each).
      for (auto& r : take(c.r().remote_partners()))
        ps.push_back({std::min(r.local, r.remote), std::max(r.local, r.remote), r.since_ms});
      std::sort(ps.begin(), ps.end(), [](const auto& l, const auto& r) {
        return std::tie(l.a, l.b) < std::tie(r.a, r.b);
      });
      if (c.json) {
        json::array out;
        for (const auto& p : ps) out.push_back(partnership_json(p));
        return print_json(out);
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& p : ps) rows.push_back({p.a, p.b, to_rfc3339(p.since_ms)});
      print_table({"A", "B", "SINCE"}, rows);
    };
  });

  // (sharing feature) partner policy RECEIVER --from SENDER auto|manual
  std::string policy_from, policy_mode;
  auto* ppolicy = partner_cmd->add_subcommand(
      "policy",
      "whether RECEIVER accepts news offered by partner SENDER automatically (auto) or after an "
      "editor's decision (manual, the default)");
  ppolicy->add_option("RECEIVER", a)->required();
  ppolicy->add_option("--from", policy_from, "the partner offering news")->required();
  ppolicy->add_option("MODE", policy_mode, "auto or manual")
      ->required()
      ->check(CLI::IsMember({"auto", "manual"}));
  ppolicy->callback([&] { action = [&] { partner_policy(c, a, policy_from, policy_mode); }; });

  // migrate
  auto* migrate =
      app.add_subcommand("migrate", "bring every tenant's schema to the current version");
  migrate->callback([&] {
    action = [&] {
      auto done = take(c.r().migrate_all());
      int to = tenant::current_schema_version();
      if (c.json) {
        json::array out;
        for (const auto& [s, from] : done) {
          json::object o;
          o["slug"] = s;
          o["from"] = from;
          o["to"] = to;
          out.push_back(std::move(o));
        }
        return print_json(out);
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& [s, from] : done)
        rows.push_back({s, std::to_string(from), std::to_string(to)});
      print_table({"SLUG", "FROM", "TO"}, rows);
    };
  });

  // search optimize [SLUG...]: one index segment again after bulk loads (schema_search_groups.hpp).
  std::vector<std::string> optimize_slugs;
  auto* search_cmd = app.add_subcommand("search", "the tenants' full-text search indexes");
  search_cmd->require_subcommand(1);
  auto* optimize = search_cmd->add_subcommand(
      "optimize",
      "merge search indexes into one segment after bulk loads (imports, seeding), so searches "
      "read less; every tenant when no SLUG is given; safe while the server runs");
  optimize->add_option("SLUG", optimize_slugs, "tenants (default: all)");
  optimize->callback([&] { action = [&] { search_optimize(c, optimize_slugs); }; });

  // scim token create
  auto* scim_cmd = app.add_subcommand("scim", "SCIM 2.0 provisioning (Entra ID)");
  scim_cmd->require_subcommand(1);
  auto* token_cmd = scim_cmd->add_subcommand("token", "bearer tokens of /scim/v2");
  token_cmd->require_subcommand(1);
  auto* token_create = token_cmd->add_subcommand(
      "create", "print a new bearer token for the tenant's SCIM endpoint (shown once)");
  token_create->add_option("SLUG", slug)->required();
  token_create->callback([&] {
    action = [&] {
      auto token = take(c.r().create_scim_token(slug));
      if (c.json) {
        json::object o;
        o["slug"] = slug;
        o["token"] = token;
        return print_json(o);
      }
      std::cout << token << '\n';
    };
  });
  // (directory feature) scim token list / revoke.
  auto* token_list = token_cmd->add_subcommand(
      "list", "list the tenant's SCIM tokens by id (a prefix of their hash; never the token)");
  token_list->add_option("SLUG", slug)->required();
  token_list->callback([&] {
    action = [&] {
      auto tokens = take(c.r().list_scim_tokens(slug));
      if (c.json) {
        json::array out;
        for (const auto& t : tokens)
          out.push_back(json::object{{"id", t.id}, {"created_at", to_rfc3339(t.created_at_ms)}});
        return print_json(out);
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& t : tokens) rows.push_back({t.id, to_rfc3339(t.created_at_ms)});
      print_table({"ID", "CREATED"}, rows);
    };
  });
  std::string revoke_id;
  auto* token_revoke =
      token_cmd->add_subcommand("revoke", "revoke a SCIM token (by its id from `list`) at once");
  token_revoke->add_option("SLUG", slug)->required();
  token_revoke->add_option("ID", revoke_id)->required();
  token_revoke->callback([&] {
    action = [&] {
      take(c.r().revoke_scim_token(slug, revoke_id));
      if (c.json) return print_json(json::object{{"slug", slug}, {"revoked", revoke_id}});
      std::cout << "revoked SCIM token " << revoke_id << " of " << slug << '\n';
    };
  });
  // (directory feature) scim settings: how departments and SCIM groups map to units.
  std::string scim_create_units, scim_groups_as;
  auto* scim_set = scim_cmd->add_subcommand(
      "settings", "show or change how SCIM departments and groups map to units");
  scim_set->add_option("SLUG", slug)->required();
  scim_set
      ->add_option("--create-units", scim_create_units,
                   "create a unit for an unknown department or group name (default yes)")
      ->check(CLI::IsMember({"yes", "no"}));
  scim_set
      ->add_option("--groups-as", scim_groups_as,
                   "SCIM groups become units (default) or are only stored")
      ->check(CLI::IsMember({"units", "none"}));
  scim_set->callback(
      [&] { action = [&] { scim_settings(c, slug, scim_create_units, scim_groups_as); }; });

  // --- Backups (ops feature): backup / restore of every tenant; see backup.hpp. -------------
  std::string backup_dir;
  std::vector<std::string> restore_only;
  auto* backup_cmd = app.add_subcommand(
      "backup",
      "consistent snapshot of every tenant (one export archive each) and the partnerships into "
      "a new directory with manifest.json; safe while the server runs");
  backup_cmd->add_option("--out", backup_dir, "directory to create (must not exist, or be empty)")
      ->required();
  backup_cmd->callback([&] { action = [&] { backup_run(c, backup_dir); }; });
  auto* restore_cmd = app.add_subcommand(
      "restore",
      "restore the tenants of a backup that are not registered (delete one first to roll it "
      "back), their suspended state and partnerships; works while the server runs");
  restore_cmd->add_option("DIR", backup_dir, "a directory written by `samverkactl backup`")
      ->required();
  restore_cmd->add_option("--tenant", restore_only, "restore only this tenant; repeatable");
  restore_cmd->callback([&] { action = [&] { restore_run(c, backup_dir, restore_only); }; });

  // digest send (social feature): the daily notification e-mails of one tenant.
  auto* digest_cmd = app.add_subcommand("digest", "notification digests by e-mail");
  digest_cmd->require_subcommand(1);
  auto* digest_send = digest_cmd->add_subcommand(
      "send", "e-mail each person their unread notifications, grouped (run daily)");
  smtp_config smtp;
  digest_send->add_option("SLUG", slug)->required();
  digest_send->add_option("--smtp", smtp.url, "relay URL, e.g. smtp://127.0.0.1:25")->required();
  digest_send->add_option("--from", smtp.from, "sender address");
  digest_send->callback([&] {
    action = [&] {
      auto t = take(c.r().get_tenant(slug));
      auto report = take(send_digests(*c.store(t.slug), t.name, smtp));
      if (c.json) {
        json::object o;
        o["slug"] = slug;
        o["sent"] = report.sent;
        o["failed"] = report.failed;
        print_json(o);
      } else {
        std::cout << "sent " << report.sent << " digest(s), " << report.failed << " failed\n";
      }
      if (report.failed > 0) throw cli_exit{exit_failed, "some digests could not be sent"};
    };
  });

  // (oidc feature) idp set / show / remove: cli_idp.cpp.
  add_idp_commands(app, action, data_dir, c.json, [](int code, std::string why) {
    throw cli_exit{code, std::move(why)};
  });
  // (cluster mode) tenant move SLUG --to NODE: cli_move.cpp.
  add_move_command(
      *tenant_cmd, action, [&c] { return c.cluster(); }, c.json,
      [](int code, std::string why) {
        throw cli_exit{code, std::move(why)};
      });

  try {
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
      throw cli_exit{exit_usage, std::string(e.what()) + " (see --help)"};
    }
    c.data_dir = data_dir;
    if (action) action();
    std::cout.flush();
    sync_sessions(c);
    return exit_ok;
  } catch (const cli_exit& e) {
    std::cerr << "samverkactl: " << one_line(e.reason) << std::endl;
    return e.code;
  } catch (const std::exception& e) {
    std::cerr << "samverkactl: internal error: " << one_line(e.what()) << std::endl;
    return exit_failed;
  }
}

}  // namespace samverka::provisioning
