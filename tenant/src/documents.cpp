// Documents of one tenant: uploads by content hash, versions, per-file limit and tenant quota,
// downloads, and each person's recently used documents (content feature; schema_content.hpp).
//
// Design notes:
//  1. The gateway streams an upload to a temp file inside the tenant's folder (files/.uploads);
//     this file hashes it (SHA-256, streamed), then renames it to files/sha256/XX/HASH - the same
//     file system, so the rename is atomic and a half-written file is never visible under a hash.
//  2. The file lands before the database row commits. If the transaction fails, the blob stays
//     unreferenced: harmless (same bytes, same name) and reclaimable by a sweep; the opposite order
//     could commit a row whose file is missing.
//  3. Limits: the per-file size and the tenant quota (sum of all versions' sizes) are named
//     defaults in content_limits.hpp, configurable with the environment variables
//     SAMVERKA_MAX_DOCUMENT_BYTES and SAMVERKA_TENANT_QUOTA_BYTES (read once per process).
//  4. Text files (text/plain, up to max_indexed_text bytes) are indexed for search with their
//     content; other types by title and file name. PDF text extraction (poppler) is not built yet.
#include <openssl/evp.h>

#include <cstdlib>
#include <fstream>

#include "content2_impl.hpp"  // document scopes (group files, copies' files)
#include "content_audit.hpp"
#include "samverka/tenant/content_limits.hpp"
#include "search_index.hpp"
#include "store_impl.hpp"

namespace samverka::tenant {

using namespace detail;

namespace {

// Text of a plain-text upload indexed for search; more is rarely useful and costs index space.
constexpr std::uint64_t max_indexed_text = 1024 * 1024;
// Longest file name kept (most file systems allow 255 bytes).
constexpr std::size_t max_file_name = 255;

struct document_limits_t {
  std::uint64_t max_file = limits::default_max_document_bytes;
  std::uint64_t quota = limits::default_tenant_quota_bytes;
};

std::uint64_t env_bytes(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const auto n = std::strtoull(v, &end, 10);
  return (end && *end == '\0' && n > 0) ? n : fallback;
}

const document_limits_t& document_limits() {
  static const document_limits_t l{
      env_bytes("SAMVERKA_MAX_DOCUMENT_BYTES", limits::default_max_document_bytes),
      env_bytes("SAMVERKA_TENANT_QUOTA_BYTES", limits::default_tenant_quota_bytes)};
  return l;
}

error no_such_document() {
  return error(errc::not_found, "unknown_document", "no such document");
}

fs::path blob_file(const fs::path& dir, std::string_view hash) {
  return schema::files_path(dir) / "sha256" / std::string(hash.substr(0, 2)) / std::string(hash);
}

// SHA-256 (hex) of a file, read in chunks.
result<std::string> hash_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return error(errc::internal, "cannot read upload " + p.string());
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    return error(errc::internal, "sha256 init failed");
  std::vector<char> buf(64 * 1024);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0)
      EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), md, &len) != 1) return error(errc::internal, "sha256 failed");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

// A media type "type/subtype" of token characters (parameters dropped), lower-cased; default
// application/octet-stream.
std::string clean_media_type(std::string_view ct) {
  ct = trim(ct.substr(0, ct.find(';')));
  const auto slash = ct.find('/');
  auto token = [](std::string_view t) {
    if (t.empty() || t.size() > 100) return false;
    for (char c : t)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.' ||
            c == '_'))
        return false;
    return true;
  };
  if (slash == std::string_view::npos || !token(ct.substr(0, slash)) ||
      !token(ct.substr(slash + 1)))
    return "application/octet-stream";
  return ascii_lower(ct);
}

result<std::string> clean_file_name(std::string_view name) {
  auto n = plain_text(name, "file_name", max_file_name, true, false);
  if (!n) return n.err();
  if (n->find_first_of("/\\") != std::string::npos || *n == "." || *n == "..")
    return error(errc::invalid_input, "invalid_file_name", "file names cannot contain / or \\");
  return n;
}

// A checked, hashed upload, moved into the tenant's content-addressed store.
struct stored_file {
  std::string file_name, content_type, sha256;
  std::uint64_t size = 0;
};

result<stored_file> store_upload(const fs::path& dir, const document_upload& up) {
  stored_file f;
  auto name = clean_file_name(up.file_name);
  if (!name) return name.err();
  f.file_name = std::move(*name);
  f.content_type = clean_media_type(up.content_type);
  std::error_code ec;
  f.size = fs::file_size(up.spooled, ec);
  if (ec) return error(errc::internal, "cannot stat upload: " + ec.message());
  if (f.size == 0) return error(errc::invalid_input, "empty_file", "the file is empty");
  if (f.size > document_limits().max_file)
    return error(
        errc::too_large, "file_too_large",
        "a document may be at most " + std::to_string(document_limits().max_file) + " bytes");
  auto hash = hash_file(up.spooled);
  if (!hash) return hash.err();
  f.sha256 = std::move(*hash);
  const auto target = blob_file(dir, f.sha256);
  fs::create_directories(target.parent_path(), ec);
  if (ec) return error(errc::internal, "create " + target.parent_path().string());
  if (fs::exists(target, ec)) {
    fs::remove(up.spooled, ec);  // the same bytes are stored already
  } else {
    fs::rename(up.spooled, target, ec);
    if (ec) return error(errc::internal, "move upload into place: " + ec.message());
  }
  return f;
}

