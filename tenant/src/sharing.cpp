// The sharing service's half inside one tenant store: originals offered to partners (source
// side) and copies received from them (receiver side). samverka::sharing (sharing/) is the only
// caller that moves data between two stores; this file never sees another tenant.
//
// Design notes.
//
// Copy state machine (receiver side, table sharing_copies; `linked` is orthogonal to status):
//
//     (absent) --[sharing_apply: push, manual policy]------------> pending
//     (absent) --[sharing_apply: borrow, or automatic policy]----> accepted
//     (absent) --[sharing_apply: withdrawn revision]-------------> withdrawn
//     pending  --[sharing_accept]--> accepted     pending|declined --[sharing_accept]--> accepted
//     pending  --[sharing_decline]--> declined
//     pending|accepted|declined --[sharing_apply: withdrawn revision, linked]--> withdrawn
//     linked=1 --[sharing_unlink | sharing_partners_changed | local delete]--> linked=0
//
//  1. At most one copy per (source_slug, source_news_id) (UNIQUE): applying a delivery again
//     finds the copy and changes nothing.
//  2. A copy's revision only grows: a delivery whose revision is <= the copy's is stale and
//     changes nothing, so duplicated and reordered deliveries converge on the newest revision.
//  3. An accepted copy has a local news row (news_id) carrying source provenance; the row's
//     audience is the receiver's choice and no delivery ever rewrites it. Its schedule
//     (published_at, unpublish_at; every revision carries the original's) follows the original:
//     a delivery rewrites it when the original's schedule changed since the copy's last revision,
//     so a schedule the receiver set lasts until then; a pending offer is accepted with the newest.
//  4. A copy with linked=0 ignores every later delivery (content and withdrawal alike): it is
//     the receiving tenant's own item now. Nothing sets linked back to 1.
//  5. Only sharing_apply rewrites a linked copy's news content (trigger sharing_copy_read_only
//     refuses everyone else while sharing_apply_guard is empty).
//  6. withdrawn is final: the source's ids are never reused (news rows are soft-deleted).
//
// Outbox state machine (source side, table sharing_outbox; one row per change per partner):
//
//     (absent) --[create_shared_news | share_news | lend_news | trigger on edit/delete]--> queued
//     queued --[outbox_delivered]--> delivered
//     queued --[outbox_failed]--> queued (attempts + 1, next_attempt_at later, last_error)
//     queued --[outbox_sent: handed to another node]--> queued (next_attempt_at = resend time)
//     queued --[due_outbox: a newer row of the same target exists]--> superseded
//     queued --[sharing_partners_changed: no longer partners]--> cancelled
//
//  7. Every change to a shared original writes its outbox rows in the change's own transaction
//     (create_shared_news, share_news, lend_news here; the sharing_news_changed trigger for edits
//     and deletes through news.cpp), so a committed change is never lost to a crash.
//  8. Each row names a revision whose full snapshot is in sharing_revisions; delivering the newest
//     row of a target delivers everything older, which is why older rows may be superseded.
//  9. A row leaves `queued` only by delivery, supersession or the end of the partnership: there is
//     no give-up state, so a change is retried (with backoff, see sharing/relay) until it lands.
#include "content2_impl.hpp"  // files and attachments travelling with shared news
#include "store_impl.hpp"

namespace samverka::tenant {

using namespace detail;

std::string_view to_string(share_via v) noexcept {
  return v == share_via::borrow ? "borrow" : "push";
}

std::string_view to_string(copy_status s) noexcept {
  switch (s) {
    case copy_status::pending:
      return "pending";
    case copy_status::accepted:
      return "accepted";
    case copy_status::declined:
      return "declined";
    case copy_status::withdrawn:
      return "withdrawn";
  }
  return "pending";
}

std::string_view to_string(accept_policy p) noexcept {
  return p == accept_policy::automatic ? "automatic" : "manual";
}

namespace {

share_via parse_via(std::string_view s) {
  return s == "borrow" ? share_via::borrow : share_via::push;
}

copy_status parse_status(std::string_view s) {
  if (s == "accepted") return copy_status::accepted;
  if (s == "declined") return copy_status::declined;
  if (s == "withdrawn") return copy_status::withdrawn;
  return copy_status::pending;
}

role_mask mask_of(const std::vector<std::string>& names) {
  role_mask m = 0;
  for (const auto& n : names)
    if (auto r = parse_role(n)) m |= bit(*r);
  return m;
}

// A JSON array of slugs for json_each(); slugs are [a-z0-9-], but escape anyway.
std::string json_strings(const std::vector<std::string>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char ch : v[i])
      if (ch != '"' && ch != '\\' && static_cast<unsigned char>(ch) >= 0x20) out += ch;
    out += '"';
  }
  return out + "]";
}

// What a copy imports: none of the files for a withdrawn revision or a declined copy (nobody
// reads them, so they must not take the quota); their references are emptied instead.
const share_payload& files_to_import(const share_payload& p, bool keep,
                                     std::optional<share_payload>& none) {
  if (keep) return p;
  none = p;
  none->files.clear();
  return *none;
}

error no_such_news() {
  return error(errc::not_found, "unknown_news", "no such news item");
}

error no_such_copy() {
  return error(errc::not_found, "unknown_copy", "no such shared item in this inbox");
}

