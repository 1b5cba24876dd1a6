// Private to samverka_tenant: helpers of the second content round (content2.cpp) that news.cpp,
// sharing.cpp, social.cpp and documents.cpp call inside their own transactions: document
// visibility, attachments, and the files that travel with shared news.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "samverka/core/error.hpp"
#include "samverka/db/sqlite.hpp"
#include "samverka/tenant/model.hpp"
#include "samverka/tenant/sharing.hpp"
#include "samverka/tenant/social.hpp"

namespace samverka::tenant::detail {

// "[1,2]" -> {1, 2}; anything malformed yields what parsed before it (the column is ours).
std::vector<std::int64_t> parse_id_list(std::string_view json);

// Whether `who` may read document `id` (not deleted; a group's file only for the group's
// readers; a copy's file only for readers of the copy's local news, or editors).
bool document_visible(db::connection& c, const viewer& who, std::int64_t id);

// Whether `who` may upload into group `group_id` (its members; a closed group the viewer is not
// in is not_found, like everything of it).
result<void> check_group_upload(db::connection& c, const viewer& who, std::int64_t group_id);

// Whether a document is a group's or a copy's (kept out of the search index).
bool document_scoped(db::connection& c, std::int64_t id);

// Checks attachments (at most content2_limits::max_attachments, no duplicates) and returns them
// as a JSON array. Each must be a document `who` may read; for news (`group` nullopt) only
// tenant-wide documents, for a post in `group` tenant-wide documents or that group's files.
// A bad id is invalid_input "invalid_attachment" (nothing of the caller's change is written).
result<std::string> checked_attachments(db::connection& c, const viewer& who,
                                        const std::vector<std::int64_t>& ids,
                                        std::optional<std::int64_t> group);

// Sets the attachments of news `news_id` / post `post_id` (checked as above).
result<void> set_news_attachments(db::connection& c, const viewer& who, std::int64_t news_id,
                                  const std::vector<std::int64_t>& ids);
result<void> set_post_attachments(db::connection& c, const viewer& who, std::int64_t post_id,
                                  std::int64_t group_id, const std::vector<std::int64_t>& ids);

// Fills attachments and, for copies from partners, whether they still follow their original.
void fill_news_extras(db::connection& c, std::vector<news_item>& items);
void fill_news_extras(db::connection& c, news_item& item);

// Source side: the documents a shared revision references (its attachments and the document
// URLs of this tenant in its body), as files for the relay to copy. Group and copy files and
// deleted documents are left out (the receiver drops references to them).
std::vector<shared_file> files_for_share(db::connection& c, std::string_view self_slug,
                                         std::string_view body,
                                         const std::vector<std::int64_t>& attachments);

// Receiver side, inside sharing_apply's transaction: makes (or updates) this tenant's own
// document for every file of `p` (scoped to copy `copy_id`; the bytes must already be in this
// tenant's files, copied by the relay), checks the quota, and returns the body and attachments
// rewritten to this tenant's URLs and ids. No reference to the source's documents survives.
struct copy_content {
  std::string body;
  std::vector<std::int64_t> attachments;
};
result<copy_content> import_copy_files(db::connection& c, const std::filesystem::path& dir,
                                       std::string_view self_slug, std::string_view source_slug,
                                       std::int64_t copy_id, const share_payload& p,
                                       std::string_view body, std::string_view source_name);

// `body` with every document URL emptied: for previews shown to another tenant (the partner
// catalogue), which must not link to this tenant's files behind its login.
std::string without_document_links(std::string_view body);

// Receiver side: removes the documents of copy `copy_id` (with their versions, uses and
// sharing_copy_files rows) when nobody may read them any more (declined or withdrawn), so they
// stop counting against the quota. The bytes stay on disk (content-addressed, maybe shared).
void drop_copy_files(db::connection& c, std::int64_t copy_id);

// The size of copy `copy_id`'s document versions, for the quota check when a pending offer
// (whose files do not count yet) is accepted.
std::uint64_t copy_files_size(db::connection& c, std::int64_t copy_id);

// Defined in documents.cpp (its limits and file layout, shared with content2.cpp).
result<void> check_document_quota(db::connection& c, std::uint64_t adding);
std::filesystem::path document_blob(const std::filesystem::path& dir, std::string_view sha256);
result<std::string> hash_document_file(const std::filesystem::path& p);

}  // namespace samverka::tenant::detail
