// Content of one tenant: pages (tree, owners, review dates, approval, versions), guides,
// personal links, profiles and the audit trail. Schema and invariants: schema_content.hpp.
//
// Every change writes its audit entry (content_audit.hpp) and its search index rows
// (search_index.hpp) in the same write transaction as the change itself.
#include <fstream>

#include "content_audit.hpp"
#include "samverka/tenant/content_limits.hpp"
#include "search_index.hpp"
#include "store_impl.hpp"

namespace samverka::tenant {

using namespace detail;

namespace {

constexpr std::int64_t ms_per_day = 86'400'000;

bool is_admin(const viewer& v) {
  return has(v.roles, role::admin);
}

error no_such_page() {
  return error(errc::not_found, "unknown_page", "no such page");
}

error no_such_guide() {
  return error(errc::not_found, "unknown_guide", "no such guide");
}

// ---- Pages
// ---------------------------------------------------------------------------------------

#define SAMVERKA_PAGE_COLUMNS                                                          \
  "p.id, p.parent_id, p.title, p.body, p.owner_id, coalesce(u.name, ''), p.review_at," \
  " p.review_interval_days, p.requires_approval, p.live, p.version, p.publish_at,"     \
  " p.unpublish_at, p.created_at, p.updated_at,"                                       \
  " EXISTS (SELECT 1 FROM page_versions v WHERE v.page_id = p.id AND v.state = 'pending')"

page read_page_row(const db::statement& st) {
  page p;
  p.id = st.int64(0);
  p.parent_id = st.opt_int64(1);
  p.title = st.text(2);
  p.body = st.text(3);
  p.owner_id = st.int64(4);
  p.owner_name = st.text(5);
  p.review_at_ms = st.int64(6);
  p.review_interval_days = static_cast<int>(st.int64(7));
  p.requires_approval = st.int64(8) != 0;
  p.live = st.int64(9) != 0;
  p.version = static_cast<int>(st.int64(10));
  p.publish_at_ms = st.opt_int64(11);
  p.unpublish_at_ms = st.opt_int64(12);
  p.created_at_ms = st.int64(13);
  p.updated_at_ms = st.int64(14);
  p.pending = st.int64(15) != 0;
  return p;
}

std::optional<page> load_page(db::connection& c, std::int64_t id) {
  auto& st = c.cached("SELECT " SAMVERKA_PAGE_COLUMNS
                      " FROM pages p LEFT JOIN users u ON u.id = p.owner_id"
                      " WHERE p.id = ?1 AND p.deleted = 0");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  auto p = read_page_row(st);
  st.reset();
  return p;
}

bool page_in_schedule(const page& p, std::int64_t now) {
  return (!p.publish_at_ms || *p.publish_at_ms <= now) &&
         (!p.unpublish_at_ms || *p.unpublish_at_ms > now);
}

bool may_edit_page(const viewer& who, const page& p) {
  return may_edit(who) || p.owner_id == who.user_id;
}

bool may_read_page(const viewer& who, const page& p, std::int64_t now) {
  return (p.live && page_in_schedule(p, now)) || may_edit_page(who, p);
}

// Validated page text: title plain text, body sanitised HTML.
result<std::optional<std::string>> page_title(const std::optional<std::string>& t) {
  if (!t) return std::optional<std::string>{};
  auto r = plain_text(*t, "title", limits::max_title, true, false);
  if (!r) return r.err();
  return std::optional<std::string>(std::move(*r));
}

result<std::optional<std::string>> page_body(const std::optional<std::string>& b) {
  if (!b) return std::optional<std::string>{};
  auto s = sanitize_html(*b);
  if (s.size() > limits::max_body)
    return error(errc::too_large, "body_too_large",
                 "the page body is larger than " + std::to_string(limits::max_body) +
                     " bytes after sanitising");
  return std::optional<std::string>(std::move(s));
}

result<void> check_review_days(std::optional<int> d) {
  if (d && (*d < 1 || *d > limits::max_review_days))
    return error(errc::invalid_input, "invalid_review_interval",
                 "review_interval_days must be 1.." + std::to_string(limits::max_review_days));
  return {};
}

result<void> check_schedule(std::optional<std::int64_t> from, std::optional<std::int64_t> to) {
  if ((from && *from < 0) || (to && *to < 0))
    return error(errc::invalid_input, "invalid_schedule", "schedule times before 1970");
  if (from && to && *to <= *from)
    return error(errc::invalid_input, "invalid_schedule", "unpublish_at must be after publish_at");
  return {};
}

// The id of the active person with `email`, for page ownership.
result<std::int64_t> owner_by_email(db::connection& c, std::string_view email) {
  auto& st = c.cached("SELECT id FROM users WHERE email = ?1 AND active = 1");
  st.bind(1, ascii_lower(trim(email)));
  if (!st.step())
    return error(errc::invalid_input, "unknown_owner", "no active person with that e-mail");
  const auto id = st.int64(0);
  st.reset();
  return id;
}

// Checks that `parent` exists and that putting page `self` (0 for a new page) under it keeps
// the tree a tree of bounded depth.
result<void> check_parent(db::connection& c, std::int64_t parent, std::int64_t self) {
  auto& st = c.cached("SELECT parent_id FROM pages WHERE id = ?1 AND deleted = 0");
  std::optional<std::int64_t> at = parent;
  int depth = 0;
  while (at) {
    if (*at == self)
      return error(errc::invalid_input, "page_cycle", "a page cannot be placed under itself");
    if (++depth > limits::max_page_depth)
      return error(errc::invalid_input, "page_tree_too_deep",
                   "pages nest at most " + std::to_string(limits::max_page_depth) + " deep");
    st.reset();
    st.bind(1, *at);
    if (!st.step())
      return error(errc::invalid_input, "unknown_parent", "the parent page does not exist");
    at = st.opt_int64(0);
  }
  st.reset();
  return {};
}

void index_page(db::connection& c, const page& p) {
  if (p.live)
    index_put(c, "page", p.id, p.updated_at_ms, p.title, html_to_text(p.body), "");
  else
    index_drop(c, "page", p.id);
}

int next_version(db::connection& c, std::int64_t page_id) {
  auto& st = c.cached("SELECT coalesce(max(version), 0) + 1 FROM page_versions WHERE page_id = ?1");
  st.bind(1, page_id);
  st.step();
  const auto v = static_cast<int>(st.int64(0));
  st.reset();
  return v;
}

void insert_version(db::connection& c, std::int64_t page_id, int version, const std::string& title,
                    const std::string& body, const viewer& who, std::string_view state,
                    std::optional<std::string> approved_by = std::nullopt) {
  std::optional<std::int64_t> editor;
  if (who.user_id > 0) editor = who.user_id;
  c.cached(
       "INSERT INTO page_versions(page_id, version, title, body, editor_id, editor_name,"
       " created_at, state, approved_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
      .bind_all(page_id, static_cast<std::int64_t>(version), title, body, editor, who.name,
                now_ms(), state, approved_by)
      .run();
}

void write_page(db::connection& c, const page& p) {
  c.cached(
       "UPDATE pages SET parent_id = ?1, title = ?2, body = ?3, owner_id = ?4, review_at = ?5,"
       " review_interval_days = ?6, requires_approval = ?7, live = ?8, version = ?9,"
       " publish_at = ?10, unpublish_at = ?11, updated_at = ?12 WHERE id = ?13")
      .bind_all(p.parent_id, p.title, p.body, p.owner_id, p.review_at_ms,
                static_cast<std::int64_t>(p.review_interval_days),
                static_cast<std::int64_t>(p.requires_approval), static_cast<std::int64_t>(p.live),
                static_cast<std::int64_t>(p.version), p.publish_at_ms, p.unpublish_at_ms,
                p.updated_at_ms, p.id)
      .run();
}

// ---- Guides
// --------------------------------------------------------------------------------------

struct checked_guide {
  std::string title, summary;
  std::vector<guide_step> steps;
};

result<checked_guide> check_guide(const guide_draft& d) {
  checked_guide g;
  auto t = plain_text(d.title, "title", limits::max_title, true, false);
  if (!t) return t.err();
  g.title = std::move(*t);
  auto s = plain_text(d.summary, "summary", limits::max_summary, false, true);
  if (!s) return s.err();
  g.summary = std::move(*s);
  if (d.steps.empty())
    return error(errc::invalid_input, "steps_required", "a guide needs at least one step");
  if (d.steps.size() > limits::max_guide_steps)
    return error(errc::invalid_input, "too_many_steps",
                 "a guide has at most " + std::to_string(limits::max_guide_steps) + " steps");
  for (const auto& step : d.steps) {
    auto text = plain_text(step.text, "step_text", limits::max_step_text, true, true);
    if (!text) return text.err();
    guide_step out{std::move(*text), std::nullopt};
    if (step.image_ref) {
      auto ref = plain_text(*step.image_ref, "image_ref", limits::max_image_ref, false, false);
      if (!ref) return ref.err();
      if (!ref->empty()) out.image_ref = std::move(*ref);
    }
    g.steps.push_back(std::move(out));
  }
  return g;
}

void write_guide_steps(db::connection& c, std::int64_t id, const std::vector<guide_step>& steps) {
  c.cached("DELETE FROM guide_steps WHERE guide_id = ?1").bind(1, id).run();
  auto& ins =
      c.cached("INSERT INTO guide_steps(guide_id, position, text, image_ref) VALUES (?1,?2,?3,?4)");
  for (std::size_t i = 0; i < steps.size(); ++i) {
    ins.reset();
    ins.bind_all(id, static_cast<std::int64_t>(i + 1), steps[i].text, steps[i].image_ref).run();
  }
}

void index_guide(db::connection& c, std::int64_t id, std::int64_t at, const checked_guide& g) {
  std::string steps;
  for (const auto& s : g.steps) steps += s.text + "\n";
  index_put(c, "guide", id, at, g.title, g.summary, steps);
}

std::optional<guide> load_guide(db::connection& c, std::int64_t id) {
  auto& st = c.cached(
      "SELECT id, title, summary, author_name, updated_at FROM guides WHERE id = ?1 AND deleted = "
      "0");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  guide g;
  g.id = st.int64(0);
  g.title = st.text(1);
  g.summary = st.text(2);
  g.author_name = st.text(3);
  g.updated_at_ms = st.int64(4);
  st.reset();
  auto& steps =
      c.cached("SELECT text, image_ref FROM guide_steps WHERE guide_id = ?1 ORDER BY position");
  steps.bind(1, id);
  while (steps.step()) g.steps.push_back({steps.text(0), steps.opt_text(1)});
  return g;
}

// ---- Links
// ---------------------------------------------------------------------------------------

// An http(s) URL or an absolute path on this intranet ("/t/eksjo/..."); never javascript:, data:
// or protocol-relative "//host" (which would leave the intranet without saying so).
result<std::string> check_url(std::string_view in) {
  const auto u = trim(in);
  const error bad(errc::invalid_input, "invalid_url",
                  "url must start with https://, http:// or / and contain no spaces");
  if (u.empty() || u.size() > limits::max_url) return bad;
  for (char ch : u)
    if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f || ch == '"' || ch == '<' ||
        ch == '>' || ch == '\\')
      return bad;
  const auto lower = ascii_lower(u.substr(0, std::min<std::size_t>(u.size(), 8)));
  const bool web = lower.starts_with("https://") || lower.starts_with("http://");
  const bool path = u.starts_with('/') && !u.starts_with("//");
  if (!web && !path) return bad;
  if (web && u.size() <= (lower.starts_with("https://") ? 8u : 7u)) return bad;
  return std::string(u);
}

std::vector<user_link> load_links(db::connection& c, std::int64_t user_id) {
  auto& st = c.cached(
      "SELECT id, title, url, position FROM user_links WHERE user_id = ?1 ORDER BY position, id");
  st.bind(1, user_id);
  std::vector<user_link> out;
  while (st.step())
    out.push_back({st.int64(0), st.text(1), st.text(2), static_cast<int>(st.int64(3))});
  return out;
}

error no_such_link() {
  return error(errc::not_found, "unknown_link", "no such link");
}

// ---- Profiles and files
// --------------------------------------------------------------------------

// Where a content-addressed file lives: files/sha256/XX/HASH.
fs::path blob_path(const fs::path& dir, std::string_view hash) {
  return schema::files_path(dir) / "sha256" / std::string(hash.substr(0, 2)) / std::string(hash);
}

// Stores `bytes` by content hash (temp file, then an atomic rename); returns the hash.
result<std::string> put_blob(const fs::path& dir, std::string_view bytes) {
  const std::string hash = crypto::sha256_hex(bytes);
  const auto target = blob_path(dir, hash);
  std::error_code ec;
  if (fs::exists(target, ec)) return hash;
  fs::create_directories(target.parent_path(), ec);
  if (ec)
    return error(errc::internal, "create " + target.parent_path().string() + ": " + ec.message());
  const auto tmp = target.parent_path() / (".tmp-" + crypto::random_token(8));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      fs::remove(tmp, ec);
      return error(errc::internal, "write " + tmp.string() + " failed");
    }
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return error(errc::internal, "rename into " + target.string() + " failed");
  }
  return hash;
}

