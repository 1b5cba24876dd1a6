// Private to samverka_tenant: writing the search index from content.cpp inside its write
// transactions (news and people are indexed by triggers; see schema_search.hpp).
#pragma once

#include <cstdint>
#include <string_view>

#include "samverka/db/sqlite.hpp"

namespace samverka::tenant::detail {

// Puts (or replaces) the indexed text of item (`kind`, `id`). `body` is plain text.
void index_put(db::connection& c, std::string_view kind, std::int64_t id, std::int64_t fresh_at,
               std::string_view title, std::string_view body, std::string_view extra);
// Removes an item from the index (no-op if absent).
void index_drop(db::connection& c, std::string_view kind, std::int64_t id);
// Sets the "extra" text of a person (profile title, skills, about).
void index_person_extra(db::connection& c, std::int64_t user_id, std::string_view extra);

}  // namespace samverka::tenant::detail
