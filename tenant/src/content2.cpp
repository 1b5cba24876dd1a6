// Second content round: document and guide lists, document scopes (a closed group's files, the
// files of a partner's copy), attachments on news and posts, the files that travel with shared
// news, audit lines for changes made outside the HTTP API, and the digest timer's day record
// (schema_content2.hpp).
//
// Design notes:
//  1. Document visibility is decided from the document's own row at read time, like search:
//     a tenant-wide document is every member's; a group's file follows the group (a closed
//     group's file is not_found to non-members, as everything of a closed group is); a copy's
//     file follows the copy's local news item (role targeting, as GET /news/{id}), and editors
//     read it always (they see the inbox, whose bodies show the copy's images).
//  2. Scoped documents are never put in the search index, so search cannot reveal them; they are
//     found through their post or news item.
//  3. Shared files: the source lists the documents a revision references (files_for_share); the
//     relay copies the bytes by SHA-256 into the receiver's files/ (receive_shared_file) before
//     it applies the delivery; sharing_apply then makes the receiver's own documents for them
//     (import_copy_files, one per source document per copy, a new version when the bytes change)
//     and rewrites the body's document URLs and the attachment ids to its own. References that
//     cannot be carried (another tenant's, a group's or a deleted document) are emptied, so a
//     copy never points at the source, which is behind a login anyway.
//  4. A copy's files take the receiver's quota only while the copy is live for its readers
//     (accepted, or unlinked and kept): a pending offer's are left out of the quota sum until it
//     is accepted (acceptance checks the quota), and a declined or withdrawn copy's documents are
//     removed in that same transaction (later deliveries to it import none). The bytes stay in
//     files/ (content-addressed, maybe shared; no sweep yet) but no document counts them.
#include <algorithm>
#include <fstream>

#include "content2_impl.hpp"
#include "content_audit.hpp"
#include "store_impl.hpp"

