// tenant::store — the handle to one municipality's database and file folder.
//
// Architecture invariant: this handle is the only way into a tenant's data, and it is bound at
// construction to exactly one directory. No method takes another tenant's slug or path, so nothing
// of one tenant is reachable through another tenant's handle. The sharing service is the only
// component that holds two handles at once.
//
// Thread safety: every method may be called concurrently; the store hands each call a connection
// of its own (WAL lets readers run beside the single writer). Writes run in BEGIN IMMEDIATE.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "samverka/core/error.hpp"
#include "samverka/tenant/admin.hpp"      // tenant administration
#include "samverka/tenant/content.hpp"    // content feature
#include "samverka/tenant/content2.hpp"   // content lists, attachments
#include "samverka/tenant/directory.hpp"  // directory feature
#include "samverka/tenant/model.hpp"
#include "samverka/tenant/oidc.hpp"    // OpenID Connect feature
#include "samverka/tenant/search.hpp"  // search feature
#include "samverka/tenant/sharing.hpp"
#include "samverka/tenant/social.hpp"

namespace samverka::tenant {

// Schema version this build writes. Stores at a newer version are refused, never touched.
int current_schema_version() noexcept;

// Creates a new, empty tenant store in `dir` (which must not exist yet) at the current schema.
result<void> create_store(const std::filesystem::path& dir);

// Brings the store in `dir` to the current schema; returns the version it was at before.
// A store at an unknown newer version is refused with errc::conflict ("schema_too_new").
result<int> migrate_store(const std::filesystem::path& dir);

class store {
 public:
  // Opens an existing store in `dir` (database `dir/tenant.sqlite`, files in `dir/files`).
  // Refuses a store whose schema is newer than this build's or older (needs `migrate`):
  // errc::unavailable with code "schema_too_new" / "schema_outdated"; no store: not_found.
  static result<std::shared_ptr<store>> open(std::string slug, const std::filesystem::path& dir);

  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  const std::string& slug() const noexcept;
  const std::filesystem::path& dir() const noexcept;

  // --- Org tree -------------------------------------------------------------------------------
  // Adds a unit; `parent` names an existing unit. Unit names are unique in a tenant.
  result<unit> add_unit(std::string_view name, std::optional<std::string_view> parent);
  result<std::vector<unit>> list_units();

  // --- People ---------------------------------------------------------------------------------
  // Adds a person. `password`, if given, is hashed with argon2id. Duplicate e-mail: conflict.
  result<user> add_user(const new_user& u);
  result<user> get_user(std::int64_t id);
  result<user> find_user(std::string_view email);
  result<std::vector<user>> list_users();
  result<void> set_password(std::int64_t user_id, std::string_view password);
  // Deactivates (or reactivates) a person. Deactivation takes effect at once: their sessions stop
  // resolving and viewer_for() refuses them, which blocks them on every tenant (SCIM, admins).
  result<void> set_active(std::int64_t user_id, bool active);
  // The person as a request principal (roles, units and their ancestors); not_found if inactive.
  result<viewer> viewer_for(std::int64_t user_id);
  result<viewer> viewer_for(std::string_view email);

  // --- Authentication (only at the person's home tenant) --------------------------------------
  // The same errc::unauthenticated for an unknown e-mail and a wrong password; the unknown
  // case still spends an argon2 verification so timing does not tell them apart.
  result<user> verify_password(std::string_view email, std::string_view password);
  // Creates a session and returns its secret (stored only as a SHA-256 hash).
  result<std::string> create_session(std::int64_t user_id);
  // The live session for `secret`; unauthenticated if unknown, expired, revoked or user inactive.
  result<session_info> resolve_session(std::string_view secret);
  // resolve_session and viewer_for in one read of the home store: the hot path of every request
  // made at the person's home tenant.
  result<viewer> viewer_for_session(std::string_view secret);
  result<void> revoke_session(std::string_view secret);
  // Unexpired sessions revoked after revocation number `after`, in number order, at most
  // `limit`: what cluster mode must delete from Redis (samverka/cluster/sessions.hpp).
  result<std::vector<revoked_session>> revoked_sessions_since(std::int64_t after,
                                                              std::size_t limit);