void audit(db::connection& c, std::string_view actor, std::string_view action,
           std::optional<std::int64_t> news_id, std::string_view partner, std::string_view detail) {
  c.cached(
       "INSERT INTO sharing_audit(at, actor, action, news_id, partner, detail)"
       " VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
      .bind_all(now_ms(), actor, action, news_id, partner, detail)
      .run();
}

// Makes `news_id` a tracked original (revision 1 on first use) with a snapshot of its current
// revision. The caller has checked that the row exists, is not deleted and is not a copy.
void ensure_item(db::connection& c, std::int64_t news_id) {
  c.cached("INSERT OR IGNORE INTO sharing_items(news_id) VALUES (?1)").bind(1, news_id).run();
  c.cached(
       "INSERT OR IGNORE INTO sharing_revisions(news_id, revision, title, summary, body,"
       " author_name, published_at, updated_at, roles_mask, withdrawn, attachments, unpublish_at)"
       " SELECT n.id, i.revision, n.title, n.summary, n.body, n.author_name, n.published_at,"
       " n.updated_at, n.roles_mask, n.deleted, n.attachments, n.unpublish_at FROM news n"
       " JOIN sharing_items i ON i.news_id = n.id"
       " WHERE n.id = ?1")
      .bind(1, news_id)
      .run();
}

std::int64_t current_revision(db::connection& c, std::int64_t news_id) {
  auto& st = c.cached("SELECT revision FROM sharing_items WHERE news_id = ?1");
  st.bind(1, news_id);
  return st.step() ? st.int64(0) : 0;
}

// Adds (or revives, after a partnership ended and was renewed) `partner` as a target and queues
// the current revision for it. False if it already was an active target.
bool add_target(db::connection& c, std::int64_t news_id, std::string_view partner, share_via via) {
  const auto now = now_ms();
  c.cached(
       "INSERT INTO sharing_targets(news_id, partner, via, created_at, updated_at)"
       " VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT(news_id, partner) DO UPDATE SET ended = 0,"
       " updated_at = excluded.updated_at WHERE ended = 1")
      .bind_all(news_id, partner, to_string(via), now)
      .run();
  if (c.changes() == 0) return false;
  c.cached(
       "INSERT INTO sharing_outbox(news_id, revision, partner, created_at) VALUES (?1,?2,?3,?4)")
      .bind_all(news_id, current_revision(c, news_id), partner, now)
      .run();
  return true;
}

// The snapshot of one revision with the files it references (`self_slug`: this tenant).
std::optional<share_payload> load_payload(db::connection& c, std::string_view self_slug,
                                          std::int64_t news_id, std::int64_t revision) {
  auto& st = c.cached(
      "SELECT title, summary, body, author_name, published_at, updated_at, roles_mask, withdrawn,"
      " attachments, unpublish_at FROM sharing_revisions WHERE news_id = ?1 AND revision = ?2");
  st.bind_all(news_id, revision);
  if (!st.step()) return std::nullopt;
  share_payload p;
  p.news_id = news_id;
  p.revision = revision;
  p.title = st.text(0);
  p.summary = st.text(1);
  p.body = st.text(2);
  p.author_name = st.text(3);
  p.published_at_ms = st.int64(4);
  p.updated_at_ms = st.int64(5);
  p.roles = role_names(static_cast<role_mask>(st.int64(6)));
  p.withdrawn = st.int64(7) != 0;
  p.attachments = parse_id_list(st.text(8));
  p.unpublish_at_ms = st.opt_int64(9);
  st.reset();
  if (!p.withdrawn) p.files = files_for_share(c, self_slug, p.body, p.attachments);
  return p;
}

// An original of this tenant that may be shared: exists, not deleted, not itself a copy.
result<void> check_original(db::connection& c, std::int64_t news_id) {
  auto& st = c.cached("SELECT source_slug IS NOT NULL FROM news WHERE id = ?1 AND deleted = 0");
  st.bind(1, news_id);
  if (!st.step()) return no_such_news();
  if (st.int64(0) != 0)
    return error(errc::unprocessable, "copy_not_shareable",
                 "this item is a copy of a partner's news; only the original can be shared");
  return {};
}

result<std::vector<std::string>> checked_partners(const std::vector<std::string>& partners,
                                                  std::string_view self) {
  if (partners.size() > sharing_limits::max_partners)
    return error(errc::invalid_input, "too_many_partners",
                 "at most " + std::to_string(sharing_limits::max_partners) + " partners per share");
  std::vector<std::string> out;
  for (const auto& p : partners) {
    if (!valid_slug(p) || p == self)
      return error(errc::unprocessable, "not_a_partner",
                   "\"" + p + "\" is not a partner municipality");
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  return out;
}

// ---- Receiver-side helpers ---------------------------------------------------------------------

#define SAMVERKA_COPY_COLUMNS                                                              \
  "id, source_slug, source_name, source_news_id, via, status, linked, unlinked_at,"        \
  " unlink_reason, revision, title, summary, body, author_name, published_at, updated_at," \
  " roles_mask, news_id, received_at, attachments, unpublish_at, schedule_synced"

shared_copy read_copy(const db::statement& st) {
  shared_copy k;
  k.id = st.int64(0);
  k.source_slug = st.text(1);
  k.source_name = st.text(2);
  k.source_news_id = st.int64(3);
  k.via = parse_via(st.text(4));
  k.status = parse_status(st.text(5));
  k.linked = st.int64(6) != 0;
  k.unlinked_at_ms = st.opt_int64(7);
  k.unlink_reason = st.text(8);
  k.revision = st.int64(9);
  k.news.id = k.source_news_id;
  k.news.title = st.text(10);
  k.news.summary = st.text(11);
  k.news.body = st.text(12);
  k.news.author_name = st.text(13);
  k.news.published_at_ms = st.int64(14);
  k.news.updated_at_ms = st.int64(15);
  k.news.target.roles = role_names(static_cast<role_mask>(st.int64(16)));
  k.news.source = news_source{k.source_slug, k.source_name, k.source_news_id};
  k.local_news_id = st.opt_int64(17);
  k.received_at_ms = st.int64(18);
  k.news.attachments = parse_id_list(st.text(19));
  k.news.unpublish_at_ms = st.opt_int64(20);
  k.schedule_synced = st.int64(21) != 0;
  return k;
}

// The copy with its local news item in place of the offered content when it has one.
void attach_local(db::connection& c, shared_copy& k) {
  if (!k.local_news_id) return;
  if (auto n = load_news(c, *k.local_news_id)) {
    k.news = std::move(*n);
    fill_news_extras(c, k.news);
  }
}

std::optional<shared_copy> find_copy(db::connection& c, std::string_view where, std::int64_t a,
                                     std::optional<std::string_view> slug = std::nullopt) {
  const std::string sql =
      std::string("SELECT " SAMVERKA_COPY_COLUMNS " FROM sharing_copies WHERE ") +
      std::string(where);
  auto st = c.prepare(sql);
  if (slug)
    st.bind_all(*slug, a);
  else
    st.bind(1, a);
  if (!st.step()) return std::nullopt;
  return read_copy(st);
}

// Content of a delivery, validated again: the receiver trusts no other tenant's store.
result<news_fields> receive_fields(const share_payload& p) {
  return prepare_fields(p.title, p.summary, p.body);
}

// Inserts the local news row of an accepted copy and returns its id.
result<std::int64_t> insert_local_news(db::connection& c, const shared_copy& k,
                                       const std::optional<audience>& target) {
  stored_audience a;
  if (target && (!target->units.empty() || !target->roles.empty())) {
    auto r = resolve_audience(c, *target);
    if (!r) return r.err();
    a = std::move(*r);
  } else {
    a.roles = mask_of(k.news.target.roles);
  }
  c.cached(
       "INSERT INTO news(title, summary, body, author_id, author_name, published_at, updated_at,"
       " roles_mask, all_units, source_slug, source_name, source_news_id, attachments,"
       " unpublish_at) VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")
      .bind_all(k.news.title, k.news.summary, k.news.body, k.news.author_name,
                k.news.published_at_ms, k.news.updated_at_ms, static_cast<std::int64_t>(a.roles),
                static_cast<std::int64_t>(a.units.ids.empty()), k.source_slug, k.source_name,
                k.source_news_id, json_ids(k.news.attachments), k.news.unpublish_at_ms)
      .run();
  const auto id = c.last_insert_rowid();
  write_news_units(c, id, a);
  return id;
}

// Lets sharing_apply's own transaction rewrite linked copies (see invariant 5).
struct apply_guard {
  explicit apply_guard(db::connection& c) : c_(c) {
    c_.cached("INSERT INTO sharing_apply_guard(active) VALUES (1)").run();
  }
  ~apply_guard() {
    try {
      c_.cached("DELETE FROM sharing_apply_guard").run();
    } catch (...) {  // the transaction rolls back anyway
    }
  }
  db::connection& c_;
};

}  // namespace

// ---- Source side -------------------------------------------------------------------------------

result<news_item> store::create_shared_news(const viewer& author, const news_draft& d,
                                            const std::vector<std::string>& partners,
                                            bool shareable) {
  if (!may_edit(author)) return editor_required();
  auto targets = checked_partners(partners, p_->slug);
  if (!targets) return targets.err();
  auto f = prepare_fields(d.title, d.summary, d.body);
  if (!f) return f.err();
  if (d.published_at_ms && *d.published_at_ms < 0)
    return error(errc::invalid_input, "invalid_published_at", "publication time before 1970");
  return p_->guarded("create shared news", [&]() -> result<news_item> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto created =
        insert_news(*c, author, std::move(*f), d.target, d.published_at_ms, d.unpublish_at_ms);
    if (!created) return created.err();
    news_item n = std::move(created.value());
    if (!d.attachments.empty()) {  // before the first snapshot, which carries them
      if (auto a = set_news_attachments(*c, author, n.id, d.attachments); !a) return a.err();
      n.attachments = d.attachments;
    }
    ensure_item(*c, n.id);
    c->cached("UPDATE sharing_items SET shareable = ?1 WHERE news_id = ?2")
        .bind_all(static_cast<std::int64_t>(shareable), n.id)
        .run();
    for (const auto& p : *targets) {
      add_target(*c, n.id, p, share_via::push);
      audit(*c, author.email, "share", n.id, p, "offered with publication");
    }
    if (shareable) audit(*c, author.email, "offer_for_borrowing", n.id, "", "");
    tx.commit();
    return n;
  });
}

