// News of one tenant: publishing, audiences, the feed (keyset pagination), edits and deletes.
#include "content2_impl.hpp"  // attachments, copies' following state
#include "content_audit.hpp"  // content feature: audit trail of news changes
#include "store_impl.hpp"

namespace samverka::tenant {

using namespace detail;

result<news_item> detail::insert_news(db::connection& c, const viewer& author, news_fields f,
                                      const audience& target,
                                      std::optional<std::int64_t> published_at_ms,
                                      std::optional<std::int64_t> unpublish_at_ms) {
  // Scheduling: an item leaves feeds after it appeared, never before.
  if (unpublish_at_ms && *unpublish_at_ms <= published_at_ms.value_or(now_ms()))
    return error(errc::invalid_input, "invalid_schedule", "unpublish_at must be after publish_at");
  auto a = resolve_audience(c, target);
  if (!a) return a.err();
  news_item n;
  n.title = std::move(*f.title);
  n.summary = std::move(*f.summary);
  n.body = std::move(*f.body);
  n.published_at_ms = n.updated_at_ms = published_at_ms.value_or(now_ms());
  n.author_name = author.name;
  n.target.units = a->units.names;
  n.target.roles = role_names(a->roles);
  std::optional<std::int64_t> author_id;
  if (author.user_id > 0) author_id = author.user_id;
  c.cached(
       "INSERT INTO news(title, summary, body, author_id, author_name, published_at, updated_at,"
       " roles_mask, all_units) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
      .bind_all(n.title, n.summary, n.body, author_id, n.author_name, n.published_at_ms,
                n.updated_at_ms, static_cast<std::int64_t>(a->roles),
                static_cast<std::int64_t>(a->units.ids.empty()))
      .run();
  n.id = c.last_insert_rowid();
  if (unpublish_at_ms) {  // scheduling
    c.cached("UPDATE news SET unpublish_at = ?1 WHERE id = ?2")
        .bind_all(*unpublish_at_ms, n.id)
        .run();
    n.unpublish_at_ms = unpublish_at_ms;
  }
  write_news_units(c, n.id, *a);
  record_audit(c, author, "news.create", "news", n.id, n.title);
  return n;
}

// ---- News --------------------------------------------------------------------------------------

result<news_item> store::create_news(const viewer& author, const news_draft& d) {
  if (!may_edit(author)) return editor_required();
  auto f = prepare_fields(d.title, d.summary, d.body);
  if (!f) return f.err();
  if (d.published_at_ms && *d.published_at_ms < 0)
    return error(errc::invalid_input, "invalid_published_at", "publication time before 1970");
  return p_->guarded("create news", [&]() -> result<news_item> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto n = insert_news(*c, author, std::move(*f), d.target, d.published_at_ms, d.unpublish_at_ms);
    if (!n) return n.err();
    if (!d.attachments.empty()) {
      if (auto a = set_news_attachments(*c, author, n->id, d.attachments); !a) return a.err();
      n->attachments = d.attachments;
    }
    tx.commit();
    return n;
  });
}

result<news_page> store::list_news(const viewer& who, news_scope scope, std::size_t limit,
                                   std::optional<std::string_view> cursor) {
  std::int64_t after_at = std::numeric_limits<std::int64_t>::max();
  std::int64_t after_id = std::numeric_limits<std::int64_t>::max();
  if (cursor) {
    auto parsed = parse_cursor(*cursor);
    if (!parsed) return error(errc::invalid_input, "invalid_cursor", "malformed news cursor");
    std::tie(after_at, after_id) = *parsed;
  }
  if (limit == 0) limit = limits::default_page;
  limit = std::clamp<std::size_t>(limit, 1, limits::max_page);
  const auto fetch = static_cast<std::int64_t>(limit) + 1;  // one more tells if a next page exists
  const auto roles = static_cast<std::int64_t>(who.roles | bit(role::employee));
  // Scheduling: the walk starts at "now", so items published later cost nothing (the keyset
  // bound is on the index); the unpublish check runs only on rows the page returns anyway.
  const std::int64_t now = now_ms();
  if (after_at > now)
    std::tie(after_at, after_id) = std::pair<std::int64_t, std::int64_t>(now + 1, 0);
  // Everyone with the same roles and reach gets the same page (read_cache.hpp).
  std::string key = std::to_string(roles);
  key += scope == news_scope::mine ? 'm' : 'a';
  if (scope == news_scope::mine)
    for (const auto id : who.reach) key.append(1, ',').append(std::to_string(id));
  key.append(1, '/').append(std::to_string(limit)).append(1, '/').append(cursor.value_or(""));
  return p_->guarded("list news", [&]() -> result<news_page> {
    auto c = p_->borrow();
    const auto generation = c.generation();  // before reading
    if (auto hit = p_->feed_pages.find(key, generation, now)) return std::move(*hit);
    db::read_txn tx(*c);  // the page and its audiences from one snapshot
    auto& st = c->cached(scope == news_scope::mine ? schema::feed_mine_sql : schema::feed_all_sql);
    if (scope == news_scope::mine)
      st.bind_all(after_at, after_id, roles, json_ids(who.reach), fetch, now);
    else
      st.bind_all(after_at, after_id, roles, fetch, now);
    news_page page;
    bool any_units = false;  // a page of whole-tenant news needs no audience lookup
    while (st.step()) {
      page.items.push_back(read_news_row(st));
      any_units = any_units || targets_units(st);
    }
    if (page.items.size() > limit) {
      page.items.resize(limit);
      page.next_cursor = encode_cursor(page.items.back());
    }
    if (any_units) fill_units(*c, page.items);
    fill_news_extras(*c, page.items);
    p_->feed_pages.put(std::move(key), page, generation, now + detail::feed_page_ttl.count());
    return page;
  });
}

result<news_item> store::get_news(const viewer& who, std::int64_t id) {
  return p_->guarded("get news", [&]() -> result<news_item> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    role_mask target = 0;
    auto n = load_news(*c, id, &target);
    const bool role_match = target == 0 || (target & (who.roles | bit(role::employee))) != 0;
    // Scheduling: outside its window an item is only for editors and admins (its author is one).
    const bool live = n && news_live(*n, now_ms());
    if (!n || !((role_match && live) || may_edit(who)))
      return error(errc::not_found, "unknown_news", "no such news item");
    fill_news_extras(*c, *n);
    return std::move(*n);
  });
}

