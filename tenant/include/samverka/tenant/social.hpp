// Plain values of the social feature: groups, posts and comments, the activity feed,
// notifications and the idea box. No I/O here; tenant::store reads and writes them (social.cpp).
//
// Visibility rules (enforced by the store, relied on by every endpoint):
//  1. Department groups (one per unit) and open groups are readable by every member of the tenant;
//     a closed group exists only for its members: to everyone else it is not_found everywhere
//     (group lists, posts, comments, likes, the feed, notifications, counts, ideas).
//  2. Department group membership follows the org tree: a person is a member of the groups of
//     their units and of every ancestor unit (viewer.reach). It cannot be joined or left.
//  3. Open groups are joined by anyone; closed groups only after an invitation by a member.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace samverka::tenant {

enum class group_kind : std::uint8_t { department = 0, open = 1, closed = 2 };

// "department"/"open"/"closed"; parse_group_kind refuses anything else.
std::string_view to_string(group_kind k) noexcept;
std::optional<group_kind> parse_group_kind(std::string_view s) noexcept;

// Follow or mute of a group or a thread; none removes either.
enum class subscription { none, follow, mute };
std::optional<subscription> parse_subscription(std::string_view s) noexcept;
std::string_view to_string(subscription s) noexcept;

struct group {
  std::int64_t id = 0;
  std::string name;
  std::string description;
  group_kind kind = group_kind::open;
  std::optional<std::int64_t> unit_id;  // department groups
  bool member = false;                  // the viewer's membership
  bool admin = false;                   // the viewer may administer it
  subscription sub = subscription::none;
  std::int64_t member_count = 0;
  std::int64_t created_at_ms = 0;
};

struct group_draft {
  std::string name;
  std::string description;
  group_kind kind = group_kind::open;  // department is refused: those follow the org tree
};

struct group_member {
  std::int64_t user_id = 0;
  std::string name;
  std::string email;
  bool admin = false;
};

struct person_ref {
  std::int64_t id = 0;
  std::string name;
};

// A post, or a comment on one (comment: thread_id is the post's id).
struct post {
  std::int64_t id = 0;
  std::int64_t group_id = 0;
  std::string group_name;
  std::int64_t thread_id = 0;
  bool is_comment = false;
  person_ref author;
  std::string body;  // sanitised HTML
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::int64_t like_count = 0;
  std::int64_t comment_count = 0;
  bool liked = false;     // by the viewer
  bool can_edit = false;  // the viewer is the author or a group admin
  std::vector<person_ref> mentions;
  std::vector<std::int64_t> attachments;  // document ids; readers of the post may download them
};

struct post_draft {
  std::string body;  // untrusted HTML; the store sanitises it
  // Colleagues mentioned explicitly (e-mail or decimal id); "@e-mail" in the text counts too.
  std::vector<std::string> mentions;
  // Creation time; default now. Set by seeding of historic content (benchmarks).
  std::optional<std::int64_t> created_at_ms;
  // Documents to attach (each one the author may read: tenant-wide, or of the post's group).
  // Absent on an edit: unchanged.
  std::optional<std::vector<std::int64_t>> attachments;
};

struct post_page {
  std::vector<post> items;
  std::optional<std::string> next_cursor;  // opaque "<created_at_ms>.<id>"; nullopt at the end
};

// Notification kinds. Mentions and replies always notify; the rest follow the preferences.
enum class notification_kind : std::uint8_t {
  mention = 1,
  reply = 2,    // a comment on your post
  comment = 3,  // a comment in a thread you follow
  post = 4,     // a post in a group you belong to or follow
  like = 5,
  invite = 6,  // an invitation to a closed group
  idea = 7,    // your idea's status changed
};
std::string_view to_string(notification_kind k) noexcept;

// Notifications grouped per (thread, kind): "3 nya kommentarer på ...".
struct notification_group {
  notification_kind kind = notification_kind::comment;
  std::int64_t thread_id = 0;  // post id; group id for invites; idea id for idea status
  std::optional<std::int64_t> group_id;
  std::string group_name;
  std::string excerpt;  // of the thread's post (plain text), or the group/idea name
  std::int64_t count = 0;
  std::int64_t unread = 0;
  std::vector<std::string> actors;  // distinct names, most recent first (at most a few)
  std::int64_t latest_at_ms = 0;
  std::int64_t latest_id = 0;
  std::string text;  // Swedish summary line, e.g. "3 nya kommentarer på ”Fika i morgon”"
};

struct notification_list {
  std::vector<notification_group> items;
  std::int64_t unread_count = 0;  // unread notifications the viewer may still see
};

struct notification_prefs {
  bool group_posts = false;       // every post in my groups (the feed shows them anyway)
  bool followed_comments = true;  // comments in threads I follow
  bool likes = true;              // likes of my posts and comments
  bool digest = true;             // a daily e-mail digest of unread notifications
};

struct notification_prefs_patch {
  std::optional<bool> group_posts, followed_comments, likes, digest;
};

// One person's daily digest: their unread, not yet mailed notifications, grouped.
struct digest {
  std::int64_t user_id = 0;
  std::string email;
  std::string name;
  std::vector<notification_group> groups;
  std::int64_t upto_id = 0;  // mark_digested(user_id, upto_id) after sending
};

// --- Ideas -----------------------------------------------------------------------------------
enum class idea_status : std::uint8_t { new_, under_review, planned, done, declined };
std::string_view to_string(idea_status s) noexcept;  // "new", "under_review", ...
std::optional<idea_status> parse_idea_status(std::string_view s) noexcept;

struct idea {
  std::int64_t id = 0;
  std::optional<std::int64_t> group_id;  // nullopt: the tenant's idea box
  person_ref author;
  std::string title;
  std::string body;  // sanitised HTML
  idea_status status = idea_status::new_;
  std::string reply;  // the editor's answer (plain text)
  std::string reply_by;
  std::int64_t votes = 0;
  std::int64_t comment_count = 0;
  bool voted = false;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

struct idea_comment {
  std::int64_t id = 0;
  person_ref author;
  std::string body;
  std::int64_t created_at_ms = 0;
};

struct idea_draft {
  std::string title;
  std::string body;
  std::optional<std::int64_t> group_id;
};

enum class idea_sort { top, newest };

}  // namespace samverka::tenant

namespace samverka::tenant::social_limits {

// Group names are headings in menus; a longer one is a description.
inline constexpr std::size_t max_group_name = 120;
inline constexpr std::size_t max_group_description = 2'000;
// Post and comment bodies after sanitising: a discussion post, not a document (those go to
// the document store); the gateway's 1 MiB request limit bounds the input first.
inline constexpr std::size_t max_post_body = 64 * 1024;
// People one post may mention; more is a mass mailing, which is what news is for.
inline constexpr std::size_t max_mentions = 50;
// Idea titles and editor replies (plain text).
inline constexpr std::size_t max_idea_title = 200;
inline constexpr std::size_t max_idea_reply = 4'000;
// Threads of the notification list per page: default and ceiling.
inline constexpr std::size_t default_notifications = 30;
inline constexpr std::size_t max_notifications = 100;
// Distinct actor names kept per notification group ("Anna, Bo och 3 till").
inline constexpr std::size_t max_actors = 3;
// Characters of a post quoted in a notification line.
inline constexpr std::size_t excerpt_chars = 60;
// Followed threads the feed merges in; beyond this the oldest follows are ignored, so a
// person following thousands of threads cannot make their own feed slow.
inline constexpr std::size_t max_feed_threads = 500;

}  // namespace samverka::tenant::social_limits