result<std::vector<std::string>> store::share_news(const viewer& who, std::int64_t news_id,
                                                   const std::vector<std::string>& partners) {
  if (!may_edit(who)) return editor_required();
  auto targets = checked_partners(partners, p_->slug);
  if (!targets) return targets.err();
  return p_->guarded("share news", [&]() -> result<std::vector<std::string>> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    if (auto ok = check_original(*c, news_id); !ok) return ok.err();
    ensure_item(*c, news_id);
    std::vector<std::string> added;
    for (const auto& p : *targets) {
      if (!add_target(*c, news_id, p, share_via::push)) continue;
      audit(*c, who.email, "share", news_id, p, "");
      added.push_back(p);
    }
    tx.commit();
    return added;
  });
}

result<void> store::set_shareable(const viewer& who, std::int64_t news_id, bool shareable) {
  if (!may_edit(who)) return editor_required();
  return p_->guarded("set shareable", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    if (auto ok = check_original(*c, news_id); !ok) return ok.err();
    ensure_item(*c, news_id);
    c->cached("UPDATE sharing_items SET shareable = ?1 WHERE news_id = ?2 AND shareable <> ?1")
        .bind_all(static_cast<std::int64_t>(shareable), news_id)
        .run();
    if (c->changes() > 0)
      audit(*c, who.email, shareable ? "offer_for_borrowing" : "stop_offering", news_id, "", "");
    tx.commit();
    return {};
  });
}

result<std::vector<news_item>> store::sharing_catalog() {
  return p_->guarded("sharing catalogue", [&]() -> result<std::vector<news_item>> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto& st = c->cached("SELECT " SAMVERKA_NEWS_COLUMNS
                         " FROM news n JOIN sharing_items i ON i.news_id = n.id"
                         " WHERE i.shareable = 1 AND n.deleted = 0 AND n.source_slug IS NULL"
                         "  AND n.published_at <= ?2"  // scheduling: only what is published
                         "  AND (n.unpublish_at IS NULL OR n.unpublish_at > ?2)"
                         " ORDER BY n.published_at DESC, n.id DESC LIMIT ?1");
    st.bind(1, static_cast<std::int64_t>(sharing_limits::max_catalog));
    st.bind(2, now_ms());
    std::vector<news_item> items;
    while (st.step()) items.push_back(read_news_row(st));
    st.reset();
    fill_units(*c, items);
    // A preview for partners' editors: their copy, once borrowed, gets its own files.
    for (auto& n : items) n.body = without_document_links(n.body);
    return items;
  });
}