namespace samverka::tenant {

using namespace detail;

namespace {

namespace cl = content2_limits;

constexpr std::int64_t closed_kind = static_cast<std::int64_t>(group_kind::closed);

// The visibility predicate of design note 1 over documents `d`; ?1 viewer id, ?2 editor (0/1),
// ?3 the viewer's roles.
#define SAMVERKA_DOC_VISIBLE                                                              \
  " (d.group_id IS NULL OR EXISTS (SELECT 1 FROM social_groups g WHERE g.id = d.group_id" \
  "   AND g.deleted = 0 AND (g.kind <> 2 OR EXISTS (SELECT 1 FROM group_members m"        \
  "   WHERE m.group_id = g.id AND m.user_id = ?1))))"                                     \
  " AND (d.copy_id IS NULL OR ?2 OR EXISTS (SELECT 1 FROM sharing_copies k JOIN news n"   \
  "   ON n.id = k.news_id WHERE k.id = d.copy_id AND n.deleted = 0"                       \
  "   AND (n.roles_mask = 0 OR (n.roles_mask & ?3) <> 0)))"

static_assert(closed_kind == 2, "SAMVERKA_DOC_VISIBLE spells the closed kind as 2");

std::int64_t roles_of(const viewer& who) {
  return static_cast<std::int64_t>(who.roles | bit(role::employee));
}

error invalid_cursor() {
  return error(errc::invalid_input, "invalid_cursor", "malformed list cursor");
}

struct page_bounds {
  std::int64_t at = std::numeric_limits<std::int64_t>::max();
  std::int64_t id = std::numeric_limits<std::int64_t>::max();
  std::size_t limit = cl::default_list;
  std::optional<std::string> q;
};

result<page_bounds> bounds_of(const list_request& r) {
  page_bounds b;
  if (r.cursor) {
    auto parsed = parse_cursor(*r.cursor);
    if (!parsed) return invalid_cursor();
    std::tie(b.at, b.id) = *parsed;
  }
  b.limit = r.limit == 0 ? cl::default_list : std::min(r.limit, cl::max_list);
  if (r.q && !trim(*r.q).empty()) {
    auto q = plain_text(*r.q, "q", cl::max_title_filter, true, false);
    if (!q) return q.err();
    b.q = std::move(*q);
  }
  return b;
}

std::string cursor_of(std::int64_t at, std::int64_t id) {
  return std::to_string(at) + "." + std::to_string(id);
}

bool valid_sha256(std::string_view s) {
  if (s.size() != 64) return false;
  for (char ch : s)
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return false;
  return true;
}

// A document reference in an attribute value: "[scheme://host][/t/SLUG]/api/v1/documents/ID
// [/content][?...][#...]". Returns the id and the slug named ("" when none).
struct doc_ref {
  std::int64_t id = 0;
  std::string slug;
};

std::optional<doc_ref> parse_doc_ref(std::string_view url) {
  if (url.starts_with("http://") || url.starts_with("https://") || url.starts_with("//")) {
    const auto scheme_end = url.find("//");
    const auto path = url.find('/', scheme_end + 2);
    if (path == std::string_view::npos) return std::nullopt;
    url.remove_prefix(path);
  }
  doc_ref r;
  if (url.starts_with("/t/")) {
    url.remove_prefix(3);
    const auto slash = url.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    r.slug = std::string(url.substr(0, slash));
    url.remove_prefix(slash);
  }
  constexpr std::string_view prefix = "/api/v1/documents/";
  if (!url.starts_with(prefix)) return std::nullopt;
  url.remove_prefix(prefix.size());
  std::size_t n = 0;
  while (n < url.size() && url[n] >= '0' && url[n] <= '9') ++n;
  auto id = parse_nonnegative(url.substr(0, n));
  if (!id || *id <= 0) return std::nullopt;
  r.id = *id;
  url.remove_prefix(n);
  if (url.starts_with("/content")) url.remove_prefix(8);
  if (!url.empty() && url.front() != '?' && url.front() != '#') return std::nullopt;
  return r;
}

// The src/href attribute values of sanitised HTML (the sanitiser always quotes with "), found by
// a plain scan: std::regex recurses once per character of a value and overflows the stack on a
// long one (a 100 KB href crashes the process), and bodies are up to limits::max_body.

// Next `name` at or after `from` that starts a word (the character before it is not a letter,
// digit or '_'), or npos.
std::size_t next_attribute(std::string_view html, std::string_view name, std::size_t from) {
  for (auto p = html.find(name, from); p != std::string_view::npos; p = html.find(name, p + 1)) {
    const char before = p == 0 ? ' ' : html[p - 1];
    const bool word = (before >= 'a' && before <= 'z') || (before >= 'A' && before <= 'Z') ||
                      (before >= '0' && before <= '9') || before == '_';
    if (!word) return p;
  }
  return std::string_view::npos;
}

// Calls `f(value)` for each URL attribute value; `f` returns a replacement or nullopt (keep).
template <class F>
std::string rewrite_urls(std::string_view html, F&& f) {
  constexpr std::string_view src = "src=\"", href = "href=\"";
  std::string out;
  out.reserve(html.size());
  std::size_t last = 0, pos = 0;
  std::size_t next_src = next_attribute(html, src, 0), next_href = next_attribute(html, href, 0);
  while (true) {
    if (next_src != std::string_view::npos && next_src < pos)
      next_src = next_attribute(html, src, pos);
    if (next_href != std::string_view::npos && next_href < pos)
      next_href = next_attribute(html, href, pos);
    const auto at = std::min(next_src, next_href);
    if (at == std::string_view::npos) break;
    const auto value_pos = at + (at == next_src ? src.size() : href.size());
    const auto close = html.find('"', value_pos);
    if (close == std::string_view::npos) break;  // no closing quote here or later
    pos = close + 1;
    auto repl = f(html.substr(value_pos, close - value_pos));
    if (!repl) continue;
    out.append(html.substr(last, value_pos - last));
    out.append(*repl);
    last = close;
  }
  out.append(html.substr(last));
  return out;
}

// Ids of this tenant's documents a body references (no slug, or this tenant's slug).
std::vector<std::int64_t> body_refs(std::string_view body, std::string_view self_slug) {
  std::vector<std::int64_t> ids;
  rewrite_urls(body, [&](std::string_view v) -> std::optional<std::string> {
    if (auto r = parse_doc_ref(v); r && (r->slug.empty() || r->slug == self_slug))
      if (std::find(ids.begin(), ids.end(), r->id) == ids.end()) ids.push_back(r->id);
    return std::nullopt;
  });
  return ids;
}

document read_list_document(const db::statement& st) {
  document d;
  d.id = st.int64(0);
  d.title = st.text(1);
  d.version = static_cast<int>(st.int64(2));
  d.updated_at_ms = st.int64(3);
  d.group_id = st.opt_int64(4);
  d.copy_id = st.opt_int64(5);
  d.versions.push_back({d.version, st.text(6), st.text(7), static_cast<std::uint64_t>(st.int64(8)),
                        st.text(9), st.text(10), st.int64(11)});
  return d;
}

error no_such_document() {
  return error(errc::not_found, "unknown_document", "no such document");
}

}  // namespace

// ---- Helpers for the other translation units (content2_impl.hpp) -------------------------------

std::vector<std::int64_t> detail::parse_id_list(std::string_view json) {
  std::vector<std::int64_t> out;
  std::size_t i = 0;
  while (i < json.size()) {
    if (json[i] >= '0' && json[i] <= '9') {
      std::size_t j = i;
      while (j < json.size() && json[j] >= '0' && json[j] <= '9') ++j;
      if (auto v = parse_nonnegative(json.substr(i, j - i))) out.push_back(*v);
      i = j;
    } else {
      ++i;
    }
  }
  return out;
}

bool detail::document_visible(db::connection& c, const viewer& who, std::int64_t id) {
  auto& st = c.cached(
      "SELECT 1 FROM documents d WHERE d.id = ?4 AND d.deleted = 0 AND" SAMVERKA_DOC_VISIBLE);
  st.bind_all(who.user_id, static_cast<std::int64_t>(may_edit(who)), roles_of(who), id);
  const bool ok = st.step();
  st.reset();
  return ok;
}

result<void> detail::check_group_upload(db::connection& c, const viewer& who,
                                        std::int64_t group_id) {
  auto& st = c.cached(
      "SELECT g.kind, g.unit_id, EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id"
      " AND m.user_id = ?2) FROM social_groups g WHERE g.id = ?1 AND g.deleted = 0");
  st.bind_all(group_id, who.user_id);
  if (!st.step()) return error(errc::not_found, "unknown_group", "no such group");
  const auto kind = st.int64(0);
  const auto unit = st.opt_int64(1);
  const bool member =
      kind == static_cast<std::int64_t>(group_kind::department)
          ? unit && std::find(who.reach.begin(), who.reach.end(), *unit) != who.reach.end()
          : st.int64(2) != 0;
  st.reset();
  if (!member && kind == closed_kind)
    return error(errc::not_found, "unknown_group", "no such group");
  if (!member) return error(errc::forbidden, "members_only", "join the group to share files in it");
  return {};
}

bool detail::document_scoped(db::connection& c, std::int64_t id) {
  auto& st = c.cached(
      "SELECT 1 FROM documents WHERE id = ?1 AND (group_id IS NOT NULL OR copy_id IS NOT NULL)");
  st.bind(1, id);
  const bool scoped = st.step();
  st.reset();
  return scoped;
}

result<std::string> detail::checked_attachments(db::connection& c, const viewer& who,
                                                const std::vector<std::int64_t>& ids,
                                                std::optional<std::int64_t> group) {
  if (ids.size() > cl::max_attachments)
    return error(errc::invalid_input, "too_many_attachments",
                 "at most " + std::to_string(cl::max_attachments) + " attachments");
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto id = ids[i];
    if (std::find(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(i), id) !=
        ids.begin() + static_cast<std::ptrdiff_t>(i))
      return error(errc::invalid_input, "invalid_attachment",
                   "document " + std::to_string(id) + " is attached twice");
    auto& st = c.cached("SELECT group_id, copy_id FROM documents WHERE id = ?1 AND deleted = 0");
    st.bind(1, id);
    const bool found = st.step();
    const auto doc_group = found ? st.opt_int64(0) : std::nullopt;
    const auto doc_copy = found ? st.opt_int64(1) : std::nullopt;
    st.reset();
    const bool scope_ok = found && !doc_copy && (!doc_group || (group && *doc_group == *group));
    if (!scope_ok || !document_visible(c, who, id))
      return error(errc::invalid_input, "invalid_attachment",
                   "document " + std::to_string(id) +
                       " does not exist or cannot be attached here (attach this municipality's "
                       "documents" +
                       (group ? " or this group's files)" : ")"));
  }
  return json_ids(ids);
}

