// Values of the list endpoints for documents and guides (keyset pages, newest updated first).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "samverka/tenant/content.hpp"

namespace samverka::tenant {

namespace content2_limits {
// Page size of document and guide lists when the caller names none; a screenful.
inline constexpr std::size_t default_list = 20;
// Largest page: bounds the work of one request (each item is one small read).
inline constexpr std::size_t max_list = 100;
// Longest title filter (?q=); titles are at most limits::max_title characters anyway.
inline constexpr std::size_t max_title_filter = 200;
// Attachments per news item, post or comment: a message, not a file archive.
inline constexpr std::size_t max_attachments = 20;
}  // namespace content2_limits

// One page request of a list: `limit` 0 means default_list; `cursor` from a previous page;
// `q` filters by a case-insensitive substring of the title.
struct list_request {
  std::size_t limit = 0;
  std::optional<std::string> cursor;
  std::optional<std::string> q;
};

// Documents without their version history (versions holds only the current version).
struct document_list {
  std::vector<document> items;
  std::optional<std::string> next_cursor;  // opaque "<updated_at_ms>.<id>"; nullopt at the end
};

struct guide_summary {
  std::int64_t id = 0;
  std::string title;
  std::string summary;
  std::string author_name;
  std::int64_t updated_at_ms = 0;
  std::size_t step_count = 0;
};

struct guide_list {
  std::vector<guide_summary> items;
  std::optional<std::string> next_cursor;
};

}  // namespace samverka::tenant