std::string indexed_text(const fs::path& dir, const stored_file& f) {
  if (f.content_type == "application/pdf") {  // search feature: PDF text (search_pdf.cpp)
    auto text = pdf_text(blob_file(dir, f.sha256));
    return text ? f.file_name + "\n" + *text : f.file_name;
  }
  if (f.content_type != "text/plain" || f.size > max_indexed_text) return f.file_name;
  std::ifstream in(blob_file(dir, f.sha256), std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!plain_chars(text, true)) return f.file_name;  // not clean UTF-8 text: name only
  return f.file_name + "\n" + text;
}

// A pending offer's files do not count until it is accepted (a partner must not be able to
// fill this tenant's quota with offers nobody accepts); declined and withdrawn copies have none.
result<void> check_quota(db::connection& c, std::uint64_t adding) {
  auto& st = c.cached(
      "SELECT coalesce(sum(v.size), 0) FROM document_versions v"
      " JOIN documents d ON d.id = v.document_id WHERE d.deleted = 0 AND (d.copy_id IS NULL"
      " OR NOT EXISTS (SELECT 1 FROM sharing_copies k WHERE k.id = d.copy_id"
      " AND k.status = 'pending'))");
  st.step();
  const auto used = static_cast<std::uint64_t>(st.int64(0));
  st.reset();
  if (used + adding > document_limits().quota)
    return error(errc::too_large, "quota_exceeded",
                 "the municipality's document storage quota (" +
                     std::to_string(document_limits().quota) + " bytes) would be exceeded");
  return {};
}

std::optional<document> load_document(db::connection& c, std::int64_t id) {
  auto& st = c.cached(
      "SELECT id, title, version, updated_at FROM documents WHERE id = ?1 AND deleted = 0");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  document d;
  d.id = st.int64(0);
  d.title = st.text(1);
  d.version = static_cast<int>(st.int64(2));
  d.updated_at_ms = st.int64(3);
  st.reset();
  auto& vs = c.cached(
      "SELECT version, file_name, content_type, size, sha256, uploader, created_at"
      " FROM document_versions WHERE document_id = ?1 ORDER BY version DESC");
  vs.bind(1, id);
  while (vs.step())
    d.versions.push_back({static_cast<int>(vs.int64(0)), vs.text(1), vs.text(2),
                          static_cast<std::uint64_t>(vs.int64(3)), vs.text(4), vs.text(5),
                          vs.int64(6)});
  return d;
}

void insert_document_version(db::connection& c, std::int64_t id, int version, const stored_file& f,
                             const viewer& who) {
  c.cached(
       "INSERT INTO document_versions(document_id, version, file_name, content_type, size,"
       " sha256, uploader, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
      .bind_all(id, static_cast<std::int64_t>(version), f.file_name, f.content_type,
                static_cast<std::int64_t>(f.size), f.sha256, who.name, now_ms())
      .run();
}

error uploader_required() {
  return error(errc::forbidden, "editor_required", "only editors and admins upload documents");
}

}  // namespace

result<document> store::create_document(const viewer& who, std::string_view title,
                                        const document_upload& up) {
  if (!up.group_id && !may_edit(who)) return uploader_required();  // group files: members
  std::string t;
  if (!trim(title).empty()) {
    auto r = plain_text(title, "title", limits::max_title, true, false);
    if (!r) return r.err();
    t = std::move(*r);
  }
  if (up.group_id) {  // checked before the bytes land too: a non-member leaves no blob behind
    auto g = p_->guarded("check group upload", [&]() -> result<void> {
      auto c = p_->borrow();
      return check_group_upload(*c, who, *up.group_id);
    });
    if (!g) return g.err();
  }
  auto f = store_upload(p_->dir, up);
  if (!f) return f.err();
  if (t.empty()) t = f->file_name;
  const auto text = indexed_text(p_->dir, *f);
  return p_->guarded("create document", [&]() -> result<document> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    if (up.group_id)
      if (auto g = check_group_upload(*c, who, *up.group_id); !g) return g.err();
    if (auto q = check_quota(*c, f->size); !q) return q.err();
    const auto now = now_ms();
    std::optional<std::int64_t> owner;
    if (who.user_id > 0) owner = who.user_id;
    c->cached(
         "INSERT INTO documents(title, version, owner_id, created_at, updated_at)"
         " VALUES (?1, 1, ?2, ?3, ?3)")
        .bind_all(t, owner, now)
        .run();
    const auto id = c->last_insert_rowid();
    insert_document_version(*c, id, 1, *f, who);
    if (up.group_id)  // a group's file: never in search (content2.cpp, design note 2)
      c->cached("UPDATE documents SET group_id = ?1 WHERE id = ?2")
          .bind_all(*up.group_id, id)
          .run();
    else
      index_put(*c, "document", id, now, t, text, "");
    record_audit(*c, who, "document.create", "document", id, t);
    auto d = load_document(*c, id);
    tx.commit();
    return std::move(*d);
  });
}