result<void> detail::set_news_attachments(db::connection& c, const viewer& who,
                                          std::int64_t news_id,
                                          const std::vector<std::int64_t>& ids) {
  auto json = checked_attachments(c, who, ids, std::nullopt);
  if (!json) return json.err();
  c.cached("UPDATE news SET attachments = ?1 WHERE id = ?2").bind_all(*json, news_id).run();
  return {};
}

result<void> detail::set_post_attachments(db::connection& c, const viewer& who,
                                          std::int64_t post_id, std::int64_t group_id,
                                          const std::vector<std::int64_t>& ids) {
  auto json = checked_attachments(c, who, ids, group_id);
  if (!json) return json.err();
  c.cached("UPDATE posts SET attachments = ?1 WHERE id = ?2").bind_all(*json, post_id).run();
  return {};
}

void detail::fill_news_extras(db::connection& c, std::vector<news_item>& items) {
  if (items.empty()) return;
  std::vector<std::int64_t> ids;
  for (const auto& n : items) ids.push_back(n.id);
  std::map<std::int64_t, news_item*> by_id;
  for (auto& n : items) by_id[n.id] = &n;
  auto& st = c.cached(
      "SELECT n.id, n.attachments, k.linked, k.unlinked_at, k.unlink_reason FROM news n"
      " LEFT JOIN sharing_copies k ON k.news_id = n.id"
      " WHERE n.id IN (SELECT value FROM json_each(?1))");
  st.bind(1, json_ids(ids));
  while (st.step()) {
    auto* n = by_id.at(st.int64(0));
    n->attachments = parse_id_list(st.text(1));
    if (n->source && !st.is_null(2) && st.int64(2) == 0) {
      n->source_unlinked_at_ms = st.opt_int64(3).value_or(0);
      n->source_unlink_reason = st.text(4);
    }
  }
}