result<share_payload> store::lend_news(std::int64_t news_id, std::string_view partner) {
  if (!valid_slug(partner) || partner == p_->slug)
    return error(errc::unprocessable, "not_a_partner", "not a partner municipality");
  return p_->guarded("lend news", [&]() -> result<share_payload> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto& st = c->cached(
        "SELECT 1 FROM sharing_items i JOIN news n ON n.id = i.news_id"
        " WHERE i.news_id = ?1 AND i.shareable = 1 AND n.deleted = 0"
        "  AND n.published_at <= ?2 AND (n.unpublish_at IS NULL OR n.unpublish_at > ?2)");
    st.bind(1, news_id);
    st.bind(2, now_ms());  // scheduling: a scheduled item is not in the catalogue yet
    if (!st.step()) return error(errc::not_found, "unknown_news", "no such item in the catalogue");
    st.reset();
    if (add_target(*c, news_id, partner, share_via::borrow))
      audit(*c, "partner:" + std::string(partner), "lent", news_id, partner, "");
    auto p = load_payload(*c, p_->slug, news_id, current_revision(*c, news_id));
    if (!p) return error(errc::internal, "shared item without its current revision");
    tx.commit();
    return std::move(*p);
  });
}

result<std::vector<outbox_job>> store::due_outbox(std::int64_t now, bool all, std::size_t max) {
  return p_->guarded("due outbox", [&]() -> result<std::vector<outbox_job>> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    struct row {
      std::int64_t id, news_id, revision, attempts;
      std::string partner;
    };
    std::vector<row> rows;
    {
      auto& st = c->cached(
          "SELECT id, news_id, revision, attempts, partner FROM sharing_outbox"
          " WHERE state = 'queued' AND (?1 OR next_attempt_at <= ?2) ORDER BY id LIMIT ?3");
      st.bind_all(static_cast<std::int64_t>(all), now, static_cast<std::int64_t>(max) * 4);
      while (st.step())
        rows.push_back({st.int64(0), st.int64(1), st.int64(2), st.int64(3), st.text(4)});
    }
    // Newest row per target; older queued rows of that target carry nothing newer (invariant 8).
    std::map<std::pair<std::int64_t, std::string>, row> newest;
    for (auto& r : rows) {
      auto key = std::pair{r.news_id, r.partner};
      auto it = newest.find(key);
      if (it == newest.end() || it->second.revision <= r.revision) newest[key] = r;
    }
    auto& sup = c->cached(
        "UPDATE sharing_outbox SET state = 'superseded', done_at = ?1 WHERE state = 'queued'"
        " AND news_id = ?2 AND partner = ?3 AND id <> ?4 AND revision <= ?5");
    std::vector<outbox_job> jobs;
    for (auto& [key, r] : newest) {
      if (jobs.size() >= max) break;
      sup.reset();
      sup.bind_all(now_ms(), r.news_id, r.partner, r.id, r.revision).run();
      auto p = load_payload(*c, p_->slug, r.news_id, r.revision);
      auto& via = c->cached("SELECT via FROM sharing_targets WHERE news_id = ?1 AND partner = ?2");
      via.bind_all(r.news_id, r.partner);
      const share_via v = via.step() ? parse_via(via.text(0)) : share_via::push;
      via.reset();
      if (!p) continue;  // cannot happen (snapshots outlive queued rows); skip rather than stall
      jobs.push_back(outbox_job{r.id, r.partner, v, r.attempts, std::move(*p)});
    }
    tx.commit();
    std::sort(jobs.begin(), jobs.end(),
              [](const outbox_job& a, const outbox_job& b) { return a.id < b.id; });
    return jobs;
  });
}

result<std::optional<std::int64_t>> store::next_outbox_due() {
  return p_->guarded("next outbox due", [&]() -> result<std::optional<std::int64_t>> {
    auto c = p_->borrow();
    auto& st = c->cached("SELECT MIN(next_attempt_at) FROM sharing_outbox WHERE state = 'queued'");
    if (!st.step()) return std::optional<std::int64_t>{};
    return st.opt_int64(0);
  });
}

result<void> store::outbox_delivered(std::int64_t outbox_id) {
  return p_->guarded("outbox delivered", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto& st = c->cached("SELECT news_id, partner, revision FROM sharing_outbox WHERE id = ?1");
    st.bind(1, outbox_id);
    if (!st.step()) return error(errc::not_found, "unknown_outbox_row", "no such outbox row");
    const auto news_id = st.int64(0);
    const auto partner = st.text(1);
    const auto revision = st.int64(2);
    st.reset();
    const auto now = now_ms();
    c->cached(
         "UPDATE sharing_outbox SET state = 'delivered', done_at = ?1, last_error = ''"
         " WHERE id = ?2 AND state = 'queued'")
        .bind_all(now, outbox_id)
        .run();
    c->cached(
         "UPDATE sharing_outbox SET state = 'superseded', done_at = ?1 WHERE state = 'queued'"
         " AND news_id = ?2 AND partner = ?3 AND revision <= ?4")
        .bind_all(now, news_id, partner, revision)
        .run();
    c->cached(
         "UPDATE sharing_targets SET delivered_revision = MAX(delivered_revision, ?1),"
         " updated_at = ?2 WHERE news_id = ?3 AND partner = ?4")
        .bind_all(revision, now, news_id, partner)
        .run();
    // Snapshots older than the current revision that no queued row needs are history.
    c->cached(
         "DELETE FROM sharing_revisions WHERE news_id = ?1"
         " AND revision < (SELECT revision FROM sharing_items WHERE news_id = ?1)"
         " AND revision NOT IN (SELECT revision FROM sharing_outbox WHERE news_id = ?1"
         " AND state = 'queued')")
        .bind(1, news_id)
        .run();
    tx.commit();
    return {};
  });
}

result<void> store::outbox_failed(std::int64_t outbox_id, std::string_view last_error,
                                  std::int64_t next_attempt_ms) {
  return p_->guarded("outbox failed", [&]() -> result<void> {
    auto c = p_->borrow();
    c->cached(
         "UPDATE sharing_outbox SET attempts = attempts + 1, last_error = ?1,"
         " next_attempt_at = ?2 WHERE id = ?3 AND state = 'queued'")
        .bind_all(last_error, next_attempt_ms, outbox_id)
        .run();
    return {};
  });
}

