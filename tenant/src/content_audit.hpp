// Private to samverka_tenant: the audit trail's one write path. Every store method that changes
// content calls record_audit() inside its write transaction, so an entry exists exactly when the
// change committed (content feature; see schema_content.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "samverka/core/clock.hpp"
#include "samverka/db/sqlite.hpp"
#include "samverka/tenant/model.hpp"

namespace samverka::tenant::detail {

// Longest detail text kept per entry; the item itself holds the full text.
inline constexpr std::size_t max_audit_detail = 300;

// The principal of a change made outside the HTTP API: "operator" (samverkactl, CSV import) or
// "scim" (the directory); recorded as the actor with no user id.
inline viewer audit_actor(std::string_view name) {
  viewer v;
  v.email = std::string(name);
  return v;
}

// Appends "who did `action` to (`item_type`, `item_id`)" with a short `detail` (e.g. a title).
inline void record_audit(db::connection& c, const viewer& who, std::string_view action,
                         std::string_view item_type, std::int64_t item_id,
                         std::string_view detail = {}) {
  std::optional<std::int64_t> actor;
  if (who.user_id > 0) actor = who.user_id;
  if (detail.size() > max_audit_detail) {
    std::size_t n = max_audit_detail;
    while (n > 0 && (static_cast<unsigned char>(detail[n]) & 0xc0) == 0x80) --n;
    detail = detail.substr(0, n);
  }
  c.cached(
       "INSERT INTO audit_log(at, actor_id, actor_email, action, item_type, item_id, detail)"
       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
      .bind_all(now_ms(), actor, who.email, std::string(action), std::string(item_type), item_id,
                std::string(detail))
      .run();
}

}  // namespace samverka::tenant::detail