void detail::fill_news_extras(db::connection& c, news_item& item) {
  std::vector<news_item> one{std::move(item)};
  fill_news_extras(c, one);
  item = std::move(one.front());
}

std::vector<shared_file> detail::files_for_share(db::connection& c, std::string_view self_slug,
                                                 std::string_view body,
                                                 const std::vector<std::int64_t>& attachments) {
  auto ids = attachments;
  for (auto id : body_refs(body, self_slug))
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  std::vector<shared_file> out;
  auto& st = c.cached(
      "SELECT d.title, v.file_name, v.content_type, v.sha256, v.size FROM documents d"
      " JOIN document_versions v ON v.document_id = d.id AND v.version = d.version"
      " WHERE d.id = ?1 AND d.deleted = 0 AND d.group_id IS NULL AND d.copy_id IS NULL");
  for (auto id : ids) {
    st.reset();
    st.bind(1, id);
    if (!st.step()) continue;
    out.push_back({id, st.text(0), st.text(1), st.text(2), st.text(3),
                   static_cast<std::uint64_t>(st.int64(4))});
  }
  st.reset();
  return out;
}

result<copy_content> detail::import_copy_files(db::connection& c, const fs::path& dir,
                                               std::string_view self_slug,
                                               std::string_view source_slug, std::int64_t copy_id,
                                               const share_payload& p, std::string_view body,
                                               std::string_view source_name) {
  struct plan {
    const shared_file* f;
    std::optional<std::int64_t> existing;  // the local document made for it earlier
    bool new_bytes = true;
    std::uint64_t size = 0;  // of the bytes in this tenant's files
  };
  std::vector<plan> plans;
  std::uint64_t adding = 0;
  for (const auto& f : p.files) {
    if (f.source_document_id <= 0 || !valid_sha256(f.sha256))
      return error(errc::invalid_input, "invalid_shared_file", "a shared file without its hash");
    std::error_code ec;
    // The size counted against the quota is that of the bytes here, not the one the payload says.
    const auto blob = document_blob(dir, f.sha256);
    const auto actual = fs::symlink_status(blob, ec).type() == fs::file_type::regular
                            ? fs::file_size(blob, ec)
                            : static_cast<std::uintmax_t>(-1);
    if (ec || actual == static_cast<std::uintmax_t>(-1))
      return error(errc::unavailable, "shared_file_missing",
                   "a shared file has not been copied to this municipality yet");
    plan pl{&f, std::nullopt, true, static_cast<std::uint64_t>(actual)};
    auto& st = c.cached(
        "SELECT document_id, sha256 FROM sharing_copy_files WHERE copy_id = ?1"
        " AND source_document_id = ?2");
    st.bind_all(copy_id, f.source_document_id);
    if (st.step()) {
      pl.existing = st.int64(0);
      pl.new_bytes = st.text(1) != f.sha256;
    }
    st.reset();
    if (pl.new_bytes) adding += pl.size;
    plans.push_back(pl);
  }
  if (adding > 0)
    if (auto q = check_document_quota(c, adding); !q) return q.err();

  std::map<std::int64_t, std::int64_t> local;  // source document id -> this tenant's
  const auto now = now_ms();
  const std::string uploader(source_name);
  for (const auto& pl : plans) {
    const auto& f = *pl.f;
    auto title = plain_text(f.title, "title", limits::max_title, true, false);
    auto name = plain_text(f.file_name, "file_name", 255, true, false);
    const std::string t = title ? *title : std::string("file");
    std::string n = name ? *name : std::string("file");
    if (n.find_first_of("/\\") != std::string::npos) n = "file";
    // Served back as the Content-Type header: a lowercase type/subtype token pair or nothing.
    const bool plain_type = f.content_type.size() <= 201 &&
                            std::count(f.content_type.begin(), f.content_type.end(), '/') == 1 &&
                            f.content_type.front() != '/' && f.content_type.back() != '/' &&
                            f.content_type.find_first_not_of(
                                "abcdefghijklmnopqrstuvwxyz0123456789+-._/") == std::string::npos;
    const std::string ct = plain_type ? f.content_type : std::string("application/octet-stream");
    std::int64_t id = 0;
    if (!pl.existing) {
      c.cached(
           "INSERT INTO documents(title, version, owner_id, created_at, updated_at, copy_id)"
           " VALUES (?1, 1, NULL, ?2, ?2, ?3)")
          .bind_all(t, now, copy_id)
          .run();
      id = c.last_insert_rowid();
      c.cached(
           "INSERT INTO document_versions(document_id, version, file_name, content_type, size,"
           " sha256, uploader, created_at) VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7)")
          .bind_all(id, n, ct, static_cast<std::int64_t>(pl.size), f.sha256, uploader, now)
          .run();
      c.cached(
           "INSERT INTO sharing_copy_files(copy_id, source_document_id, sha256, document_id)"
           " VALUES (?1, ?2, ?3, ?4)")
          .bind_all(copy_id, f.source_document_id, f.sha256, id)
          .run();
    } else {
      id = *pl.existing;
      if (pl.new_bytes) {
        c.cached(
             "INSERT INTO document_versions(document_id, version, file_name, content_type, size,"
             " sha256, uploader, created_at) SELECT id, version + 1, ?2, ?3, ?4, ?5, ?6, ?7"
             " FROM documents WHERE id = ?1")
            .bind_all(id, n, ct, static_cast<std::int64_t>(pl.size), f.sha256, uploader, now)
            .run();
        c.cached(
             "UPDATE documents SET version = version + 1, title = ?2, updated_at = ?3,"
             " deleted = 0 WHERE id = ?1")
            .bind_all(id, t, now)
            .run();
        c.cached(
             "UPDATE sharing_copy_files SET sha256 = ?3 WHERE copy_id = ?1"
             " AND source_document_id = ?2")
            .bind_all(copy_id, f.source_document_id, f.sha256)
            .run();
      }
    }
    local[f.source_document_id] = id;
  }

  copy_content out;
  const std::string base = "/t/" + std::string(self_slug) + "/api/v1/documents/";
  out.body = rewrite_urls(body, [&](std::string_view v) -> std::optional<std::string> {
    auto r = parse_doc_ref(v);
    if (!r) return std::nullopt;
    // The source's own documents map to ours; anything else cannot be carried (design note 3).
    if (r->slug.empty() || r->slug == source_slug) {
      if (auto it = local.find(r->id); it != local.end())
        return base + std::to_string(it->second) + "/content";
    }
    return std::string();
  });
  for (auto id : p.attachments)
    if (auto it = local.find(id); it != local.end()) out.attachments.push_back(it->second);
  return out;
}