  // --- News -----------------------------------------------------------------------------------
  // Publishes news now (or at draft.published_at_ms). Sanitises the body; unknown unit or role
  // names are invalid_input.
  // Creating, updating and deleting news needs the editor or admin role (else forbidden).
  result<news_item> create_news(const viewer& author, const news_draft& draft);
  result<news_page> list_news(const viewer& who, news_scope scope, std::size_t limit,
                              std::optional<std::string_view> cursor);
  // not_found unless `who` may read it (editors and admins read every item of their tenant).
  result<news_item> get_news(const viewer& who, std::int64_t id);
  result<news_item> update_news(const viewer& who, std::int64_t id, const news_patch& patch);
  result<void> delete_news(const viewer& who, std::int64_t id);

  // --- Sharing: linked copies, inbox, outbox (sharing.cpp) ------------------------------------
  // Source side. Publishes news offered to `partners` (slugs the caller checked are partners)
  // and/or offered for borrowing, in ONE transaction with its outbox rows: a crash never leaves
  // a shared item without its deliveries. `author` must be an editor.
  result<news_item> create_shared_news(const viewer& author, const news_draft& draft,
                                       const std::vector<std::string>& partners, bool shareable);
  // Offers an existing original to more partners (already-offered ones are skipped); returns the
  // partners newly offered. A copy from a partner cannot be shared onward (unprocessable).
  result<std::vector<std::string>> share_news(const viewer& who, std::int64_t news_id,
                                              const std::vector<std::string>& partners);
  // Offers (or stops offering) an original in partners' catalogues.
  result<void> set_shareable(const viewer& who, std::int64_t news_id, bool shareable);
  // Originals offered for borrowing, newest first (at most sharing_limits::max_catalog).
  result<std::vector<news_item>> sharing_catalog();
  // A borrow by `partner`: records it as a target and queues the current revision (so the relay
  // redelivers it if the borrower's apply is lost); not_found unless the item is shareable.
  result<share_payload> lend_news(std::int64_t news_id, std::string_view partner);
  // Outbox rows due at `now_ms` (every queued row if `all`), the newest per (original, partner);
  // older queued rows of the same target are marked superseded. At most `max` rows.
  result<std::vector<outbox_job>> due_outbox(std::int64_t now_ms, bool all, std::size_t max);
  // Earliest next_attempt_at of any queued row, if there is one.
  result<std::optional<std::int64_t>> next_outbox_due();
  // Outbox transitions (see the outbox state machine in sharing.cpp).
  result<void> outbox_delivered(std::int64_t outbox_id);
  result<void> outbox_failed(std::int64_t outbox_id, std::string_view last_error,
                             std::int64_t next_attempt_ms);
  // Cluster mode: the row went to another node, whose answer comes back later; it stays queued
  // (no failure counted) and is sent again at `resend_at_ms` if no answer has come by then.
  result<void> outbox_sent(std::int64_t outbox_id, std::int64_t resend_at_ms);
  // Whether outbox row `outbox_id` is still the delivery of `revision` to `partner` (an answer
  // from another node names the row it answers; a stale or forged one must not move another).
  result<bool> outbox_matches(std::int64_t outbox_id, std::string_view partner,
                              std::int64_t revision);
  // Per-partner delivery state of an original (source side only; editors).
  result<std::vector<distribution_entry>> distribution(const viewer& who, std::int64_t news_id);
  // The partnership set changed: targets and copies of tenants not in `partners` stop following
  // (queued deliveries cancelled, copies unlinked as "partnership_ended"). Returns rows changed.
  result<std::size_t> sharing_partners_changed(const std::vector<std::string>& partners);

