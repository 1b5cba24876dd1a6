// Values of the tenant's full-text search (store::search). No I/O here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace samverka::tenant {

// Kinds of items search covers; their names are the API's `type` values.
enum class search_kind { news, page, document, person, guide, group };

// "news" -> search_kind::news; nullopt for anything else.
std::optional<search_kind> parse_search_kind(std::string_view name) noexcept;
std::string_view to_string(search_kind k) noexcept;

struct search_query {
  std::string text;                 // what the person typed; any characters are safe
  std::optional<search_kind> kind;  // only this kind
  bool prefix = false;              // type-ahead: the last word also matches as a prefix
  std::size_t limit = 20;           // clamped to 1..limits::max_search_results
};

struct search_hit {
  search_kind kind = search_kind::news;
  std::int64_t id = 0;
  std::string title;
  // HTML-escaped text around the matches, each match wrapped in <mark>...</mark>.
  std::string snippet;
  std::int64_t fresh_at_ms = 0;  // publication or last edit
  double score = 0;              // lower is better (bm25 weighted by freshness)
};

}  // namespace samverka::tenant
