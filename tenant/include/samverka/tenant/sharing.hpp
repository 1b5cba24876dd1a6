// Values of the sharing service as one tenant store keeps them: what this tenant offers to
// partners (the source side: revisions, targets, the delivery outbox) and what it received from
// them (the receiver side: linked copies in the inbox). No I/O here; tenant::store reads and writes
// them, and samverka::sharing moves them between two stores.
//
// A copy travels as a snapshot of the original at one revision (share_payload), never as a
// reference: the receiving tenant cannot reach the source's store, and the source is behind a
// login. Files travel with it: a payload lists the source documents it references (shared_file:
// name, media type, sha256, size) and the relay copies the bytes into the receiver's files/ folder
// before applying, so images and attachments are never hot-linked across tenants.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "samverka/tenant/model.hpp"

namespace samverka::tenant {

namespace sharing_limits {
// Catalogue and inbox pages: an editor browses recent items; older ones are history.
inline constexpr std::size_t max_catalog = 200;
inline constexpr std::size_t max_inbox = 200;
// Partners one share may name: Sweden has 290 municipalities.
inline constexpr std::size_t max_partners = 300;
// Items shared with one partner that a file request from its node is checked against (newest
// first): far more than a partner's copies that still follow and still fetch files.
inline constexpr std::size_t max_items_checked_for_file = 1000;
}  // namespace sharing_limits

// How a copy came to be: offered by the source (push) or taken by the receiver (borrow).
enum class share_via { push, borrow };
std::string_view to_string(share_via v) noexcept;

// The state of a copy in the receiving tenant (see the state machine in sharing.cpp).
enum class copy_status { pending, accepted, declined, withdrawn };
std::string_view to_string(copy_status s) noexcept;

// Whether offers from one partner wait for an editor (manual, the default) or are accepted at once.
enum class accept_policy { manual, automatic };
std::string_view to_string(accept_policy p) noexcept;

// A document of the source a shared item references (an attachment or an image in the body):
// the relay copies the bytes by hash into the receiver's files/ before applying.
struct shared_file {
  std::int64_t source_document_id = 0;
  std::string title;
  std::string file_name;
  std::string content_type;
  std::string sha256;
  std::uint64_t size = 0;
};

// The original at one revision, as the receiver stores it.
struct share_payload {
  std::int64_t news_id = 0;   // the original's id in the source tenant
  std::int64_t revision = 0;  // strictly increasing per original; newer wins
  std::string title;
  std::string summary;
  std::string body;  // sanitised by the source; the receiver sanitises again
  std::string author_name;
  std::int64_t published_at_ms = 0;
  std::optional<std::int64_t> unpublish_at_ms;  // the original's schedule (nullopt: never)
  // False when the sender predates schedules in deliveries (a node of an older version): then
  // unpublish_at_ms means nothing and the copy's schedule is left as it is.
  bool schedule_known = true;
  std::int64_t updated_at_ms = 0;
  std::vector<std::string> roles;  // the original's role targeting (names mean the same everywhere)
  bool withdrawn = false;          // the original was deleted or withdrawn
  std::vector<std::int64_t> attachments;  // the source's document ids (attachments list)
  std::vector<shared_file> files;         // every source document the item references
};

// One delivery: a payload plus who sent it (names come from the registry, not from the source).
struct share_message {
  std::string source_slug;
  std::string source_name;
  share_via via = share_via::push;
  share_payload payload;
};

// What sharing_apply did with a message (for tests, logs and the relay's bookkeeping).
enum class apply_outcome {
  created,   // a new copy (pending, or accepted by policy / borrow)
  updated,   // a newer revision replaced the copy's content
  stale,     // the copy already holds this revision or a newer one: nothing changed
  detached,  // the copy no longer follows the original (unlinked): nothing changed
};

// One outbox row due for delivery, with the snapshot it carries.
struct outbox_job {
  std::int64_t id = 0;
  std::string partner;  // receiving tenant's slug
  share_via via = share_via::push;
  std::int64_t attempts = 0;
  share_payload payload;
};

// A receiving tenant's view of one copy (the inbox).
struct shared_copy {
  std::int64_t id = 0;  // inbox id
  std::string source_slug;
  std::string source_name;
  std::int64_t source_news_id = 0;
  share_via via = share_via::push;
  copy_status status = copy_status::pending;
  bool linked = true;  // still follows the original
  std::optional<std::int64_t> unlinked_at_ms;
  std::string unlink_reason;  // "editor", "partnership_ended", "deleted_locally"
  std::int64_t revision = 0;
  std::int64_t received_at_ms = 0;
  // The copy as news: the local item once accepted (its id and audience), else the offered
  // content with the original's id and role targeting.
  news_item news;
  std::optional<std::int64_t> local_news_id;
  // The stored schedule is the original's as delivered (false for copies received before
  // schedules were delivered: their stored published_at is that of the first delivery).
  bool schedule_synced = true;
};

// The source's view of one partner's copy of an original (GET .../distribution).
struct distribution_entry {
  std::string partner;
  share_via via = share_via::push;
  // Source-side delivery state: "pending", "failing", "delivered" or "ended" (partnership ended).
  std::string state;
  std::int64_t revision = 0;            // the original's current revision
  std::int64_t delivered_revision = 0;  // the newest revision the partner has applied
  std::int64_t attempts = 0;            // failed attempts of the oldest undelivered change
  std::string last_error;
  std::int64_t updated_at_ms = 0;
};

// One line of the sharing audit trail.
struct sharing_audit_entry {
  std::int64_t id = 0;
  std::int64_t at_ms = 0;
  std::string actor;   // e-mail of the person, or "relay" / "operator"
  std::string action;  // share, offer_received, accept, decline, borrow, lent, unlink, ...
  std::optional<std::int64_t> news_id;
  std::string partner;
  std::string detail;
};

}  // namespace samverka::tenant