result<news_item> store::update_news(const viewer& who, std::int64_t id, const news_patch& patch) {
  if (!may_edit(who)) return editor_required();
  auto f = prepare_fields(patch.title, patch.summary, patch.body);
  if (!f) return f.err();
  return p_->guarded("update news", [&]() -> result<news_item> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto cur = load_news(*c, id);
    if (!cur) return error(errc::not_found, "unknown_news", "no such news item");
    if (f->title) cur->title = std::move(*f->title);
    if (f->summary) cur->summary = std::move(*f->summary);
    if (f->body) cur->body = std::move(*f->body);
    cur->updated_at_ms = std::max(now_ms(), cur->published_at_ms);
    c->cached("UPDATE news SET title = ?1, summary = ?2, body = ?3, updated_at = ?4 WHERE id = ?5")
        .bind_all(cur->title, cur->summary, cur->body, cur->updated_at_ms, id)
        .run();
    if (patch.target) {
      auto a = resolve_audience(*c, *patch.target);
      if (!a) return a.err();
      c->cached("UPDATE news SET roles_mask = ?1, all_units = ?2 WHERE id = ?3")
          .bind_all(static_cast<std::int64_t>(a->roles),
                    static_cast<std::int64_t>(a->units.ids.empty()), id)
          .run();
      write_news_units(*c, id, *a);
      cur->target.units = a->units.names;
      cur->target.roles = role_names(a->roles);
    }
    if (patch.publish_at_ms || patch.unpublish_at_ms) {  // scheduling
      const std::int64_t now = now_ms();
      std::int64_t pub = cur->published_at_ms;
      if (patch.publish_at_ms) {
        const auto& at = *patch.publish_at_ms;
        if (at && *at > now)
          pub = *at;  // (re)scheduled
        else if (pub > now)
          pub = now;  // a scheduled item published now; a published one is never back-dated
      }
      const auto unpub = patch.unpublish_at_ms ? *patch.unpublish_at_ms : cur->unpublish_at_ms;
      if (unpub && *unpub <= pub)
        return error(errc::invalid_input, "invalid_schedule",
                     "unpublish_at must be after publish_at");
      cur->published_at_ms = pub;
      cur->unpublish_at_ms = unpub;
      cur->updated_at_ms = std::max(now, pub);
      c->cached(
           "UPDATE news SET published_at = ?1, unpublish_at = ?2, updated_at = ?3 WHERE id = ?4")
          .bind_all(pub, unpub, cur->updated_at_ms, id)
          .run();
    }
    if (patch.attachments)
      if (auto a = set_news_attachments(*c, who, id, *patch.attachments); !a) return a.err();
    fill_news_extras(*c, *cur);
    record_audit(*c, who, "news.update", "news", id, cur->title);  // content feature
    tx.commit();
    return std::move(*cur);
  });
}

result<void> store::delete_news(const viewer& who, std::int64_t id) {
  if (!may_edit(who)) return editor_required();
  return p_->guarded("delete news", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    c->cached("UPDATE news SET deleted = 1, updated_at = ?1 WHERE id = ?2 AND deleted = 0")
        .bind_all(now_ms(), id)
        .run();
    if (c->changes() == 0) return error(errc::not_found, "unknown_news", "no such news item");
    record_audit(*c, who, "news.delete", "news", id);  // content feature
    tx.commit();
    return {};
  });
}

}  // namespace samverka::tenant
