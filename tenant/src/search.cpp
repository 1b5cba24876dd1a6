// Full-text search of one tenant (store::search) and the index writers content.cpp uses.
//
// Design notes:
//  1. The index holds text; permissions come from the items' own rows at query time (see
//     schema_search.hpp), in the same read transaction that ranks, and are checked before a
//     candidate becomes a hit, so a result the caller may not read is never produced - not as a
//     hit, not as a snippet, not as a count.
//  2. News follows GET /news/{id}: readable if its role targeting admits the caller (or the caller
//     is an editor or admin), published, and not unpublished yet. People: active. Pages: live and
//     within their schedule. Guides and documents: every member. Groups: department and open
//     groups every member, closed groups their members only (the social feature's rule).
//  3. Ranking: samverka_rank (a saturating count of the caller's words with the title weighted
//     over body and extra; search_text.hpp), multiplied by a freshness boost of
//     1 + h / (h + age_days) (h = limits::freshness_half_life_days), so among equally good
//     matches the newer wins while relevance still dominates. Phases: rank candidates, check
//     permissions best first until a page is full, then cut snippets for those hits only.
//  4. Snippets are cut around the caller's words by search_text::highlighter (same word rule,
//     folding and stemming as the index) from the hit's stored text read by rowid; the text is
//     HTML-escaped and only the highlighter adds <mark>...</mark>: nothing the author wrote can
//     inject HTML. FTS5's snippet() needed a MATCH per hit, ~100 us each on a large index.
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

// Matches considered per query (the newest ones), and title matches considered besides them.
// Each candidate costs a rank, a search_docs lookup and a permission lookup (~3 us together,
// measured); these windows keep a query for a word found in most of a large tenant's items near
// a millisecond while leaving a first page of 20 plenty to choose from after the permission
// filter. (They replace limits::max_search_candidates / max_title_candidates, 2,000 / 500,
// which made such a query cost ~7 ms of CPU.)
constexpr std::size_t candidate_window = 250;
constexpr std::size_t title_candidate_window = 60;

// Phase 1: candidates, ranked with freshness, best first; then (phase 1b) the permission check
// on them in that order until a page is full, in the same read transaction.
// Candidates are the newest candidate_window matches (FTS5 walks its doclists in rowid order
// and stops at the limit; search_docs ids grow with every (re)index, so rowid order is recency
// of the text) plus the newest title_candidate_window matches in titles, so an old but exactly
// titled page still competes. samverka_rank (search_text.hpp) is computed for candidates only
// and, unlike bm25(), costs nothing per query: bm25 walks every match of every phrase to count
// document frequencies before ranking the first row (~70,000 entries for a common word).
// ?1 MATCH (all text columns), ?9 MATCH (titles), ?3 now, ?6 half-life days, ?8 / ?10 candidate
// windows.
// Cost note: a query costs O(candidates) plus one permission lookup per result. The price: for
// a word in more than ?8 items, older body-only matches are not considered - acceptable for an
// intranet, where recent content is what people look for. A candidate the caller may not read
// uses up a slot; per-audience indexes are the road not taken.
constexpr std::string_view search_sql =
    "WITH cand AS (SELECT rid, max(r) AS r FROM ("
    "  SELECT * FROM (SELECT rowid AS rid, samverka_rank(search_fts) AS r"
    "   FROM search_fts WHERE search_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?8)"
    "  UNION ALL"
    "  SELECT * FROM (SELECT rowid AS rid, samverka_rank(search_fts) AS r"
    "   FROM search_fts WHERE search_fts MATCH ?9 ORDER BY rowid DESC LIMIT ?10)"
    " ) GROUP BY rid)"
    " SELECT d.id, d.kind, d.item_id, d.fresh_at,"
    "  cand.r * (1.0 + ?6 / (?6 + max(0, ?3 - d.fresh_at) / 86400000.0)) AS score"
    " FROM cand JOIN search_docs d ON d.id = cand.rid"
    " ORDER BY score DESC, d.id DESC";

// Phase 1b: whether the caller may read one candidate (?1 kind, ?2 item id, ?3 now, ?4 viewer
// roles, ?5 may_edit, ?6 viewer user id). Asked for the best-scored candidates in order until a
// page is full, so a query costs one permission lookup per result rather than per candidate.
constexpr std::string_view visible_sql =
    "SELECT CASE ?1"
    "   WHEN 'news' THEN EXISTS (SELECT 1 FROM news n WHERE n.id = ?2 AND n.deleted = 0"
    "     AND n.published_at <= ?3 AND (n.unpublish_at IS NULL OR n.unpublish_at > ?3)"
    "     AND (?5 OR n.roles_mask = 0 OR (n.roles_mask & ?4) != 0))"
    "   WHEN 'person' THEN EXISTS (SELECT 1 FROM users u WHERE u.id = ?2 AND u.active = 1)"
    "   WHEN 'page' THEN EXISTS (SELECT 1 FROM pages p WHERE p.id = ?2 AND p.deleted = 0"
    "     AND p.live = 1 AND (p.publish_at IS NULL OR p.publish_at <= ?3)"
    "     AND (p.unpublish_at IS NULL OR p.unpublish_at > ?3))"
    "   WHEN 'guide' THEN EXISTS (SELECT 1 FROM guides g WHERE g.id = ?2 AND g.deleted = 0)"
    "   WHEN 'document' THEN EXISTS (SELECT 1 FROM documents x WHERE x.id = ?2"
    "     AND x.deleted = 0)"
    "   WHEN 'group' THEN EXISTS (SELECT 1 FROM social_groups sg WHERE sg.id = ?2"
    "     AND sg.deleted = 0 AND (sg.kind != 2 OR EXISTS (SELECT 1 FROM group_members m"
    "     WHERE m.user_id = ?6 AND m.group_id = sg.id)))"
    "   ELSE 0 END";