void detail::drop_copy_files(db::connection& c, std::int64_t copy_id) {
  c.cached(
       "DELETE FROM document_uses WHERE document_id IN (SELECT id FROM documents"
       " WHERE copy_id = ?1)")
      .bind(1, copy_id)
      .run();
  c.cached("DELETE FROM sharing_copy_files WHERE copy_id = ?1").bind(1, copy_id).run();
  c.cached(
       "DELETE FROM document_versions WHERE document_id IN (SELECT id FROM documents"
       " WHERE copy_id = ?1)")
      .bind(1, copy_id)
      .run();
  c.cached("DELETE FROM documents WHERE copy_id = ?1").bind(1, copy_id).run();
}

std::uint64_t detail::copy_files_size(db::connection& c, std::int64_t copy_id) {
  auto& st = c.cached(
      "SELECT coalesce(sum(v.size), 0) FROM document_versions v"
      " JOIN documents d ON d.id = v.document_id WHERE d.copy_id = ?1 AND d.deleted = 0");
  st.bind(1, copy_id);
  st.step();
  const auto size = static_cast<std::uint64_t>(st.int64(0));
  st.reset();
  return size;
}

// ---- Lists -------------------------------------------------------------------------------------

result<document_list> store::list_documents(const viewer& who, const list_request& r) {
  auto b = bounds_of(r);
  if (!b) return b.err();
  return p_->guarded("list documents", [&]() -> result<document_list> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto& st = c->cached(
        "SELECT d.id, d.title, d.version, d.updated_at, d.group_id, d.copy_id, v.file_name,"
        " v.content_type, v.size, v.sha256, v.uploader, v.created_at FROM documents d"
        " JOIN document_versions v ON v.document_id = d.id AND v.version = d.version"
        " WHERE d.deleted = 0 AND (d.updated_at < ?4 OR (d.updated_at = ?4 AND d.id < ?5))"
        " AND (?6 IS NULL OR instr(lower(d.title), lower(?6)) > 0) AND" SAMVERKA_DOC_VISIBLE
        " ORDER BY d.updated_at DESC, d.id DESC LIMIT ?7");
    st.bind_all(who.user_id, static_cast<std::int64_t>(may_edit(who)), roles_of(who), b->at, b->id,
                b->q, static_cast<std::int64_t>(b->limit + 1));
    document_list out;
    while (st.step()) out.items.push_back(read_list_document(st));
    if (out.items.size() > b->limit) {
      out.items.resize(b->limit);
      out.next_cursor = cursor_of(out.items.back().updated_at_ms, out.items.back().id);
    }
    return out;
  });
}