// The media type of an image by its first bytes; nullopt if not JPEG, PNG or WebP.
std::optional<std::string> image_type(std::string_view b) {
  if (b.size() >= 3 && b.substr(0, 3) == "\xff\xd8\xff") return "image/jpeg";
  if (b.size() >= 8 && b.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8))
    return "image/png";
  if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") return "image/webp";
  return std::nullopt;
}

std::optional<profile> load_profile(db::connection& c, std::int64_t user_id) {
  auto u = load_user(c, user_id);
  if (!u || !u->active) return std::nullopt;
  profile p;
  p.user_id = u->id;
  p.name = u->name;
  p.email = u->email;
  p.units = u->units;
  auto& st = c.cached(
      "SELECT title, phone, about, skills, photo_sha256 IS NOT NULL FROM profiles"
      " WHERE user_id = ?1");
  st.bind(1, user_id);
  if (st.step()) {
    p.title = st.text(0);
    p.phone = st.text(1);
    p.about = st.text(2);
    p.skills = st.text(3);
    p.has_photo = st.int64(4) != 0;
  }
  st.reset();
  // Profile strength: one equal share per field colleagues look for.
  const std::pair<const char*, bool> fields[] = {
      {"photo", p.has_photo},      {"title", !p.title.empty()}, {"unit", !p.units.empty()},
      {"phone", !p.phone.empty()}, {"about", !p.about.empty()}, {"skills", !p.skills.empty()},
  };
  int have = 0;
  for (const auto& [name, ok] : fields) {
    if (ok)
      ++have;
    else
      p.missing.emplace_back(name);
  }
  p.strength = have * 100 / static_cast<int>(std::size(fields));
  return p;
}