  // Receiver side. Applies one delivery; idempotent and ordered by revision (see sharing.cpp).
  // `accept_as` accepts the copy at once with that audience (borrow); an empty audience = the
  // whole tenant with the original's roles.
  result<apply_outcome> sharing_apply(const share_message& m,
                                      const std::optional<audience>& accept_as = std::nullopt,
                                      std::string_view actor = "relay");
  // The inbox, newest first (at most sharing_limits::max_inbox).
  result<std::vector<shared_copy>> sharing_inbox(const viewer& who);
  result<shared_copy> sharing_copy(std::int64_t copy_id);
  // The copy of a partner's original, if this tenant received one.
  result<std::optional<shared_copy>> sharing_copy_of(std::string_view source_slug,
                                                     std::int64_t source_news_id);
  // pending/declined -> accepted: the copy becomes local news with `target` (default: the whole
  // tenant, the original's roles). Returns the local news item.
  result<news_item> sharing_accept(const viewer& who, std::int64_t copy_id,
                                   const std::optional<audience>& target);
  result<shared_copy> sharing_decline(const viewer& who, std::int64_t copy_id);
  // Stops a copy (by its local news id) following its original, so editors may change it here.
  result<shared_copy> sharing_unlink(const viewer& who, std::int64_t local_news_id);
  // Acceptance policy for offers from `source_slug` (set by this, the receiving, tenant).
  result<void> set_accept_policy(std::string_view source_slug, accept_policy p,
                                 std::string_view actor);
  result<accept_policy> get_accept_policy(std::string_view source_slug);
  // The sharing audit trail: appends one line / the newest lines first.
  result<void> sharing_record(std::string_view actor, std::string_view action,
                              std::optional<std::int64_t> news_id, std::string_view partner,
                              std::string_view detail);
  result<std::vector<sharing_audit_entry>> sharing_audit_log(std::size_t limit);

  // --- Content: pages, documents, guides, start page, profiles, audit (content.cpp etc.) ------
  // Pages: a tree with owners and review dates. Editors and admins create pages; the owner,
  // editors and admins edit them. Editing bumps the review date. On a page that requires
  // approval, an edit by anyone but the owner or an admin waits as a pending version.
  result<page> create_page(const viewer& who, const page_draft& d);
  // not_found unless live and within its schedule, or `who` owns it or is an editor/admin.
  result<page> get_page(const viewer& who, std::int64_t id);
  // Pages `who` may read, for the navigation tree (id, parent, title), ordered by title.
  result<std::vector<page>> list_pages(const viewer& who);
  result<page> update_page(const viewer& who, std::int64_t id, const page_patch& p);
  // The owner or an admin puts the newest pending version live.
  result<page> approve_page(const viewer& who, std::int64_t id);
  result<void> delete_page(const viewer& who, std::int64_t id);
  result<std::vector<page_version>> page_versions(const viewer& who, std::int64_t id);
  // Pages due for review within limits::review_due_window_days or overdue: `who`'s own pages, or
  // every page when `all` (admins only).
  result<std::vector<page>> pages_due_for_review(const viewer& who, bool all);

  // Guides: ordered steps. Editors and admins write; every member reads.
  result<guide> create_guide(const viewer& who, const guide_draft& d);
  result<guide> get_guide(std::int64_t id);
  result<guide> update_guide(const viewer& who, std::int64_t id, const guide_draft& d);
  result<void> delete_guide(const viewer& who, std::int64_t id);

  // The caller's own links, in their order.
  result<std::vector<user_link>> list_links(const viewer& who);
  result<user_link> add_link(const viewer& who, std::string_view title, std::string_view url);
  result<user_link> update_link(const viewer& who, std::int64_t id,
                                std::optional<std::string_view> title,
                                std::optional<std::string_view> url);
  result<void> delete_link(const viewer& who, std::int64_t id);
  // Reorders the caller's links: `ids` must be exactly their link ids, in the new order.
  result<std::vector<user_link>> order_links(const viewer& who,
                                             const std::vector<std::int64_t>& ids);

  // Profiles (every member reads every active person's profile; each edits their own).
  result<profile> get_profile(std::int64_t user_id);
  result<profile> update_profile(const viewer& who, const profile_patch& p);
  // Stores a photo (JPEG, PNG or WebP by its magic bytes; at most limits::max_photo_bytes).
  result<profile> set_photo(const viewer& who, std::string_view bytes);
  // The photo's bytes and media type; not_found if none.
  result<std::pair<std::string, std::string>> get_photo(std::int64_t user_id);

