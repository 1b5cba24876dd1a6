// Values of the content feature: pages with owners and review dates, their versions, guides,
// personal links, profiles, the start page and the audit trail. No I/O here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "samverka/tenant/model.hpp"

namespace samverka::tenant {

// ---- Pages
// ---------------------------------------------------------------------------------------

struct page {
  std::int64_t id = 0;
  std::optional<std::int64_t> parent_id;
  std::string title;
  std::string body;  // sanitised HTML of the live version
  std::int64_t owner_id = 0;
  std::string owner_name;
  std::int64_t review_at_ms = 0;  // the owner must look at the page by then
  int review_interval_days = 0;   // editing moves review_at to now + this
  bool requires_approval = false;
  bool live = false;     // false until the first version is approved
  int version = 0;       // live version number (0: none yet)
  bool pending = false;  // a draft waits for approval
  std::optional<std::int64_t> publish_at_ms, unpublish_at_ms;
  std::int64_t created_at_ms = 0, updated_at_ms = 0;
};

struct page_draft {
  std::string title;
  std::string body;                         // untrusted HTML; the store sanitises it
  std::optional<std::int64_t> parent_id;    // an existing page
  std::optional<std::string> owner_email;   // default: the creator
  std::optional<int> review_interval_days;  // default limits::default_review_days
  bool requires_approval = false;
  std::optional<std::int64_t> publish_at_ms, unpublish_at_ms;
};

// Fields absent are left unchanged. `clear_*` removes a schedule time.
struct page_patch {
  std::optional<std::string> title, body;
  std::optional<std::optional<std::int64_t>> parent_id;  // engaged null: move to the top
  std::optional<std::string> owner_email;
  std::optional<int> review_interval_days;
  std::optional<bool> requires_approval;
  std::optional<std::optional<std::int64_t>> publish_at_ms, unpublish_at_ms;
};

struct page_version {
  int version = 0;
  std::string title;
  std::string editor_name;
  std::int64_t created_at_ms = 0;
  std::string state;  // "live", "pending", "superseded", "rejected"
  std::optional<std::string> approved_by;
};

// ---- Guides
// --------------------------------------------------------------------------------------

struct guide_step {
  std::string text;                      // plain text
  std::optional<std::string> image_ref;  // a document id or URL path of an image
};

struct guide {
  std::int64_t id = 0;
  std::string title;
  std::string summary;
  std::vector<guide_step> steps;  // in order
  std::string author_name;
  std::int64_t updated_at_ms = 0;
};

struct guide_draft {
  std::string title;
  std::string summary;
  std::vector<guide_step> steps;
};

// ---- Personal links and profiles
// ------------------------------------------------------------------

struct user_link {
  std::int64_t id = 0;
  std::string title;
  std::string url;  // http(s) URL or a path on this intranet
  int position = 0;
};

struct profile {
  std::int64_t user_id = 0;
  std::string name, email;
  std::vector<std::string> units;
  std::string title, phone, about, skills;
  bool has_photo = false;
  int strength = 0;                  // 0..100
  std::vector<std::string> missing;  // field names that would raise the strength
};

// Fields absent are left unchanged.
struct profile_patch {
  std::optional<std::string> title, phone, about, skills;
};

// ---- Documents
// -----------------------------------------------------------------------------------

struct document_version {
  int version = 0;
  std::string file_name;
  std::string content_type;
  std::uint64_t size = 0;
  std::string sha256;
  std::string uploader;
  std::int64_t created_at_ms = 0;
};

struct document {
  std::int64_t id = 0;
  std::string title;
  int version = 0;                         // the current version
  std::vector<document_version> versions;  // newest first
  std::int64_t updated_at_ms = 0;
  // Scope: a group's file (readable by the group's readers only), or a file of a partner's
  // copy (readable by whoever may read the copy). Neither: every member reads it.
  std::optional<std::int64_t> group_id;
  std::optional<std::int64_t> copy_id;
};

// A file the gateway has already written to disk (inside the tenant's folder); the store moves
// it into place by content hash, or leaves it for the caller to remove on failure.
struct document_upload {
  std::string file_name;
  std::string content_type;
  std::filesystem::path spooled;
  // Upload into a group (any member of the group may; only its readers see it); else tenant-wide.
  std::optional<std::int64_t> group_id;
};

// ---- Audit trail
// ---------------------------------------------------------------------------------

struct audit_entry {
  std::int64_t id = 0;
  std::int64_t at_ms = 0;
  std::optional<std::int64_t> actor_id;
  std::string actor_email;
  std::string action;     // e.g. "page.update"
  std::string item_type;  // e.g. "page"
  std::int64_t item_id = 0;
  std::string detail;  // short human text, e.g. the new title
};

struct audit_filter {
  std::optional<std::string> action, item_type, actor_email;
  std::optional<std::int64_t> item_id, since_ms, until_ms;
  std::size_t limit = 50;
  std::optional<std::string> cursor;  // opaque, from audit_page::next_cursor
};

struct audit_page {
  std::vector<audit_entry> items;  // newest first
  std::optional<std::string> next_cursor;
};

}  // namespace samverka::tenant