result<std::string> check_phone(std::string_view in) {
  const auto t = trim(in);
  if (t.size() > 40)
    return error(errc::invalid_input, "invalid_phone", "phone is longer than 40 characters");
  for (char ch : t)
    if (!((ch >= '0' && ch <= '9') || ch == ' ' || ch == '+' || ch == '-' || ch == '(' ||
          ch == ')'))
      return error(errc::invalid_input, "invalid_phone",
                   "phone may contain digits, spaces, +, -, ( and ) only");
  return std::string(t);
}

// ---- Audit
// ---------------------------------------------------------------------------------------

constexpr std::string_view audit_sql =
    "SELECT id, at, actor_id, actor_email, action, item_type, item_id, detail FROM audit_log"
    " WHERE (at, id) < (?1, ?2) AND (?3 IS NULL OR action = ?3) AND (?4 IS NULL OR item_type = ?4)"
    " AND (?5 IS NULL OR actor_email = ?5) AND (?6 IS NULL OR item_id = ?6)"
    " AND (?7 IS NULL OR at >= ?7) AND (?8 IS NULL OR at < ?8)"
    " ORDER BY at DESC, id DESC LIMIT ?9";

}  // namespace

// ---- Pages
// ---------------------------------------------------------------------------------------

result<page> store::create_page(const viewer& who, const page_draft& d) {
  if (!may_edit(who))
    return error(errc::forbidden, "editor_required", "only editors and admins create pages");
  auto title = page_title(d.title);
  if (!title) return title.err();
  auto body = page_body(d.body);
  if (!body) return body.err();
  if (auto r = check_review_days(d.review_interval_days); !r) return r.err();
  if (auto r = check_schedule(d.publish_at_ms, d.unpublish_at_ms); !r) return r.err();
  return p_->guarded("create page", [&]() -> result<page> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    std::int64_t owner = who.user_id;
    if (d.owner_email) {
      auto o = owner_by_email(*c, *d.owner_email);
      if (!o) return o.err();
      owner = *o;
    }
    if (d.parent_id)
      if (auto r = check_parent(*c, *d.parent_id, 0); !r) return r.err();
    const auto now = now_ms();
    page p;
    p.parent_id = d.parent_id;
    p.title = std::move(**title);
    p.body = std::move(**body);
    p.owner_id = owner;
    p.review_interval_days = d.review_interval_days.value_or(limits::default_review_days);
    p.review_at_ms = now + p.review_interval_days * ms_per_day;
    p.requires_approval = d.requires_approval;
    // With approval required, a page goes live only once its owner or an admin has approved it.
    p.live = !d.requires_approval || owner == who.user_id || is_admin(who);
    p.version = p.live ? 1 : 0;
    p.pending = !p.live;
    p.publish_at_ms = d.publish_at_ms;
    p.unpublish_at_ms = d.unpublish_at_ms;
    p.created_at_ms = p.updated_at_ms = now;
    c->cached(
         "INSERT INTO pages(parent_id, title, body, owner_id, review_interval_days, review_at,"
         " requires_approval, live, version, publish_at, unpublish_at, created_at, updated_at)"
         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")
        .bind_all(p.parent_id, p.title, p.body, p.owner_id,
                  static_cast<std::int64_t>(p.review_interval_days), p.review_at_ms,
                  static_cast<std::int64_t>(p.requires_approval), static_cast<std::int64_t>(p.live),
                  static_cast<std::int64_t>(p.version), p.publish_at_ms, p.unpublish_at_ms, now,
                  now)
        .run();
    p.id = c->last_insert_rowid();
    insert_version(*c, p.id, 1, p.title, p.body, who, p.live ? "live" : "pending");
    index_page(*c, p);
    record_audit(*c, who, "page.create", "page", p.id, p.title);
    auto out = load_page(*c, p.id);
    tx.commit();
    return std::move(*out);
  });
}