  // The audit trail, newest first (admins only).
  result<audit_page> list_audit(const viewer& who, const audit_filter& f);

  // Documents: editors and admins upload (a new document or a new version); every member reads.
  // Files are stored once per content hash; the per-file limit and the tenant quota come from
  // document_limits(). `title` empty: the file name.
  result<document> create_document(const viewer& who, std::string_view title,
                                   const document_upload& up);
  result<document> add_document_version(const viewer& who, std::int64_t id,
                                        const document_upload& up);
  result<document> get_document(std::int64_t id);
  // A version's metadata and file (default: the current one), and records the caller's use of
  // the document for their start page's "recently used".
  result<std::pair<document_version, std::filesystem::path>> open_document(
      const viewer& who, std::int64_t id, std::optional<int> version);
  result<void> delete_document(const viewer& who, std::int64_t id);
  // The caller's recently used documents, most recent first.
  result<std::vector<document>> recent_documents(const viewer& who);

  // --- Search (search.cpp) ---------------------------------------------------------------------
  // Full-text search over what `who` may read, best first. Any query text is safe.
  result<std::vector<search_hit>> search(const viewer& who, const search_query& q);
  // Merges the search index into one segment (FTS5's incremental optimize): after a bulk load
  // (an import, seeding) the index holds many segments and every search reads each. Returns how
  // many segments there were. In short write transactions, so writers are held up briefly.
  result<std::int64_t> optimize_search_index();

  // --- Social: groups, posts, comments, feed, notifications, ideas (social.cpp etc.) -----------
  // Visibility rules: social.hpp. Every id of a closed group the viewer is not in is not_found.
  // Groups: department, open, and the viewer's closed groups, by name.
  result<std::vector<group>> list_groups(const viewer& who);
  result<group> get_group(const viewer& who, std::int64_t id);
  // Creates an open or closed group; the creator becomes its first member and admin.
  result<group> create_group(const viewer& who, const group_draft& d);
  // Joins an open group, or a closed one the viewer was invited to (else not_found).
  result<group> join_group(const viewer& who, std::int64_t id);
  // Leaves an open or closed group; the last admin of a group with members cannot leave.
  result<void> leave_group(const viewer& who, std::int64_t id);
  // A member invites a colleague (by id or e-mail) to a group; notifies them.
  result<void> invite_to_group(const viewer& who, std::int64_t id,
                               std::optional<std::int64_t> user_id,
                               std::optional<std::string_view> email);
  result<std::vector<group_member>> list_group_members(const viewer& who, std::int64_t id);
  // A group admin makes a member an admin.
  result<void> add_group_admin(const viewer& who, std::int64_t id, std::int64_t user_id);
  result<void> set_group_subscription(const viewer& who, std::int64_t id, subscription s);

  // Posts of one group (not comments), newest first; keyset cursor as in the feed.
  result<post_page> list_group_posts(const viewer& who, std::int64_t group_id, std::size_t limit,
                                     std::optional<std::string_view> cursor);
  // Members post; the body is sanitised and mentions notify those who can read the group.
  result<post> create_post(const viewer& who, std::int64_t group_id, const post_draft& d);
  // A post or a comment by id, if the viewer can read its group.
  result<post> get_post(const viewer& who, std::int64_t id);
  // Comments of a post, oldest first.
  result<std::vector<post>> list_comments(const viewer& who, std::int64_t post_id);
  // Anyone who can read the post may comment (joining no group); the post's author is notified.
  result<post> create_comment(const viewer& who, std::int64_t post_id, const post_draft& d);
  // Author or group admin: new body for a post or comment / soft delete (a post takes its
  // comments with it).
  result<post> update_post(const viewer& who, std::int64_t id, const post_draft& d);
  result<void> delete_post(const viewer& who, std::int64_t id);
  // Idempotent like / unlike of a post or comment the viewer can read.
  result<post> set_like(const viewer& who, std::int64_t id, bool liked);
  result<void> set_post_subscription(const viewer& who, std::int64_t post_id, subscription s);
  // Posts and comments of the viewer's groups (member or followed, not muted) and of threads
  // they follow, newest first, keyset-paginated ("<created_at_ms>.<id>").
  result<post_page> feed(const viewer& who, std::size_t limit,
                         std::optional<std::string_view> cursor);