result<void> store::outbox_sent(std::int64_t outbox_id, std::int64_t resend_at_ms) {
  return p_->guarded("outbox sent", [&]() -> result<void> {
    auto c = p_->borrow();
    c->cached("UPDATE sharing_outbox SET next_attempt_at = ?1 WHERE id = ?2 AND state = 'queued'")
        .bind_all(resend_at_ms, outbox_id)
        .run();
    return {};
  });
}

result<std::filesystem::path> store::shared_file_path_for(std::string_view partner,
                                                          const shared_file& f) {
  return p_->guarded("shared file for partner", [&]() -> result<std::filesystem::path> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    std::vector<std::int64_t> items;
    {
      auto& st = c->cached(
          "SELECT news_id FROM sharing_targets WHERE partner = ?1 AND ended = 0"
          " ORDER BY news_id DESC LIMIT ?2");
      st.bind_all(partner, static_cast<std::int64_t>(sharing_limits::max_items_checked_for_file));
      while (st.step()) items.push_back(st.int64(0));
    }
    for (const auto id : items) {
      auto p = load_payload(*c, p_->slug, id, current_revision(*c, id));
      if (!p) continue;
      for (const auto& file : p->files)
        if (file.sha256 == f.sha256 && file.source_document_id == f.source_document_id)
          return document_blob(p_->dir, f.sha256);
    }
    return error(errc::not_found, "unknown_file", "no item shared with this partner holds it");
  });
}

result<bool> store::outbox_matches(std::int64_t outbox_id, std::string_view partner,
                                   std::int64_t revision) {
  return p_->guarded("outbox matches", [&]() -> result<bool> {
    auto c = p_->borrow();
    auto& st =
        c->cached("SELECT 1 FROM sharing_outbox WHERE id = ?1 AND partner = ?2 AND revision = ?3");
    st.bind_all(outbox_id, partner, revision);
    const bool yes = st.step();
    st.reset();
    return yes;
  });
}

result<std::vector<distribution_entry>> store::distribution(const viewer& who,
                                                            std::int64_t news_id) {
  if (!may_edit(who))
    return error(errc::forbidden, "editor_required", "only editors see where news was shared");
  return p_->guarded("distribution", [&]() -> result<std::vector<distribution_entry>> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto& ex = c->cached("SELECT 1 FROM news WHERE id = ?1 AND source_slug IS NULL");
    ex.bind(1, news_id);
    if (!ex.step()) return no_such_news();
    ex.reset();
    auto& st = c->cached(
        "SELECT t.partner, t.via, t.ended, t.delivered_revision, t.updated_at, i.revision,"
        " (SELECT COUNT(*) FROM sharing_outbox o WHERE o.news_id = t.news_id"
        "   AND o.partner = t.partner AND o.state = 'queued'),"
        " (SELECT MAX(o.attempts) FROM sharing_outbox o WHERE o.news_id = t.news_id"
        "   AND o.partner = t.partner AND o.state = 'queued'),"
        " (SELECT o.last_error FROM sharing_outbox o WHERE o.news_id = t.news_id"
        "   AND o.partner = t.partner AND o.state = 'queued' AND o.last_error <> ''"
        "   ORDER BY o.id DESC LIMIT 1)"
        " FROM sharing_targets t JOIN sharing_items i ON i.news_id = t.news_id"
        " WHERE t.news_id = ?1 ORDER BY t.partner");
    st.bind(1, news_id);
    std::vector<distribution_entry> out;
    while (st.step()) {
      distribution_entry e;
      e.partner = st.text(0);
      e.via = parse_via(st.text(1));
      e.delivered_revision = st.int64(3);
      e.updated_at_ms = st.int64(4);
      e.revision = st.int64(5);
      const auto queued = st.int64(6);
      e.attempts = st.opt_int64(7).value_or(0);
      e.last_error = st.opt_text(8).value_or("");
      if (st.int64(2) != 0)
        e.state = "ended";
      else if (queued > 0)
        e.state = e.attempts > 0 ? "failing" : "pending";
      else
        e.state = "delivered";
      out.push_back(std::move(e));
    }
    return out;
  });
}

result<std::size_t> store::sharing_partners_changed(const std::vector<std::string>& partners) {
  const auto list = json_strings(partners);
  return p_->guarded("partners changed", [&]() -> result<std::size_t> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    const auto now = now_ms();
    std::size_t changed = 0;
    std::vector<std::string> ended;
    {
      auto& st = c->cached(
          "SELECT DISTINCT partner FROM sharing_targets WHERE ended = 0"
          " AND partner NOT IN (SELECT value FROM json_each(?1))");
      st.bind(1, list);
      while (st.step()) ended.push_back(st.text(0));
      auto& st2 = c->cached(
          "SELECT DISTINCT source_slug FROM sharing_copies WHERE linked = 1"
          " AND source_slug NOT IN (SELECT value FROM json_each(?1))");
      st2.bind(1, list);
      while (st2.step()) ended.push_back(st2.text(0));
    }
    c->cached(
         "UPDATE sharing_targets SET ended = 1, updated_at = ?1 WHERE ended = 0"
         " AND partner NOT IN (SELECT value FROM json_each(?2))")
        .bind_all(now, list)
        .run();
    changed += static_cast<std::size_t>(c->changes());
    c->cached(
         "UPDATE sharing_outbox SET state = 'cancelled', done_at = ?1 WHERE state = 'queued'"
         " AND partner NOT IN (SELECT value FROM json_each(?2))")
        .bind_all(now, list)
        .run();
    c->cached(
         "UPDATE sharing_copies SET linked = 0, unlinked_at = ?1,"
         " unlink_reason = 'partnership_ended' WHERE linked = 1"
         " AND source_slug NOT IN (SELECT value FROM json_each(?2))")
        .bind_all(now, list)
        .run();
    changed += static_cast<std::size_t>(c->changes());
    std::sort(ended.begin(), ended.end());
    ended.erase(std::unique(ended.begin(), ended.end()), ended.end());
    for (const auto& p : ended)
      audit(*c, "operator", "partnership_ended", std::nullopt, p,
            "copies stop following; queued deliveries cancelled");
    tx.commit();
    return changed;
  });
}

