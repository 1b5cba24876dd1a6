// News of one tenant: publishing, audiences, the feed (keyset pagination), edits and deletes.
#include "content_audit.hpp"  // content feature: audit trail of news changes
#include "store_impl.hpp"

namespace samverka::tenant {

using namespace detail;

result<news_item> detail::insert_news(db::connection& c, const viewer& author, news_fields f,
                                      const audience& target,
                                      std::optional<std::int64_t> published_at_ms) {
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
    auto n = insert_news(*c, author, std::move(*f), d.target, d.published_at_ms);
    if (!n) return n.err();
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
  return p_->guarded("list news", [&]() -> result<news_page> {
    auto c = p_->borrow();
    db::read_txn tx(*c);  // the page and its audiences from one snapshot
    auto& st = c->cached(scope == news_scope::mine ? schema::feed_mine_sql : schema::feed_all_sql);
    if (scope == news_scope::mine)
      st.bind_all(after_at, after_id, roles, json_ids(who.reach), fetch);
    else
      st.bind_all(after_at, after_id, roles, fetch);
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
    if (!n || !(role_match || may_edit(who)))
      return error(errc::not_found, "unknown_news", "no such news item");
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