  // Notifications grouped per thread and kind, newest first, with the unread count.
  result<notification_list> list_notifications(const viewer& who, std::size_t limit);
  // Marks the viewer's notifications read: all, or those of one thread.
  result<void> mark_notifications_read(const viewer& who, std::optional<std::int64_t> thread_id);
  result<notification_prefs> get_notification_prefs(const viewer& who);
  result<notification_prefs> set_notification_prefs(const viewer& who,
                                                    const notification_prefs_patch& p);
  // Digests due: every active person who wants one and has unread, unmailed notifications.
  result<std::vector<digest>> pending_digests();
  // Records that `user_id`'s notifications up to `upto_id` were mailed (so they are not again).
  result<void> mark_digested(std::int64_t user_id, std::int64_t upto_id);

  // Ideas: the tenant's idea box (group_id nullopt) or a group's (readers of the group).
  result<idea> create_idea(const viewer& who, const idea_draft& d);
  result<std::vector<idea>> list_ideas(const viewer& who, std::optional<std::int64_t> group_id,
                                       idea_sort sort, std::optional<idea_status> status,
                                       std::size_t limit);
  result<idea> get_idea(const viewer& who, std::int64_t id);
  result<idea> vote_idea(const viewer& who, std::int64_t id, bool vote);
  result<idea_comment> comment_idea(const viewer& who, std::int64_t id, std::string_view body);
  result<std::vector<idea_comment>> list_idea_comments(const viewer& who, std::int64_t id);
  // Editors and admins set the status with an optional reply; the author is notified.
  result<idea> set_idea_status(const viewer& who, std::int64_t id, idea_status s,
                               std::optional<std::string_view> reply);

  // --- Directory: SCIM provisioning and CSV import (directory.cpp) -----------------------------
  // SCIM users (every person of the tenant; those added by the CLI have their e-mail as userName
  // and are matched case-insensitively). `user_name` filters by userName (SCIM `userName eq`).
  result<directory_person_page> dir_list_people(std::optional<std::string_view> user_name,
                                                const directory_page_request& page);
  // not_found for an unknown id or a person deleted through SCIM.
  result<directory_person> dir_get_person(std::int64_t id);
  // Creates (no id) or replaces (id) a person from the IdP's description. A userName or e-mail
  // of another person: conflict "uniqueness". Deactivation revokes every session at once.
  result<directory_person> dir_put_person(std::optional<std::int64_t> id,
                                          const directory_person_input& in);
  // SCIM DELETE: deactivates the person (sessions revoked) and hides them from SCIM.
  result<directory_person> dir_delete_person(std::int64_t id);
  // SCIM groups (`display_name` filters by displayName).
  result<directory_group_page> dir_list_groups(std::optional<std::string_view> display_name,
                                               const directory_page_request& page);
  result<directory_group> dir_get_group(std::int64_t id);
  // Creates or replaces a group and its members (unknown member ids: invalid_input).
  result<directory_group> dir_put_group(std::optional<std::int64_t> id,
                                        const directory_group_input& in);
  result<void> dir_delete_group(std::int64_t id);
  result<directory_settings> dir_settings();
  result<void> dir_set_settings(const directory_settings& s);
  // CSV import, all or nothing: applies every row in one transaction, or none when any row has a
  // problem (reported with its line). `dry_run` checks and counts, then rolls back.
  result<import_report> import_people(const std::vector<import_row>& rows, bool dry_run);