// ---- Receiver side -----------------------------------------------------------------------------

result<apply_outcome> store::sharing_apply(const share_message& m,
                                           const std::optional<audience>& accept_as,
                                           std::string_view actor) {
  if (!valid_slug(m.source_slug) || m.source_slug == p_->slug)
    return error(errc::invalid_input, "invalid_source", "a delivery from an invalid source");
  if (m.payload.revision <= 0 || m.payload.news_id <= 0)
    return error(errc::invalid_input, "invalid_revision", "a delivery without a revision");
  auto f = receive_fields(m.payload);
  if (!f) return f.err();
  auto source_name = plain_text(m.source_name, "source_name", limits::max_name, true, false);
  if (!source_name) return source_name.err();
  return p_->guarded("apply shared news", [&]() -> result<apply_outcome> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    apply_guard guard(*c);
    const auto now = now_ms();
    shared_copy incoming;
    incoming.source_slug = m.source_slug;
    incoming.source_name = *source_name;
    incoming.source_news_id = m.payload.news_id;
    incoming.news.title = *f->title;
    incoming.news.summary = *f->summary;
    incoming.news.body = *f->body;
    incoming.news.author_name = m.payload.author_name;
    incoming.news.published_at_ms = m.payload.published_at_ms;
    incoming.news.unpublish_at_ms = m.payload.unpublish_at_ms;
    incoming.news.updated_at_ms = m.payload.updated_at_ms;
    incoming.news.target.roles = m.payload.roles;

    auto existing = find_copy(*c, "source_slug = ?1 AND source_news_id = ?2", m.payload.news_id,
                              std::string_view(m.source_slug));
    if (!existing) {
      bool automatic = false;
      auto& pol = c->cached("SELECT automatic FROM sharing_policies WHERE source_slug = ?1");
      pol.bind(1, m.source_slug);
      if (pol.step()) automatic = pol.int64(0) != 0;
      pol.reset();
      copy_status status = copy_status::pending;
      if (m.payload.withdrawn)
        status = copy_status::withdrawn;
      else if (accept_as || m.via == share_via::borrow || automatic)
        status = copy_status::accepted;
      const bool accepted = status == copy_status::accepted;
      c->cached(
           "INSERT INTO sharing_copies(source_slug, source_news_id, source_name, via, status,"
           " revision, title, summary, body, author_name, published_at, updated_at, roles_mask,"
           " news_id, received_at, decided_at, decided_by, unpublish_at, schedule_synced)"
           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
           " ?18, ?19)")
          .bind_all(m.source_slug, m.payload.news_id, incoming.source_name, to_string(m.via),
                    to_string(status), m.payload.revision, incoming.news.title,
                    incoming.news.summary, incoming.news.body, incoming.news.author_name,
                    incoming.news.published_at_ms, incoming.news.updated_at_ms,
                    static_cast<std::int64_t>(mask_of(m.payload.roles)),
                    std::optional<std::int64_t>(), now,
                    accepted ? std::optional<std::int64_t>(now) : std::nullopt,
                    accepted ? std::string(actor) : std::string(), incoming.news.unpublish_at_ms,
                    static_cast<std::int64_t>(m.payload.schedule_known))
          .run();
      const auto copy_id = c->last_insert_rowid();
      // The files come along as this tenant's own documents; the body points at them (a
      // withdrawn revision carries no files: its references are emptied).
      std::optional<share_payload> none;
      auto own = import_copy_files(*c, p_->dir, p_->slug, m.source_slug, copy_id,
                                   files_to_import(m.payload, !m.payload.withdrawn, none),
                                   incoming.news.body, incoming.source_name);
      if (!own) return own.err();
      incoming.news.body = std::move(own->body);
      incoming.news.attachments = std::move(own->attachments);
      c->cached("UPDATE sharing_copies SET body = ?1, attachments = ?2 WHERE id = ?3")
          .bind_all(incoming.news.body, json_ids(incoming.news.attachments), copy_id)
          .run();
      std::optional<std::int64_t> local;
      if (accepted) {
        auto id = insert_local_news(*c, incoming, accept_as);
        if (!id) return id.err();
        local = *id;
        c->cached("UPDATE sharing_copies SET news_id = ?1 WHERE id = ?2")
            .bind_all(*local, copy_id)
            .run();
      }
      const char* action = m.via == share_via::borrow ? "borrow"
                           : automatic                ? "auto_accept"
                                                      : "offer_received";
      audit(*c, actor, action, local, m.source_slug,
            "original " + std::to_string(m.payload.news_id) + " revision " +
                std::to_string(m.payload.revision));
      tx.commit();
      return apply_outcome::created;
    }

    auto k = std::move(*existing);
    bool changed = false;
    // A declined copy has no files left (sharing_decline); a borrow of it imports them again
    // from this delivery even when its revision is not newer.
    bool refill = false;
    // A borrow of something already offered accepts the offer (re-targeted as asked).
    if (accept_as && (k.status == copy_status::pending || k.status == copy_status::declined)) {
      refill = k.status == copy_status::declined;
      // A pending offer's files start counting against the quota now.
      if (const auto size = copy_files_size(*c, k.id); size > 0)
        if (auto q = check_document_quota(*c, size); !q) return q.err();
      k.news.target.roles = role_names(mask_of(k.news.target.roles));
      auto id = insert_local_news(*c, k, accept_as);
      if (!id) return id.err();
      c->cached(
           "UPDATE sharing_copies SET status = 'accepted', news_id = ?1, decided_at = ?2,"
           " decided_by = ?3 WHERE id = ?4")
          .bind_all(*id, now, actor, k.id)
          .run();
      k.status = copy_status::accepted;
      k.local_news_id = *id;
      audit(*c, actor, "borrow", *id, m.source_slug, "accepted a pending offer");
      changed = true;
    }
    if (!k.linked) {
      tx.commit();
      return changed ? apply_outcome::updated : apply_outcome::detached;
    }
    const bool same_revision = m.payload.revision == k.revision;
    if (m.payload.revision < k.revision || (same_revision && !refill) ||
        k.status == copy_status::withdrawn) {
      tx.commit();
      return changed ? apply_outcome::updated : apply_outcome::stale;
    }
    const copy_status status = m.payload.withdrawn ? copy_status::withdrawn : k.status;
    {  // files first: a quota refusal changes nothing
      // A withdrawn or declined copy keeps no files (nor gets new versions of them).
      const bool keep = status != copy_status::withdrawn && status != copy_status::declined;
      if (!keep) drop_copy_files(*c, k.id);
      std::optional<share_payload> none;
      auto own = import_copy_files(*c, p_->dir, p_->slug, m.source_slug, k.id,
                                   files_to_import(m.payload, keep, none), incoming.news.body,
                                   incoming.source_name);
      if (!own) return own.err();
      incoming.news.body = std::move(own->body);
      incoming.news.attachments = std::move(own->attachments);
    }
    // The original's schedule as this copy last received it (a local reschedule of an accepted
    // copy stays until the original's schedule changes). A sender that does not deliver
    // schedules (an older node) leaves the stored unpublish_at alone; a copy stored before
    // schedules were delivered records this one without applying it (it cannot tell the
    // original's change from the receiver's own).
    if (!m.payload.schedule_known) incoming.news.unpublish_at_ms = k.news.unpublish_at_ms;
    const bool schedule_changed = k.schedule_synced && m.payload.schedule_known &&
                                  (incoming.news.published_at_ms != k.news.published_at_ms ||
                                   incoming.news.unpublish_at_ms != k.news.unpublish_at_ms);
    c->cached(
         "UPDATE sharing_copies SET revision = ?1, title = ?2, summary = ?3, body = ?4,"
         " author_name = ?5, updated_at = ?6, roles_mask = ?7, status = ?8, source_name = ?9,"
         " attachments = ?11, published_at = ?12, unpublish_at = ?13, schedule_synced = ?14"
         " WHERE id = ?10")
        .bind_all(m.payload.revision, incoming.news.title, incoming.news.summary,
                  incoming.news.body, incoming.news.author_name, incoming.news.updated_at_ms,
                  static_cast<std::int64_t>(mask_of(m.payload.roles)), to_string(status),
                  incoming.source_name, k.id, json_ids(incoming.news.attachments),
                  incoming.news.published_at_ms, incoming.news.unpublish_at_ms,
                  static_cast<std::int64_t>(k.schedule_synced || m.payload.schedule_known))
        .run();
    if (k.local_news_id) {
      if (m.payload.withdrawn) {
        c->cached("UPDATE news SET deleted = 1, updated_at = ?1 WHERE id = ?2 AND deleted = 0")
            .bind_all(now, *k.local_news_id)
            .run();
      } else if (k.status == copy_status::accepted) {
        c->cached(
             "UPDATE news SET title = ?1, summary = ?2, body = ?3, author_name = ?4,"
             " updated_at = ?5, source_name = ?6, attachments = ?8 WHERE id = ?7 AND deleted = 0")
            .bind_all(incoming.news.title, incoming.news.summary, incoming.news.body,
                      incoming.news.author_name, std::max(now, incoming.news.published_at_ms),
                      incoming.source_name, *k.local_news_id, json_ids(incoming.news.attachments))
            .run();
        if (schedule_changed)  // unpublished, rescheduled or published now at the source
          c->cached(
               "UPDATE news SET published_at = ?1, unpublish_at = ?2 WHERE id = ?3 AND deleted = 0")
              .bind_all(incoming.news.published_at_ms, incoming.news.unpublish_at_ms,
                        *k.local_news_id)
              .run();
      }
    }
    if (m.payload.withdrawn)
      audit(*c, actor, "withdrawn", k.local_news_id, m.source_slug,
            "the original was withdrawn by its publisher");
    tx.commit();
    return apply_outcome::updated;
  });
}