result<page> store::get_page(const viewer& who, std::int64_t id) {
  return p_->guarded("get page", [&]() -> result<page> {
    auto c = p_->borrow();
    auto p = load_page(*c, id);
    if (!p || !may_read_page(who, *p, now_ms())) return no_such_page();
    return std::move(*p);
  });
}

result<std::vector<page>> store::list_pages(const viewer& who) {
  return p_->guarded("list pages", [&]() -> result<std::vector<page>> {
    auto c = p_->borrow();
    auto& st = c->cached("SELECT " SAMVERKA_PAGE_COLUMNS
                         " FROM pages p LEFT JOIN users u ON u.id = p.owner_id"
                         " WHERE p.deleted = 0 ORDER BY p.title, p.id");
    std::vector<page> out;
    const auto now = now_ms();
    while (st.step() && out.size() < limits::max_page_list) {
      auto p = read_page_row(st);
      if (!may_read_page(who, p, now)) continue;
      p.body.clear();  // the tree needs titles, not bodies
      out.push_back(std::move(p));
    }
    return out;
  });
}

result<page> store::update_page(const viewer& who, std::int64_t id, const page_patch& patch) {
  auto title = page_title(patch.title);
  if (!title) return title.err();
  auto body = page_body(patch.body);
  if (!body) return body.err();
  if (auto r = check_review_days(patch.review_interval_days); !r) return r.err();
  return p_->guarded("update page", [&]() -> result<page> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto cur = load_page(*c, id);
    const auto now = now_ms();
    if (!cur || !may_read_page(who, *cur, now)) return no_such_page();
    if (!may_edit_page(who, *cur))
      return error(errc::forbidden, "forbidden",
                   "only the page's owner, editors and admins edit a page");
    page p = *cur;
    if (patch.owner_email) {
      auto o = owner_by_email(*c, *patch.owner_email);
      if (!o) return o.err();
      p.owner_id = *o;
    }
    if (patch.parent_id) {
      if (*patch.parent_id)
        if (auto r = check_parent(*c, **patch.parent_id, id); !r) return r.err();
      p.parent_id = *patch.parent_id;
    }
    if (patch.review_interval_days) p.review_interval_days = *patch.review_interval_days;
    if (patch.requires_approval) p.requires_approval = *patch.requires_approval;
    if (patch.publish_at_ms) p.publish_at_ms = *patch.publish_at_ms;
    if (patch.unpublish_at_ms) p.unpublish_at_ms = *patch.unpublish_at_ms;
    if (auto r = check_schedule(p.publish_at_ms, p.unpublish_at_ms); !r) return r.err();
    // Editing is reviewing: the next review is one interval from now.
    p.review_at_ms = now + p.review_interval_days * ms_per_day;
    p.updated_at_ms = now;
    const bool text_changed = *title || *body;
    const std::string new_title = *title ? **title : cur->title;
    const std::string new_body = *body ? **body : cur->body;
    const bool approver = cur->owner_id == who.user_id || is_admin(who);
    std::string action = "page.update";
    if (text_changed && cur->requires_approval && !approver) {
      // The live text stays; the edit waits for the owner or an admin.
      insert_version(*c, id, next_version(*c, id), new_title, new_body, who, "pending");
      action = "page.submit";
    } else if (text_changed) {
      c->cached(
           "UPDATE page_versions SET state = 'superseded' WHERE page_id = ?1"
           " AND state IN ('live', 'pending')")
          .bind(1, id)
          .run();
      p.version = next_version(*c, id);
      insert_version(*c, id, p.version, new_title, new_body, who, "live");
      p.title = new_title;
      p.body = new_body;
      p.live = true;
    }
    write_page(*c, p);
    index_page(*c, p);
    record_audit(*c, who, action, "page", id, new_title);
    auto out = load_page(*c, id);
    tx.commit();
    return std::move(*out);
  });
}

