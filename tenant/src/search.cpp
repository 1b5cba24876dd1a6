// Full-text search of one tenant (store::search) and the index writers content.cpp uses.
//
// Design notes:
//  1. The index holds text; permissions come from the items' own rows at query time (see
//     schema_search.hpp), in the same statement that ranks, so a result the caller may not read
//     is never produced - not as a hit, not as a snippet, not as a count.
//  2. News follows GET /news/{id}: readable if its role targeting admits the caller (or the caller
//     is an editor or admin), published, and not unpublished yet. People: active. Pages: live and
//     within their schedule. Guides and documents: every member.
//  3. Ranking: bm25 with the title weighted over body and extra, multiplied by a freshness boost
//     of 1 + h / (h + age_days) (h = limits::freshness_half_life_days), so among equally good
//     matches the newer wins while relevance still dominates. Two phases: rank and filter ids
//     first, then cut snippets for the few hits only (a snippet costs far more than a rank).
//  4. Snippets are cut by FTS5 around the matches with control-character markers, then HTML
//     escaped, then the markers become <mark>...</mark>: nothing the author wrote can inject HTML.
#include <cmath>

#include "content_audit.hpp"
#include "samverka/tenant/content_limits.hpp"
#include "samverka/tenant/sanitize.hpp"
#include "search_index.hpp"
#include "search_text.hpp"
#include "store_impl.hpp"

namespace samverka::tenant {

using namespace detail;

namespace {

constexpr std::string_view kind_names[] = {"news", "page", "document", "person", "guide", "group"};

// Markers FTS5 puts around matches in snippets; plain text never holds control characters.
constexpr char mark_open = '\x02';
constexpr char mark_close = '\x03';

// Phase 1: candidates, then the permission filter, ranking and freshness on those only.
// Candidates are the newest max_search_candidates matches (FTS5 walks its doclists in rowid
// order and stops at the limit; search_docs ids grow with every (re)index, so rowid order is
// recency of the text) plus the newest max_title_candidates matches in titles, so an old but
// exactly titled page still competes. bm25 is computed for candidates only.
// ?1 MATCH (all text columns), ?9 MATCH (titles), ?3 now, ?4 viewer roles, ?5 may_edit,
// ?6 half-life days, ?7 limit, ?8 / ?10 candidate limits.
// Cost note: without the cap a word found in most of a large tenant's items costs one bm25 per
// match (~40 ms for 70,000 matches); with it a query costs O(candidates). The price: for a word
// in more than ?8 items, older body-only matches are not considered - acceptable for an
// intranet, where recent content is what people look for. A candidate the caller may not read
// uses up a slot; per-audience indexes are the road not taken.
constexpr std::string_view search_sql =
    "WITH cand AS (SELECT rid, min(r) AS r FROM ("
    "  SELECT * FROM (SELECT rowid AS rid, bm25(search_fts, 8.0, 1.0, 2.0, 0.0) AS r"
    "   FROM search_fts WHERE search_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?8)"
    "  UNION ALL"
    "  SELECT * FROM (SELECT rowid AS rid, bm25(search_fts, 8.0, 1.0, 2.0, 0.0) AS r"
    "   FROM search_fts WHERE search_fts MATCH ?9 ORDER BY rowid DESC LIMIT ?10)"
    " ) GROUP BY rid)"
    " SELECT d.id, d.kind, d.item_id, d.fresh_at,"
    "  cand.r * (1.0 + ?6 / (?6 + max(0, ?3 - d.fresh_at) / 86400000.0)) AS score"
    " FROM cand JOIN search_docs d ON d.id = cand.rid"
    " WHERE CASE d.kind"
    "   WHEN 'news' THEN EXISTS (SELECT 1 FROM news n WHERE n.id = d.item_id AND n.deleted = 0"
    "     AND n.published_at <= ?3 AND (n.unpublish_at IS NULL OR n.unpublish_at > ?3)"
    "     AND (?5 OR n.roles_mask = 0 OR (n.roles_mask & ?4) != 0))"
    "   WHEN 'person' THEN EXISTS (SELECT 1 FROM users u WHERE u.id = d.item_id AND u.active = 1)"
    "   WHEN 'page' THEN EXISTS (SELECT 1 FROM pages p WHERE p.id = d.item_id AND p.deleted = 0"
    "     AND p.live = 1 AND (p.publish_at IS NULL OR p.publish_at <= ?3)"
    "     AND (p.unpublish_at IS NULL OR p.unpublish_at > ?3))"
    "   WHEN 'guide' THEN EXISTS (SELECT 1 FROM guides g WHERE g.id = d.item_id AND g.deleted = 0)"
    "   WHEN 'document' THEN EXISTS (SELECT 1 FROM documents x WHERE x.id = d.item_id"
    "     AND x.deleted = 0)"
    "   ELSE 0 END"
    " ORDER BY score, d.id DESC LIMIT ?7";

// Phase 2, for the few hits only: the title and a snippet around the caller's words (the type
// filter is left out of ?1 so the kind column never shows up as a match).
constexpr std::string_view snippet_sql =
    "SELECT title, snippet(search_fts, -1, char(2), char(3), '…', 14) FROM search_fts"
    " WHERE search_fts MATCH ?1 AND rowid = ?2";

// HTML-escapes a snippet and turns the match markers into <mark> elements.
std::string render_snippet(std::string_view raw) {
  std::string out;
  out.reserve(raw.size() + 32);
  std::size_t from = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != mark_open && raw[i] != mark_close) continue;
    append_html_escaped(out, raw.substr(from, i - from));
    out += raw[i] == mark_open ? "<mark>" : "</mark>";
    from = i + 1;
  }
  append_html_escaped(out, raw.substr(from));
  return out;
}

}  // namespace