result<std::vector<shared_copy>> store::sharing_inbox(const viewer& who) {
  if (!may_edit(who))
    return error(errc::forbidden, "editor_required", "only editors see the sharing inbox");
  return p_->guarded("sharing inbox", [&]() -> result<std::vector<shared_copy>> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    std::vector<shared_copy> out;
    {
      auto& st = c->cached("SELECT " SAMVERKA_COPY_COLUMNS
                           " FROM sharing_copies WHERE status <> 'withdrawn'"
                           " ORDER BY received_at DESC, id DESC LIMIT ?1");
      st.bind(1, static_cast<std::int64_t>(sharing_limits::max_inbox));
      while (st.step()) out.push_back(read_copy(st));
    }
    for (auto& k : out) attach_local(*c, k);
    return out;
  });
}

result<shared_copy> store::sharing_copy(std::int64_t copy_id) {
  return p_->guarded("shared copy", [&]() -> result<shared_copy> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto k = find_copy(*c, "id = ?1", copy_id);
    if (!k) return no_such_copy();
    attach_local(*c, *k);
    return std::move(*k);
  });
}

result<std::optional<shared_copy>> store::sharing_copy_of(std::string_view source_slug,
                                                          std::int64_t source_news_id) {
  return p_->guarded("shared copy", [&]() -> result<std::optional<shared_copy>> {
    auto c = p_->borrow();
    return find_copy(*c, "source_slug = ?1 AND source_news_id = ?2", source_news_id, source_slug);
  });
}