result<page> store::approve_page(const viewer& who, std::int64_t id) {
  return p_->guarded("approve page", [&]() -> result<page> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto cur = load_page(*c, id);
    const auto now = now_ms();
    if (!cur || !may_read_page(who, *cur, now)) return no_such_page();
    if (cur->owner_id != who.user_id && !is_admin(who))
      return error(errc::forbidden, "forbidden", "only the page's owner or an admin approves");
    auto& st = c->cached(
        "SELECT version, title, body FROM page_versions WHERE page_id = ?1 AND state = 'pending'"
        " ORDER BY version DESC LIMIT 1");
    st.bind(1, id);
    if (!st.step()) return error(errc::conflict, "nothing_pending", "no version awaits approval");
    page p = *cur;
    p.version = static_cast<int>(st.int64(0));
    p.title = st.text(1);
    p.body = st.text(2);
    st.reset();
    c->cached(
         "UPDATE page_versions SET state = 'superseded' WHERE page_id = ?1"
         " AND state IN ('live', 'pending') AND version != ?2")
        .bind_all(id, static_cast<std::int64_t>(p.version))
        .run();
    c->cached(
         "UPDATE page_versions SET state = 'live', approved_by = ?1 WHERE page_id = ?2"
         " AND version = ?3")
        .bind_all(who.name, id, static_cast<std::int64_t>(p.version))
        .run();
    p.live = true;
    p.updated_at_ms = now;
    p.review_at_ms = now + p.review_interval_days * ms_per_day;
    write_page(*c, p);
    index_page(*c, p);
    record_audit(*c, who, "page.approve", "page", id, p.title);
    auto out = load_page(*c, id);
    tx.commit();
    return std::move(*out);
  });
}

result<void> store::delete_page(const viewer& who, std::int64_t id) {
  return p_->guarded("delete page", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto cur = load_page(*c, id);
    if (!cur || !may_read_page(who, *cur, now_ms())) return no_such_page();
    if (!may_edit_page(who, *cur))
      return error(errc::forbidden, "forbidden", "only the owner, editors and admins delete");
    auto& kids = c->cached("SELECT 1 FROM pages WHERE parent_id = ?1 AND deleted = 0 LIMIT 1");
    kids.bind(1, id);
    if (kids.step())
      return error(errc::conflict, "page_has_children", "move or delete the sub-pages first");
    kids.reset();
    c->cached("UPDATE pages SET deleted = 1, updated_at = ?1 WHERE id = ?2")
        .bind_all(now_ms(), id)
        .run();
    index_drop(*c, "page", id);
    record_audit(*c, who, "page.delete", "page", id, cur->title);
    tx.commit();
    return {};
  });
}

