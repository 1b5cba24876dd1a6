// Plain values of one tenant's domain: units, people, roles, audiences and news.
// No I/O here; tenant::store reads and writes them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace samverka::tenant {

// Roles are bits so an audience's roles and a person's roles intersect with one AND.
enum class role : std::uint8_t { employee = 1, manager = 2, editor = 4, admin = 8 };
using role_mask = std::uint8_t;

inline constexpr role_mask bit(role r) noexcept {
  return static_cast<role_mask>(r);
}
inline constexpr bool has(role_mask m, role r) noexcept {
  return (m & bit(r)) != 0;
}

// "employee" -> role::employee; nullopt for anything else (case-sensitive, as in the contract).
std::optional<role> parse_role(std::string_view name) noexcept;
std::string_view to_string(role r) noexcept;
// Names of the roles in `mask`, in the fixed order employee, manager, editor, admin.
std::vector<std::string> role_names(role_mask mask);

struct unit {
  std::int64_t id = 0;
  std::string name;
  std::optional<std::int64_t> parent_id;
};

struct user {
  std::int64_t id = 0;
  std::string email;  // lower-cased
  std::string name;
  role_mask roles = bit(role::employee);  // employee is always held
  std::vector<std::string> units;         // unit names
  bool active = true;
  bool has_password = false;  // false for cross-employed members and directory-only people
};

struct new_user {
  std::string email;
  std::string name;
  role_mask roles = bit(role::employee);
  std::vector<std::string> units;       // names of existing units
  std::optional<std::string> password;  // only for people whose home is this tenant
};

// Who a news item is for. Empty units = every unit; empty roles = every role.
// A unit includes its sub-units.
struct audience {
  std::vector<std::string> units;  // unit names
  std::vector<std::string> roles;  // role names
};

// Provenance of a copy that came from a partner tenant (set by the sharing service).
struct news_source {
  std::string slug;
  std::string name;
  std::int64_t news_id = 0;
};

struct news_item {
  std::int64_t id = 0;
  std::string title;
  std::string summary;
  std::string body;  // sanitised HTML
  std::int64_t published_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::string author_name;
  audience target;
  std::optional<news_source> source;
  // Scheduling: taken off feeds, search and GET by id for readers at this time (nullopt =
  // never). A published_at in the future means scheduled: invisible to readers until then.
  std::optional<std::int64_t> unpublish_at_ms;
  std::vector<std::int64_t> attachments;  // document ids of this tenant, in order
  // A copy from a partner that stopped following its original (unlinked by an editor, the
  // partnership ended, deleted locally): when and why. nullopt while it follows.
  std::optional<std::int64_t> source_unlinked_at_ms;
  std::string source_unlink_reason;
};

struct news_draft {
  std::string title;
  std::string summary;
  std::string body;  // untrusted HTML; the store sanitises it
  audience target;
  // Publication time; default now. Set by imports and seeding of historic news, and by the API's
  // publish_at (a future time schedules the item; readers see it from then on).
  std::optional<std::int64_t> published_at_ms;
  // Scheduling: when the item leaves feeds and search (nullopt = never); after published_at.
  std::optional<std::int64_t> unpublish_at_ms;
  std::vector<std::int64_t> attachments;  // tenant-wide document ids the author may read
};

// Fields absent are left unchanged.
struct news_patch {
  std::optional<std::string> title;
  std::optional<std::string> summary;
  std::optional<std::string> body;
  std::optional<audience> target;
  // Scheduling (outer nullopt = unchanged). publish_at: a future time (re)schedules the item; a
  // past time or a cleared one (inner nullopt) publishes a scheduled item now and leaves a
  // published one as it is (no back-dating). unpublish_at: a time, or cleared (never).
  std::optional<std::optional<std::int64_t>> publish_at_ms, unpublish_at_ms;
  std::optional<std::vector<std::int64_t>> attachments;
};

enum class news_scope {
  mine,  // what the caller's audience (units incl. ancestors' targeting, roles) sees
  all,   // every department's news whose role targeting admits the caller
};

struct news_page {
  std::vector<news_item> items;
  std::optional<std::string> next_cursor;  // opaque; nullopt on the last page
};

// The caller as this tenant knows them: resolved once per request by the gateway and passed to
// every store call that depends on who asks.
struct viewer {
  std::int64_t user_id = 0;
  std::string email;
  std::string name;
  role_mask roles = bit(role::employee);
  std::vector<std::int64_t> unit_ids;  // the person's units
  std::vector<std::int64_t> reach;     // their units and every ancestor (audience matching)
};

// A session as stored by the person's home tenant.
struct session_info {
  std::int64_t user_id = 0;
  std::string email;
  std::int64_t expires_at_ms = 0;
};

// A revoked session as cluster mode tells Redis of it: its hash and its revocation number.
struct revoked_session {
  std::string token_hash;
  std::int64_t seq = 0;
};

}  // namespace samverka::tenant