  // --- OpenID Connect: identity provider, pending sign-ins, subject links (oidc.cpp) ----------
  // The tenant's identity provider, if one is configured.
  result<std::optional<oidc_settings>> oidc_get_settings();
  // Sets (replaces) the identity provider after validate_oidc_settings. A changed issuer drops
  // the sign-ins pending against the old one.
  result<oidc_settings> oidc_set_settings(const oidc_settings& s);
  // Removes the identity provider and every pending sign-in; not_found if none was set.
  result<void> oidc_remove_settings();
  // Keeps a pending sign-in under sha256(state), sweeping expired ones first; unavailable
  // ("oidc_busy") while oidc_limits::max_pending_states are pending.
  result<void> oidc_put_state(std::string_view state, const oidc_pending& p);
  // Takes the pending sign-in of `state`, deleting it (single use); not_found if unknown,
  // already used or expired.
  result<oidc_pending> oidc_take_state(std::string_view state);
  // The person linked to `id` (active or not: the caller decides), if any.
  result<std::optional<user>> oidc_linked_user(const oidc_identity& id);
  // Links `id` to `user_id`, or records another sign-in of an existing link. conflict
  // ("oidc_identity_taken") when the person is already linked to another subject of the issuer,
  // or the subject to another person.
  result<void> oidc_link(const oidc_identity& id, std::int64_t user_id);

  // --- Content 2: lists, document scopes, shared files, admin audit, digest days (content2.cpp)
  // Documents `who` may read, newest updated first (keyset pages; invalid cursor: invalid_input).
  result<document_list> list_documents(const viewer& who, const list_request& r);
  // Guides, newest updated first, without their steps (step_count instead).
  result<guide_list> list_guides(const viewer& who, const list_request& r);
  // A document if `who` may read it (a closed group's file is not_found to non-members).
  result<document> get_document(const viewer& who, std::int64_t id);
  // Source side of a share: the stored file with this hash, if one of this tenant's documents
  // holds it (the relay reads it to copy it to the receiver).
  result<std::filesystem::path> shared_file_path(const shared_file& f);
  // The same, for a partner on another node: only a file that an item shared with `partner`
  // references now (not_found otherwise), so naming a hash is not enough to read any file.
  result<std::filesystem::path> shared_file_path_for(std::string_view partner,
                                                     const shared_file& f);
  // Receiver side: copies `from` into this tenant's files by hash (verified) unless present.
  result<void> receive_shared_file(const std::filesystem::path& from, const shared_file& f);
  // Records a change made outside the HTTP API (actor "operator" for the CLI, "scim" for SCIM)
  // in the audit trail.
  result<void> record_admin_audit(std::string_view actor, std::string_view action,
                                  std::string_view item_type, std::int64_t item_id,
                                  std::string_view detail);
  // The digest timer: claims local day `day` (YYYY-MM-DD) for this tenant's digest run; false if
  // it was claimed before (durable: a restart never sends a day twice).
  result<bool> claim_digest_day(std::string_view day);
  // Gives a claimed day back after a failed run, so a later attempt that day may send.
  result<void> release_digest_day(std::string_view day);

  // --- Tenant administration: people and units from the web UI (admin.cpp) --------------------
  // Every method needs `who` to be an admin (else forbidden) and records the change on the audit
  // trail with `who` as actor, in the same transaction.
  // A person of this tenant with their job title; not_found for an unknown id.
  result<managed_person> admin_get_person(const viewer& who, std::int64_t id);
  // Changes roles, units, activity, name or title. An admin cannot take away their own admin
  // role or deactivate themselves (conflict). Deactivation revokes the person's sessions here.
  result<managed_person> admin_update_person(const viewer& who, std::int64_t id,
                                             const person_patch& p);
  result<unit> admin_create_unit(const viewer& who, const unit_draft& d);
  // Renames or moves a unit; a move under itself or a descendant is conflict "unit_cycle".
  result<unit> admin_update_unit(const viewer& who, std::int64_t id, const unit_patch& p);
  // Only a unit without people, sub-units, news audiences or directory groups (else conflict).
  result<void> admin_delete_unit(const viewer& who, std::int64_t id);

  // --- Operations -----------------------------------------------------------------------------
  // Bytes used by the database (incl. WAL) and the file folder.
  std::uint64_t size_bytes() const;
  // A consistent online snapshot of the database into `target` (VACUUM INTO).
  result<void> snapshot_to(const std::filesystem::path& target);

  struct impl;

 private:
  explicit store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> p_;
};

}  // namespace samverka::tenant