result<std::vector<page_version>> store::page_versions(const viewer& who, std::int64_t id) {
  return p_->guarded("page versions", [&]() -> result<std::vector<page_version>> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto cur = load_page(*c, id);
    if (!cur || !may_read_page(who, *cur, now_ms())) return no_such_page();
    auto& st = c->cached(
        "SELECT version, title, editor_name, created_at, state, approved_by FROM page_versions"
        " WHERE page_id = ?1 ORDER BY version DESC");
    st.bind(1, id);
    std::vector<page_version> out;
    while (st.step())
      out.push_back({static_cast<int>(st.int64(0)), st.text(1), st.text(2), st.int64(3), st.text(4),
                     st.opt_text(5)});
    return out;
  });
}

result<std::vector<page>> store::pages_due_for_review(const viewer& who, bool all) {
  if (all && !is_admin(who))
    return error(errc::forbidden, "admin_required", "only admins see every page's review");
  return p_->guarded("pages due", [&]() -> result<std::vector<page>> {
    auto c = p_->borrow();
    auto& st = c->cached("SELECT " SAMVERKA_PAGE_COLUMNS
                         " FROM pages p LEFT JOIN users u ON u.id = p.owner_id"
                         " WHERE p.deleted = 0 AND p.review_at <= ?1 AND (?2 OR p.owner_id = ?3)"
                         " ORDER BY p.review_at, p.id LIMIT ?4");
    st.bind_all(now_ms() + limits::review_due_window_days * ms_per_day,
                static_cast<std::int64_t>(all), who.user_id,
                static_cast<std::int64_t>(limits::max_page_list));
    std::vector<page> out;
    while (st.step()) {
      auto p = read_page_row(st);
      p.body.clear();
      out.push_back(std::move(p));
    }
    return out;
  });
}

// ---- Guides
// --------------------------------------------------------------------------------------

result<guide> store::create_guide(const viewer& who, const guide_draft& d) {
  if (!may_edit(who))
    return error(errc::forbidden, "editor_required", "only editors and admins write guides");
  auto g = check_guide(d);
  if (!g) return g.err();
  return p_->guarded("create guide", [&]() -> result<guide> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    const auto now = now_ms();
    std::optional<std::int64_t> author;
    if (who.user_id > 0) author = who.user_id;
    c->cached(
         "INSERT INTO guides(title, summary, author_id, author_name, created_at, updated_at)"
         " VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .bind_all(g->title, g->summary, author, who.name, now, now)
        .run();
    const auto id = c->last_insert_rowid();
    write_guide_steps(*c, id, g->steps);
    index_guide(*c, id, now, *g);
    record_audit(*c, who, "guide.create", "guide", id, g->title);
    auto out = load_guide(*c, id);
    tx.commit();
    return std::move(*out);
  });
}

result<guide> store::get_guide(std::int64_t id) {
  return p_->guarded("get guide", [&]() -> result<guide> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto g = load_guide(*c, id);
    if (!g) return no_such_guide();
    return std::move(*g);
  });
}

result<guide> store::update_guide(const viewer& who, std::int64_t id, const guide_draft& d) {
  if (!may_edit(who))
    return error(errc::forbidden, "editor_required", "only editors and admins write guides");
  auto g = check_guide(d);
  if (!g) return g.err();
  return p_->guarded("update guide", [&]() -> result<guide> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    if (!load_guide(*c, id)) return no_such_guide();
    const auto now = now_ms();
    c->cached("UPDATE guides SET title = ?1, summary = ?2, updated_at = ?3 WHERE id = ?4")
        .bind_all(g->title, g->summary, now, id)
        .run();
    write_guide_steps(*c, id, g->steps);
    index_guide(*c, id, now, *g);
    record_audit(*c, who, "guide.update", "guide", id, g->title);
    auto out = load_guide(*c, id);
    tx.commit();
    return std::move(*out);
  });
}

result<void> store::delete_guide(const viewer& who, std::int64_t id) {
  if (!may_edit(who))
    return error(errc::forbidden, "editor_required", "only editors and admins delete guides");
  return p_->guarded("delete guide", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    c->cached("UPDATE guides SET deleted = 1, updated_at = ?1 WHERE id = ?2 AND deleted = 0")
        .bind_all(now_ms(), id)
        .run();
    if (c->changes() == 0) return no_such_guide();
    index_drop(*c, "guide", id);
    record_audit(*c, who, "guide.delete", "guide", id);
    tx.commit();
    return {};
  });
}

// ---- Links
// ---------------------------------------------------------------------------------------