result<guide_list> store::list_guides(const viewer&, const list_request& r) {
  auto b = bounds_of(r);
  if (!b) return b.err();
  return p_->guarded("list guides", [&]() -> result<guide_list> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto& st = c->cached(
        "SELECT g.id, g.title, g.summary, g.author_name, g.updated_at,"
        " (SELECT count(*) FROM guide_steps s WHERE s.guide_id = g.id) FROM guides g"
        " WHERE g.deleted = 0 AND (g.updated_at < ?1 OR (g.updated_at = ?1 AND g.id < ?2))"
        " AND (?3 IS NULL OR instr(lower(g.title), lower(?3)) > 0)"
        " ORDER BY g.updated_at DESC, g.id DESC LIMIT ?4");
    st.bind_all(b->at, b->id, b->q, static_cast<std::int64_t>(b->limit + 1));
    guide_list out;
    while (st.step())
      out.items.push_back({st.int64(0), st.text(1), st.text(2), st.text(3), st.int64(4),
                           static_cast<std::size_t>(st.int64(5))});
    if (out.items.size() > b->limit) {
      out.items.resize(b->limit);
      out.next_cursor = cursor_of(out.items.back().updated_at_ms, out.items.back().id);
    }
    return out;
  });
}

result<document> store::get_document(const viewer& who, std::int64_t id) {
  std::optional<std::int64_t> group, copy;
  auto visible = p_->guarded("get document", [&]() -> result<bool> {
    auto c = p_->borrow();
    if (!document_visible(*c, who, id)) return false;
    auto& st = c->cached("SELECT group_id, copy_id FROM documents WHERE id = ?1");
    st.bind(1, id);
    if (st.step()) {
      group = st.opt_int64(0);
      copy = st.opt_int64(1);
    }
    st.reset();
    return true;
  });
  if (!visible) return visible.err();
  if (!*visible) return no_such_document();
  auto d = get_document(id);
  if (!d) return d.err();
  d->group_id = group;
  d->copy_id = copy;
  return d;
}

