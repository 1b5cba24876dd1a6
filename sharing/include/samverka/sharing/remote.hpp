// Cluster mode: how the sharing service reaches partners that another store node owns. The
// service stays the only place that decides what may cross between two tenants (partnership,
// receiver state, the copy and outbox state machines); this interface only carries its messages.
// The gateway implements it (gateway/src/sharing_link.*): deliveries, their outcomes and audit
// lines travel over Redis Streams; the synchronous questions (a borrow, a file's bytes, a copy's
// state, a catalogue) are internal HTTP calls to the owning node.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "samverka/core/error.hpp"
#include "samverka/tenant/sharing.hpp"

namespace samverka::sharing {

// One delivery from a source tenant here to a receiver on another node.
struct remote_delivery {
  std::string receiver;
  std::int64_t outbox_id = 0;  // the source's row; the outcome names it
  std::int64_t attempts = 0;   // failures so far (the outcome's retry backoff continues from it)
  tenant::share_message message;
};

// What happened to a remote_delivery, reported back to the source's node.
struct remote_outcome {
  std::string source;
  std::string receiver;
  std::int64_t outbox_id = 0;
  std::int64_t revision = 0;  // the delivered revision (with receiver, identifies the row)
  std::int64_t attempts = 0;
  std::optional<std::string> failure;  // "code: message"; none = applied (or stale: same thing)
};

// A line for the source's sharing audit trail about what a receiver did with a copy.
struct remote_record {
  std::string source;
  std::string receiver;
  std::string action;  // accept, decline, unlink
  std::string actor;
  std::int64_t news_id = 0;  // the original's id at the source
};

class remote_nodes {
 public:
  virtual ~remote_nodes() = default;

  // Queues `d` for the node owning d.receiver (durably, until that node takes it). The outcome
  // comes back later through service::take_outcome on this node.
  virtual result<void> send(const remote_delivery& d) = 0;
  // Reports an outcome to the node owning o.source.
  virtual result<void> answer(const remote_outcome& o) = 0;
  // Queues an audit line for the node owning r.source (best effort, like the local one).
  virtual result<void> record(const remote_record& r) = 0;
  // Asks the node owning `from` to lend original `news_id` to `borrower` (service::lend_remote
  // there); the message to apply here.
  virtual result<tenant::share_message> lend(std::string_view from, std::int64_t news_id,
                                             std::string_view borrower) = 0;
  // Fetches the bytes of `f` from the node owning `source` into a new temporary file (the
  // caller removes it); service::file_for_remote answers there.
  virtual result<std::filesystem::path> fetch_file(std::string_view source,
                                                   std::string_view receiver,
                                                   const tenant::shared_file& f) = 0;
  // `receiver`'s copy of `source`'s original `news_id`, asked of the receiver's node.
  virtual result<std::optional<tenant::shared_copy>> copy_of(std::string_view receiver,
                                                             std::string_view source,
                                                             std::int64_t news_id) = 0;
};

}  // namespace samverka::sharing