result<std::vector<user_link>> store::list_links(const viewer& who) {
  return p_->guarded("list links", [&]() -> result<std::vector<user_link>> {
    auto c = p_->borrow();
    return load_links(*c, who.user_id);
  });
}

result<user_link> store::add_link(const viewer& who, std::string_view title, std::string_view url) {
  auto t = plain_text(title, "title", limits::max_title, true, false);
  if (!t) return t.err();
  auto u = check_url(url);
  if (!u) return u.err();
  return p_->guarded("add link", [&]() -> result<user_link> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto& st =
        c->cached("SELECT count(*), coalesce(max(position), 0) FROM user_links WHERE user_id = ?1");
    st.bind(1, who.user_id);
    st.step();
    const auto count = static_cast<std::size_t>(st.int64(0));
    const auto pos = st.int64(1) + 1;
    st.reset();
    if (count >= limits::max_links)
      return error(errc::unprocessable, "too_many_links",
                   "at most " + std::to_string(limits::max_links) + " links per person");
    c->cached(
         "INSERT INTO user_links(user_id, title, url, position, created_at)"
         " VALUES (?1, ?2, ?3, ?4, ?5)")
        .bind_all(who.user_id, *t, *u, pos, now_ms())
        .run();
    user_link l{c->last_insert_rowid(), *t, *u, static_cast<int>(pos)};
    record_audit(*c, who, "link.create", "link", l.id, l.title);
    tx.commit();
    return l;
  });
}

result<user_link> store::update_link(const viewer& who, std::int64_t id,
                                     std::optional<std::string_view> title,
                                     std::optional<std::string_view> url) {
  std::optional<std::string> t, u;
  if (title) {
    auto r = plain_text(*title, "title", limits::max_title, true, false);
    if (!r) return r.err();
    t = std::move(*r);
  }
  if (url) {
    auto r = check_url(*url);
    if (!r) return r.err();
    u = std::move(*r);
  }
  return p_->guarded("update link", [&]() -> result<user_link> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    c->cached(
         "UPDATE user_links SET title = coalesce(?1, title), url = coalesce(?2, url)"
         " WHERE id = ?3 AND user_id = ?4")
        .bind_all(t, u, id, who.user_id)
        .run();
    if (c->changes() == 0) return no_such_link();
    record_audit(*c, who, "link.update", "link", id);
    for (auto& l : load_links(*c, who.user_id))
      if (l.id == id) {
        tx.commit();
        return l;
      }
    return no_such_link();
  });
}

result<void> store::delete_link(const viewer& who, std::int64_t id) {
  return p_->guarded("delete link", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    c->cached("DELETE FROM user_links WHERE id = ?1 AND user_id = ?2")
        .bind_all(id, who.user_id)
        .run();
    if (c->changes() == 0) return no_such_link();
    record_audit(*c, who, "link.delete", "link", id);
    tx.commit();
    return {};
  });
}

result<std::vector<user_link>> store::order_links(const viewer& who,
                                                  const std::vector<std::int64_t>& ids) {
  return p_->guarded("order links", [&]() -> result<std::vector<user_link>> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto cur = load_links(*c, who.user_id);
    std::vector<std::int64_t> have, want = ids;
    for (const auto& l : cur) have.push_back(l.id);
    std::sort(have.begin(), have.end());
    std::sort(want.begin(), want.end());
    if (have != want)
      return error(errc::invalid_input, "invalid_order",
                   "ids must list each of your links exactly once");
    auto& st = c->cached("UPDATE user_links SET position = ?1 WHERE id = ?2 AND user_id = ?3");
    for (std::size_t i = 0; i < ids.size(); ++i) {
      st.reset();
      st.bind_all(static_cast<std::int64_t>(i + 1), ids[i], who.user_id).run();
    }
    record_audit(*c, who, "link.reorder", "user", who.user_id);
    auto out = load_links(*c, who.user_id);
    tx.commit();
    return out;
  });
}

// ---- Profiles
// ------------------------------------------------------------------------------------

result<profile> store::get_profile(std::int64_t user_id) {
  return p_->guarded("get profile", [&]() -> result<profile> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto p = load_profile(*c, user_id);
    if (!p) return error(errc::not_found, "unknown_person", "no such person");
    return std::move(*p);
  });
}