std::optional<search_kind> parse_search_kind(std::string_view name) noexcept {
  for (std::size_t i = 0; i < std::size(kind_names); ++i)
    if (kind_names[i] == name) return static_cast<search_kind>(i);
  return std::nullopt;
}

std::string_view to_string(search_kind k) noexcept {
  return kind_names[static_cast<std::size_t>(k)];
}

namespace detail {

void index_drop(db::connection& c, std::string_view kind, std::int64_t id) {
  c.cached(
       "DELETE FROM search_fts WHERE rowid ="
       " (SELECT id FROM search_docs WHERE kind = ?1 AND item_id = ?2)")
      .bind_all(kind, id)
      .run();
  c.cached("DELETE FROM search_docs WHERE kind = ?1 AND item_id = ?2").bind_all(kind, id).run();
}

void index_put(db::connection& c, std::string_view kind, std::int64_t id, std::int64_t fresh_at,
               std::string_view title, std::string_view body, std::string_view extra) {
  index_drop(c, kind, id);
  c.cached("INSERT INTO search_docs(kind, item_id, fresh_at) VALUES (?1, ?2, ?3)")
      .bind_all(kind, id, fresh_at)
      .run();
  const auto row = c.last_insert_rowid();
  c.cached("INSERT INTO search_fts(rowid, title, body, extra, kind) VALUES (?1, ?2, ?3, ?4, ?5)")
      .bind_all(row, title, body, extra, kind)
      .run();
}

void index_person_extra(db::connection& c, std::int64_t user_id, std::string_view extra) {
  c.cached(
       "UPDATE search_fts SET extra = ?1 WHERE rowid ="
       " (SELECT id FROM search_docs WHERE kind = 'person' AND item_id = ?2)")
      .bind_all(extra, user_id)
      .run();
}

}  // namespace detail

result<std::vector<search_hit>> store::search(const viewer& who, const search_query& q) {
  if (q.text.size() > limits::max_search_query)
    return error(
        errc::invalid_input, "query_too_long",
        "the search text is longer than " + std::to_string(limits::max_search_query) + " bytes");
  const std::string match = search_text::match_expression(q.text, q.prefix);
  if (match.empty()) return std::vector<search_hit>{};  // only punctuation: nothing to find
  const std::size_t limit = std::clamp<std::size_t>(
      q.limit == 0 ? limits::default_search_results : q.limit, 1, limits::max_search_results);
  const auto roles = static_cast<std::int64_t>(who.roles | bit(role::employee));
  // The caller's words match the text columns only; a type filter matches the kind column.
  const std::string words = "{title body extra} : (" + match + ")";
  std::string full = words;
  std::string titles = "{title} : (" + match + ")";
  if (q.kind) {
    const std::string kind = "kind : \"" + std::string(to_string(*q.kind)) + "\" AND ";
    full = kind + full;
    titles = kind + titles;
  }
  return p_->guarded("search", [&]() -> result<std::vector<search_hit>> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto& st = c->cached(search_sql);
    st.bind(1, full);
    st.bind(3, now_ms());
    st.bind(4, roles);
    st.bind(5, static_cast<std::int64_t>(may_edit(who)));
    st.bind(6, limits::freshness_half_life_days);
    st.bind(7, static_cast<std::int64_t>(limit));
    st.bind(8, static_cast<std::int64_t>(limits::max_search_candidates));
    st.bind(9, titles);
    st.bind(10, static_cast<std::int64_t>(limits::max_title_candidates));
    std::vector<std::pair<std::int64_t, search_hit>> found;
    while (st.step()) {
      search_hit h;
      h.kind = parse_search_kind(st.text(1)).value_or(search_kind::news);
      h.id = st.int64(2);
      h.fresh_at_ms = st.int64(3);
      h.score = st.is_null(4) ? 0.0 : st.real(4);
      found.emplace_back(st.int64(0), std::move(h));
    }
    st.reset();
    std::vector<search_hit> out;
    auto& sn = c->cached(snippet_sql);
    for (auto& [row, h] : found) {
      sn.reset();
      sn.bind_all(words, row);
      if (!sn.step()) continue;
      h.title = sn.text(0);
      h.snippet = render_snippet(sn.text(1));
      out.push_back(std::move(h));
    }
    return out;
  });
}

}  // namespace samverka::tenant