// ---- Shared files ------------------------------------------------------------------------------

result<fs::path> store::shared_file_path(const shared_file& f) {
  if (!valid_sha256(f.sha256))
    return error(errc::invalid_input, "invalid_shared_file", "a shared file without its hash");
  return p_->guarded("shared file", [&]() -> result<fs::path> {
    auto c = p_->borrow();
    auto& st = c->cached("SELECT 1 FROM document_versions WHERE sha256 = ?1 LIMIT 1");
    st.bind(1, f.sha256);
    const bool known = st.step();
    st.reset();
    if (!known) return error(errc::not_found, "unknown_file", "no document holds this file");
    return document_blob(p_->dir, f.sha256);
  });
}

result<void> store::receive_shared_file(const fs::path& from, const shared_file& f) {
  if (!valid_sha256(f.sha256))
    return error(errc::invalid_input, "invalid_shared_file", "a shared file without its hash");
  const auto target = document_blob(p_->dir, f.sha256);
  std::error_code ec;
  // Only a plain file of the source's store is read (a symlink there could point anywhere).
  if (fs::symlink_status(from, ec).type() != fs::file_type::regular)
    return error(errc::unavailable, "shared_file_copy", "a shared file is not a regular file");
  if (fs::exists(target, ec)) {
    // The bytes are here already; the source must still hold them, else naming a hash would be
    // enough to make this tenant's file (e.g. a closed group's) a document of the copy.
    auto hash = hash_document_file(from);
    if (!hash || *hash != f.sha256)
      return error(errc::invalid_input, "shared_file_mismatch", "a shared file's bytes changed");
    return {};
  }
  const auto spool = schema::files_path(p_->dir) / ".uploads";
  fs::create_directories(spool, ec);
  fs::create_directories(target.parent_path(), ec);
  if (ec) return error(errc::internal, "create " + target.parent_path().string());
  const auto tmp = spool / (".shared-" + crypto::random_token(12));
  fs::copy_file(from, tmp, fs::copy_options::overwrite_existing, ec);
  if (ec) return error(errc::unavailable, "shared_file_copy", "copy shared file: " + ec.message());
  auto hash = hash_document_file(tmp);
  if (!hash || *hash != f.sha256) {
    fs::remove(tmp, ec);
    return error(errc::invalid_input, "shared_file_mismatch", "a shared file's bytes changed");
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    return error(errc::internal, "move shared file into place: " + ec.message());
  }
  return {};
}

// ---- Admin audit and the digest timer ----------------------------------------------------------

result<void> store::record_admin_audit(std::string_view actor, std::string_view action,
                                       std::string_view item_type, std::int64_t item_id,
                                       std::string_view detail) {
  return p_->guarded("record audit", [&]() -> result<void> {
    auto c = p_->borrow();
    viewer who;
    who.email = std::string(actor);
    record_audit(*c, who, action, item_type, item_id, detail);
    return {};
  });
}

result<bool> store::claim_digest_day(std::string_view day) {
  return p_->guarded("claim digest day", [&]() -> result<bool> {
    auto c = p_->borrow();
    c->cached("INSERT OR IGNORE INTO digest_days(day, sent_at) VALUES (?1, ?2)")
        .bind_all(day, now_ms())
        .run();
    return c->changes() == 1;
  });
}

result<void> store::release_digest_day(std::string_view day) {
  return p_->guarded("release digest day", [&]() -> result<void> {
    auto c = p_->borrow();
    c->cached("DELETE FROM digest_days WHERE day = ?1").bind(1, day).run();
    return {};
  });
}

std::string detail::without_document_links(std::string_view body) {
  return rewrite_urls(body, [](std::string_view v) -> std::optional<std::string> {
    if (parse_doc_ref(v)) return std::string();
    return std::nullopt;
  });
}

}  // namespace samverka::tenant