result<profile> store::update_profile(const viewer& who, const profile_patch& patch) {
  std::optional<std::string> title, phone, about, skills;
  if (patch.title) {
    auto r = plain_text(*patch.title, "title", limits::max_profile_field, false, false);
    if (!r) return r.err();
    title = std::move(*r);
  }
  if (patch.phone) {
    auto r = check_phone(*patch.phone);
    if (!r) return r.err();
    phone = std::move(*r);
  }
  if (patch.about) {
    auto r = plain_text(*patch.about, "about", limits::max_about, false, true);
    if (!r) return r.err();
    about = std::move(*r);
  }
  if (patch.skills) {
    auto r = plain_text(*patch.skills, "skills", limits::max_profile_field * 5, false, true);
    if (!r) return r.err();
    skills = std::move(*r);
  }
  return p_->guarded("update profile", [&]() -> result<profile> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    c->cached(
         "INSERT INTO profiles(user_id, updated_at) VALUES (?1, ?2)"
         " ON CONFLICT(user_id) DO NOTHING")
        .bind_all(who.user_id, now_ms())
        .run();
    c->cached(
         "UPDATE profiles SET title = coalesce(?1, title), phone = coalesce(?2, phone),"
         " about = coalesce(?3, about), skills = coalesce(?4, skills), updated_at = ?5"
         " WHERE user_id = ?6")
        .bind_all(title, phone, about, skills, now_ms(), who.user_id)
        .run();
    auto p = load_profile(*c, who.user_id);
    if (!p) return error(errc::not_found, "unknown_person", "no such person");
    index_person_extra(*c, who.user_id, p->title + "\n" + p->skills + "\n" + p->about);
    record_audit(*c, who, "profile.update", "user", who.user_id);
    tx.commit();
    return std::move(*p);
  });
}

result<profile> store::set_photo(const viewer& who, std::string_view bytes) {
  if (bytes.size() > limits::max_photo_bytes)
    return error(
        errc::too_large, "photo_too_large",
        "a photo may be at most " + std::to_string(limits::max_photo_bytes / 1024) + " KiB");
  auto type = image_type(bytes);
  if (!type)
    return error(errc::invalid_input, "unsupported_image", "the photo must be JPEG, PNG or WebP");
  auto hash = put_blob(p_->dir, bytes);  // outside the transaction: files are content-addressed
  if (!hash) return hash.err();
  return p_->guarded("set photo", [&]() -> result<profile> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    c->cached(
         "INSERT INTO profiles(user_id, updated_at) VALUES (?1, ?2)"
         " ON CONFLICT(user_id) DO NOTHING")
        .bind_all(who.user_id, now_ms())
        .run();
    c->cached(
         "UPDATE profiles SET photo_sha256 = ?1, photo_type = ?2, updated_at = ?3"
         " WHERE user_id = ?4")
        .bind_all(*hash, *type, now_ms(), who.user_id)
        .run();
    auto p = load_profile(*c, who.user_id);
    if (!p) return error(errc::not_found, "unknown_person", "no such person");
    record_audit(*c, who, "profile.photo", "user", who.user_id);
    tx.commit();
    return std::move(*p);
  });
}

result<std::pair<std::string, std::string>> store::get_photo(std::int64_t user_id) {
  std::string hash, type;
  auto found = p_->guarded("get photo", [&]() -> result<void> {
    auto c = p_->borrow();
    auto& st = c->cached(
        "SELECT f.photo_sha256, f.photo_type FROM profiles f JOIN users u ON u.id = f.user_id"
        " WHERE f.user_id = ?1 AND u.active = 1 AND f.photo_sha256 IS NOT NULL");
    st.bind(1, user_id);
    if (!st.step()) return error(errc::not_found, "no_photo", "no photo");
    hash = st.text(0);
    type = st.text(1);
    return {};
  });
  if (!found) return found.err();
  std::ifstream in(blob_path(p_->dir, hash), std::ios::binary);
  if (!in) return error(errc::internal, "the photo file is missing");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return std::pair{std::move(bytes), std::move(type)};
}

// ---- Audit
// ---------------------------------------------------------------------------------------

result<audit_page> store::list_audit(const viewer& who, const audit_filter& f) {
  if (!is_admin(who))
    return error(errc::forbidden, "admin_required", "only admins read the audit trail");
  std::int64_t after_at = std::numeric_limits<std::int64_t>::max();
  std::int64_t after_id = std::numeric_limits<std::int64_t>::max();
  if (f.cursor) {
    auto parsed = parse_cursor(*f.cursor);
    if (!parsed) return error(errc::invalid_input, "invalid_cursor", "malformed audit cursor");
    std::tie(after_at, after_id) = *parsed;
  }
  const std::size_t limit = std::clamp<std::size_t>(
      f.limit == 0 ? limits::default_audit_page : f.limit, 1, limits::max_audit_export);
  return p_->guarded("list audit", [&]() -> result<audit_page> {
    auto c = p_->borrow();
    auto& st = c->cached(audit_sql);
    st.bind_all(after_at, after_id, f.action, f.item_type, f.actor_email, f.item_id, f.since_ms,
                f.until_ms, static_cast<std::int64_t>(limit + 1));
    audit_page page;
    while (st.step()) {
      audit_entry e;
      e.id = st.int64(0);
      e.at_ms = st.int64(1);
      e.actor_id = st.opt_int64(2);
      e.actor_email = st.text(3);
      e.action = st.text(4);
      e.item_type = st.text(5);
      e.item_id = st.int64(6);
      e.detail = st.text(7);
      page.items.push_back(std::move(e));
    }
    if (page.items.size() > limit) {
      page.items.resize(limit);
      page.next_cursor =
          std::to_string(page.items.back().at_ms) + "." + std::to_string(page.items.back().id);
    }
    return page;
  });
}

}  // namespace samverka::tenant
