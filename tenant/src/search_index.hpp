// Private to samverka_tenant: writing the search index from content.cpp inside its write
// transactions (news and people are indexed by triggers; see schema_search.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
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

// PDF text (search_pdf.cpp). Pages read from one PDF: reports and plans put their substance up
// front, and it bounds the time one upload spends in the parser.
inline constexpr int max_pdf_pages = 200;
// Text kept from one PDF, the same bound as a plain-text upload (index space).
inline constexpr std::size_t max_pdf_text_bytes = 1024 * 1024;
// Plain UTF-8 text of the PDF `file` (bounded as above), or nullopt if it is not a readable PDF
// or has no text. Never throws; call it outside write transactions.
std::optional<std::string> pdf_text(const std::filesystem::path& file);

}  // namespace samverka::tenant::detail