result<document> store::add_document_version(const viewer& who, std::int64_t id,
                                             const document_upload& up) {
  if (!may_edit(who)) return uploader_required();
  auto f = store_upload(p_->dir, up);
  if (!f) return f.err();
  const auto text = indexed_text(p_->dir, *f);
  return p_->guarded("add document version", [&]() -> result<document> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto cur = load_document(*c, id);
    if (!cur || !document_visible(*c, who, id)) return no_such_document();
    if (auto q = check_quota(*c, f->size); !q) return q.err();
    const int v = cur->version + 1;
    const auto now = now_ms();
    insert_document_version(*c, id, v, *f, who);
    c->cached("UPDATE documents SET version = ?1, updated_at = ?2 WHERE id = ?3")
        .bind_all(static_cast<std::int64_t>(v), now, id)
        .run();
    if (!document_scoped(*c, id)) index_put(*c, "document", id, now, cur->title, text, "");
    record_audit(*c, who, "document.version", "document", id,
                 cur->title + " v" + std::to_string(v));
    auto d = load_document(*c, id);
    tx.commit();
    return std::move(*d);
  });
}

result<document> store::get_document(std::int64_t id) {
  return p_->guarded("get document", [&]() -> result<document> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto d = load_document(*c, id);
    if (!d) return no_such_document();
    return std::move(*d);
  });
}

result<std::pair<document_version, fs::path>> store::open_document(const viewer& who,
                                                                   std::int64_t id,
                                                                   std::optional<int> version) {
  return p_->guarded("open document", [&]() -> result<std::pair<document_version, fs::path>> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    auto d = load_document(*c, id);
    if (!d || !document_visible(*c, who, id)) return no_such_document();
    const int want = version.value_or(d->version);
    auto it = std::find_if(d->versions.begin(), d->versions.end(),
                           [&](const auto& v) { return v.version == want; });
    if (it == d->versions.end())
      return error(errc::not_found, "unknown_version", "no such version");
    if (who.user_id > 0)
      c->cached(
           "INSERT INTO document_uses(user_id, document_id, used_at) VALUES (?1, ?2, ?3)"
           " ON CONFLICT(user_id, document_id) DO UPDATE SET used_at = excluded.used_at")
          .bind_all(who.user_id, id, now_ms())
          .run();
    tx.commit();
    return std::pair{*it, blob_file(p_->dir, it->sha256)};
  });
}

result<void> store::delete_document(const viewer& who, std::int64_t id) {
  if (!may_edit(who)) return uploader_required();
  return p_->guarded("delete document", [&]() -> result<void> {
    auto c = p_->borrow();
    db::write_txn tx(*c);
    if (!document_visible(*c, who, id)) return no_such_document();
    c->cached("UPDATE documents SET deleted = 1, updated_at = ?1 WHERE id = ?2 AND deleted = 0")
        .bind_all(now_ms(), id)
        .run();
    if (c->changes() == 0) return no_such_document();
    index_drop(*c, "document", id);
    record_audit(*c, who, "document.delete", "document", id);
    tx.commit();
    return {};
  });
}

result<std::vector<document>> store::recent_documents(const viewer& who) {
  return p_->guarded("recent documents", [&]() -> result<std::vector<document>> {
    auto c = p_->borrow();
    db::read_txn tx(*c);
    auto& st = c->cached(
        "SELECT u.document_id FROM document_uses u JOIN documents d ON d.id = u.document_id"
        " WHERE u.user_id = ?1 AND d.deleted = 0 ORDER BY u.used_at DESC LIMIT ?2");
    st.bind_all(who.user_id, static_cast<std::int64_t>(limits::recent_documents));
    std::vector<std::int64_t> ids;
    while (st.step()) ids.push_back(st.int64(0));
    st.reset();
    std::vector<document> out;
    for (auto id : ids) {
      if (!document_visible(*c, who, id)) continue;  // e.g. the group was left since
      if (auto d = load_document(*c, id)) out.push_back(std::move(*d));
    }
    return out;
  });
}

}  // namespace samverka::tenant

// ---- Shared with content2.cpp (attachments, files of shared news) -----------------------------

namespace samverka::tenant::detail {

result<void> check_document_quota(db::connection& c, std::uint64_t adding) {
  return check_quota(c, adding);
}

fs::path document_blob(const fs::path& dir, std::string_view sha256) {
  return blob_file(dir, sha256);
}

result<std::string> hash_document_file(const fs::path& p) {
  return hash_file(p);
}

}  // namespace samverka::tenant::detail