result<news_item> store::sharing_accept(const viewer& who, std::int64_t copy_id,
                                        const std::optional<audience>& target) {
  if (!may_edit(who))
    return error(errc::forbidden, "editor_required", "only editors accept shared news");
  return p_->guarded("accept shared news", [&]() -> result<news_item> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto k = find_copy(*c, "id = ?1", copy_id);
    if (!k) return no_such_copy();
    if (k->status == copy_status::accepted)
      return error(errc::conflict, "already_accepted", "this item is already accepted");
    if (k->status == copy_status::withdrawn)
      return error(errc::conflict, "withdrawn", "the partner has withdrawn this item");
    // A pending offer's files start counting against the quota now (a declined one has none
    // left: they come back with the original's next revision).
    if (const auto size = copy_files_size(*c, copy_id); size > 0)
      if (auto q = check_document_quota(*c, size); !q) return q.err();
    auto id = insert_local_news(*c, *k, target);
    if (!id) return id.err();
    c->cached(
         "UPDATE sharing_copies SET status = 'accepted', news_id = ?1, decided_at = ?2,"
         " decided_by = ?3 WHERE id = ?4")
        .bind_all(*id, now_ms(), who.email, copy_id)
        .run();
    audit(*c, who.email, "accept", *id, k->source_slug,
          "original " + std::to_string(k->source_news_id) + (target ? ", re-targeted" : ""));
    auto n = load_news(*c, *id);
    fill_news_extras(*c, *n);
    tx.commit();
    return std::move(*n);
  });
}

result<shared_copy> store::sharing_decline(const viewer& who, std::int64_t copy_id) {
  if (!may_edit(who))
    return error(errc::forbidden, "editor_required", "only editors decline shared news");
  return p_->guarded("decline shared news", [&]() -> result<shared_copy> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto k = find_copy(*c, "id = ?1", copy_id);
    if (!k) return no_such_copy();
    if (k->status == copy_status::declined) return std::move(*k);  // idempotent
    if (k->status != copy_status::pending)
      return error(
          errc::conflict, "not_pending",
          "only a pending offer can be declined; this one is " + std::string(to_string(k->status)));
    // Nobody reads a declined offer's files: they go now, and its body stops pointing at them.
    drop_copy_files(*c, copy_id);
    auto emptied = import_copy_files(*c, p_->dir, p_->slug, k->source_slug, copy_id,
                                     share_payload{}, k->news.body, k->source_name);
    if (!emptied) return emptied.err();
    c->cached(
         "UPDATE sharing_copies SET status = 'declined', decided_at = ?1, decided_by = ?2,"
         " body = ?4, attachments = '[]' WHERE id = ?3")
        .bind_all(now_ms(), who.email, copy_id, emptied->body)
        .run();
    k->news.body = std::move(emptied->body);
    k->news.attachments.clear();
    audit(*c, who.email, "decline", std::nullopt, k->source_slug,
          "original " + std::to_string(k->source_news_id));
    k->status = copy_status::declined;
    tx.commit();
    return std::move(*k);
  });
}

result<shared_copy> store::sharing_unlink(const viewer& who, std::int64_t local_news_id) {
  if (!may_edit(who))
    return error(errc::forbidden, "editor_required", "only editors unlink shared news");
  return p_->guarded("unlink shared news", [&]() -> result<shared_copy> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto k = find_copy(*c, "news_id = ?1", local_news_id);
    auto& live = c->cached("SELECT 1 FROM news WHERE id = ?1 AND deleted = 0");
    live.bind(1, local_news_id);
    const bool exists = live.step();
    live.reset();
    if (!k || !exists)
      return error(errc::not_found, "not_a_copy",
                   "no linked copy of a partner's news with this id");
    if (!k->linked)
      return error(errc::conflict, "already_unlinked", "this copy no longer follows its original");
    const auto now = now_ms();
    c->cached(
         "UPDATE sharing_copies SET linked = 0, unlinked_at = ?1, unlink_reason = 'editor'"
         " WHERE id = ?2")
        .bind_all(now, k->id)
        .run();
    audit(*c, who.email, "unlink", local_news_id, k->source_slug,
          "original " + std::to_string(k->source_news_id));
    k->linked = false;
    k->unlinked_at_ms = now;
    k->unlink_reason = "editor";
    attach_local(*c, *k);
    tx.commit();
    return std::move(*k);
  });
}

result<void> store::set_accept_policy(std::string_view source_slug, accept_policy p,
                                      std::string_view actor) {
  if (!valid_slug(source_slug) || source_slug == p_->slug)
    return error(errc::invalid_input, "invalid_partner", "not a valid partner slug");
  return p_->guarded("set accept policy", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    c->cached(
         "INSERT INTO sharing_policies(source_slug, automatic) VALUES (?1, ?2)"
         " ON CONFLICT(source_slug) DO UPDATE SET automatic = excluded.automatic")
        .bind_all(source_slug, static_cast<std::int64_t>(p == accept_policy::automatic))
        .run();
    audit(*c, actor, "policy", std::nullopt, source_slug, std::string(to_string(p)));
    tx.commit();
    return {};
  });
}

result<accept_policy> store::get_accept_policy(std::string_view source_slug) {
  return p_->guarded("accept policy", [&]() -> result<accept_policy> {
    auto c = p_->borrow();
    auto& st = c->cached("SELECT automatic FROM sharing_policies WHERE source_slug = ?1");
    st.bind(1, source_slug);
    return st.step() && st.int64(0) != 0 ? accept_policy::automatic : accept_policy::manual;
  });
}

result<void> store::sharing_record(std::string_view actor, std::string_view action,
                                   std::optional<std::int64_t> news_id, std::string_view partner,
                                   std::string_view detail) {
  return p_->guarded("sharing audit", [&]() -> result<void> {
    auto c = p_->borrow();
    audit(*c, actor, action, news_id, partner, detail);
    return {};
  });
}

result<std::vector<sharing_audit_entry>> store::sharing_audit_log(std::size_t limit) {
  return p_->guarded("sharing audit log", [&]() -> result<std::vector<sharing_audit_entry>> {
    auto c = p_->borrow();
    auto& st = c->cached(
        "SELECT id, at, actor, action, news_id, partner, detail FROM sharing_audit"
        " ORDER BY id DESC LIMIT ?1");
    st.bind(1, static_cast<std::int64_t>(limit));
    std::vector<sharing_audit_entry> out;
    while (st.step())
      out.push_back({st.int64(0), st.int64(1), st.text(2), st.text(3), st.opt_int64(4), st.text(5),
                     st.text(6)});
    return out;
  });
}

}  // namespace samverka::tenant