// Phase 2, for the few hits only: the item's text by rowid (no MATCH), cut into a snippet around
// the caller's words by search_text::highlighter.
constexpr std::string_view hit_text_sql =
    "SELECT title, body, extra FROM search_fts WHERE rowid = ?1";

// Words in a snippet (as FTS5's snippet() was asked for before).
constexpr std::size_t snippet_words = 14;

// The snippet of a hit: around the caller's words in the body, else in the extra text, else in
// the title; an item that matched only by type-ahead elsewhere shows the start of its body.
std::string hit_snippet(const search_text::highlighter& h, std::string_view title,
                        std::string_view body, std::string_view extra) {
  for (const auto text : {body, extra, title})
    if (auto s = h.snippet(text, snippet_words)) return std::move(*s);
  return search_text::highlighter::lead(body, snippet_words);
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

namespace {
// Index pages one step of the merge writes: a step is one short write transaction, so the
// server's writers to the tenant wait milliseconds, not the seconds a whole 'optimize' of a large
// index holds the write lock (its busy timeout would fail them).
constexpr int search_merge_pages = 500;
// A bound on the steps (a large index needs hundreds; this only guards against a loop).
constexpr int max_search_merge_steps = 1'000'000;
}  // namespace

result<std::int64_t> store::optimize_search_index() {
  return p_->guarded("optimize search index", [&]() -> result<std::int64_t> {
    auto c = p_->borrow();
    std::int64_t segments = 0;
    {
      auto& st = c->cached("SELECT count(DISTINCT segid) FROM search_fts_idx");
      segments = st.step() ? st.int64(0) : 0;
      st.reset();
    }
    if (segments <= 1) return segments;
    // FTS5's incremental optimize: 'merge' with a negative page count starts it, positive ones
    // continue it; a step that changes fewer than two rows found nothing left to merge.
    const auto step = [&](int pages) {
      db::write_txn tx(*c);
      auto& changes = c->cached("SELECT total_changes()");
      changes.step();
      const auto before = changes.int64(0);
      changes.reset();
      c->cached("INSERT INTO search_fts(search_fts, rank) VALUES ('merge', ?1)")
          .bind(1, static_cast<std::int64_t>(pages))
          .run();
      changes.step();
      const auto after = changes.int64(0);
      changes.reset();
      tx.commit();
      return after - before;
    };
    step(-search_merge_pages);
    for (int i = 0; i < max_search_merge_steps && step(search_merge_pages) >= 2; ++i) {
    }
    return segments;
  });
}

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
    const std::int64_t now = now_ms();
    auto& st = c->cached(search_sql);
    st.bind(1, full);
    st.bind(3, now);
    st.bind(6, limits::freshness_half_life_days);
    st.bind(8, static_cast<std::int64_t>(candidate_window));
    st.bind(9, titles);
    st.bind(10, static_cast<std::int64_t>(title_candidate_window));
    auto& vis = c->cached(visible_sql);
    std::vector<std::pair<std::int64_t, search_hit>> found;
    while (found.size() < limit && st.step()) {
      search_hit h;
      const std::string kind = st.text(1);
      h.kind = parse_search_kind(kind).value_or(search_kind::news);
      h.id = st.int64(2);
      vis.reset();
      vis.bind_all(kind, h.id, now, roles, static_cast<std::int64_t>(may_edit(who)), who.user_id);
      if (!vis.step() || vis.int64(0) == 0) continue;  // not for this caller: no hit at all
      h.fresh_at_ms = st.int64(3);
      h.score = st.is_null(4) ? 0.0 : st.real(4);
      found.emplace_back(st.int64(0), std::move(h));
    }
    vis.reset();
    st.reset();
    std::vector<search_hit> out;
    const search_text::highlighter marks(q.text, q.prefix);
    auto& tx_st = c->cached(hit_text_sql);
    for (auto& [row, h] : found) {
      tx_st.reset();
      tx_st.bind(1, row);
      if (!tx_st.step()) continue;
      h.title = tx_st.text(0);
      h.snippet = hit_snippet(marks, h.title, tx_st.text(1), tx_st.text(2));
      out.push_back(std::move(h));
    }
    tx_st.reset();
    return out;
  });
}

}  // namespace samverka::tenant
