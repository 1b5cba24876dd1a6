// samverka::sharing::service — moves news between partner tenants: push offers, borrowing from a
// partner's catalogue, and the relay that delivers every change of a shared original to every
// copy, reliably.
//
// Architecture invariant: this is the only component that holds two tenants' store handles at
// once, and only ever for a pair of partners (checked against the registry on every operation
// and every delivery). Each store keeps its own half (tenant/src/sharing.cpp has the copy and
// outbox state machines).
//
// Delivery (the relay, one background thread per node):
//   1. A change commits its outbox rows with it (source store); the gateway then calls wake(slug).
//   2. The relay takes the slug from the delivery_queue, reads the due rows (newest per target),
//      applies each to its receiver (sharing_apply: idempotent, ordered by revision) and marks
//      the row delivered — or failed, with the error and a retry time (exponential backoff).
//   3. A crash between apply and mark re-delivers the same revision later: a no-op (stale).
//   4. At start and whenever the registry changes (resume, partnership changes), every source
//      with queued rows is retried at once, and copies of ended partnerships stop following.
//   5. Cluster mode: a receiver another node owns gets its row through remote_nodes (a Redis
//      Stream per node); the row stays queued (outbox_sent) until that node's outcome comes back
//      (take_outcome), and is sent again after remote_answer_timeout if none does — the outbox
//      stays the only truth, so whatever Redis loses is re-sent.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "samverka/core/error.hpp"
#include "samverka/provisioning/registry.hpp"
#include "samverka/sharing/delivery_queue.hpp"
#include "samverka/sharing/remote.hpp"
#include "samverka/tenant/sharing.hpp"
#include "samverka/tenant/store.hpp"

namespace samverka::sharing {

// Retry schedule of a failed delivery: first_retry * 2^(attempts-1), at most max_retry.
// The first retry is quick (a receiver busy for a moment); the cap bounds how stale a copy of a
// suspended or broken receiver gets once it recovers without a registry change to wake us.
inline constexpr std::chrono::milliseconds first_retry{250};
inline constexpr std::chrono::milliseconds max_retry{30'000};
// Outbox rows one pass reads per source: bounds one transaction; the pass loops until done.
inline constexpr std::size_t delivery_batch = 64;
// How often the relay looks at the registry's data_version when nothing wakes it.
inline constexpr std::chrono::milliseconds registry_poll{250};
// Cluster mode: a row handed to another node is sent again if no outcome came back by then. The
// other node answers within a second when it is up; while it is down its stream keeps the row,
// so re-sending sooner would only pile up duplicates.
inline constexpr std::chrono::milliseconds remote_answer_timeout{30'000};

// Delay before retry number `attempts` (1 = the first retry).
std::chrono::milliseconds backoff(std::int64_t attempts) noexcept;

// Opens a registered tenant's store (the gateway passes its bounded pool).
using store_opener =
    std::function<result<std::shared_ptr<tenant::store>>(const provisioning::tenant_info&)>;

// One partner's copy of an original as the source editor sees it.
struct copy_report {
  tenant::distribution_entry delivery;  // source side
  std::string partner_name;
  // Combined state: pending, failing, delivered (awaiting the partner's decision), accepted,
  // declined, withdrawn, unlinked, ended (partnership ended).
  std::string state;
  std::optional<tenant::shared_copy> copy;  // receiver side, if readable now
};

class service {
 public:
  service(std::shared_ptr<provisioning::registry> reg, store_opener open,
          std::unique_ptr<delivery_queue> queue = make_memory_queue());
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  // Starts / stops the relay thread. stop() is idempotent and final (start() after it does
  // nothing).
  void start();
  void stop();
  // A change of `source_slug` was committed: deliver it now.
  void wake(std::string_view source_slug);
  // One synchronous delivery pass over `source_slug`'s outbox (every queued row if `all`, else
  // the due ones); returns rows delivered. Used by the relay, tests and benchmarks.
  std::size_t deliver(std::string_view source_slug, bool all);

  // Refuses (unprocessable, not_a_partner) unless every slug names a partner of `slug`.
  result<void> check_partners(std::string_view slug, const std::vector<std::string>& partners);
  // What partner `from` offers for borrowing, as `caller` (a partner) sees it.
  result<std::vector<tenant::news_item>> catalog(std::string_view caller, std::string_view from);
  // Borrows `news_id` from partner `from` into `borrower` as a linked, accepted copy.
  result<tenant::news_item> borrow(std::string_view borrower, tenant::store& borrower_store,
                                   const tenant::viewer& who, std::string_view from,
                                   std::int64_t news_id,
                                   const std::optional<tenant::audience>& target);
  // Every partner's copy of original `news_id` of `source`.
  result<std::vector<copy_report>> distribution(std::string_view source, tenant::store& src,
                                                const tenant::viewer& who, std::int64_t news_id);
  // Records on the source's audit trail what `receiver` did with a copy (accept, decline, ...).
  void record_at_source(const tenant::shared_copy& copy, std::string_view receiver,
                        std::string_view action, std::string_view actor);

  // --- Cluster mode (partners on other store nodes) ---------------------------------------------
  // Partners that other nodes own are reached through `remote` (not owned; it outlives the
  // service). Set before start(); without it such partners cannot be delivered to.
  void set_remote(remote_nodes* remote) { remote_ = remote; }
  // Whether `other` is a partner of local tenant `slug` that another node owns.
  bool is_remote_partner(std::string_view slug, std::string_view other);
  // Receiver side: checks and applies a delivery from another node; the outcome to send back.
  remote_outcome take_delivery(const remote_delivery& d);
  // Source side: the receiver's node answered a delivery.
  void take_outcome(const remote_outcome& o);
  // Source side: an audit line from a receiver's node.
  void take_record(const remote_record& r);
  // Source side of a borrow by `borrower` on another node: the message it applies.
  result<tenant::share_message> lend_remote(std::string_view from, std::int64_t news_id,
                                            std::string_view borrower);
  // Source side: where the bytes of `f` are, for partner `receiver` on another node.
  result<std::filesystem::path> file_for_remote(std::string_view source, std::string_view receiver,
                                                const tenant::shared_file& f);
  // Receiver side: this node's copy, for the distribution view of `source` on another node.
  result<std::optional<tenant::shared_copy>> copy_for_remote(std::string_view receiver,
                                                             std::string_view source,
                                                             std::int64_t news_id);

 private:
  void run();
  // Brings stores in line with partnership changes and retries the backlog; false when it could
  // not finish (busy registry or store), so the caller tries again at the next poll.
  bool on_registry_change();
  result<std::shared_ptr<tenant::store>> open_active(std::string_view slug);
  // The remote partner's name (from this node's half of the partnership), or the slug.
  std::string remote_name(std::string_view local, std::string_view remote);
  // Copies the files of `m` into `dst`, from a local source or through remote_.
  result<void> carry(std::string_view receiver, tenant::store& dst, const tenant::share_message& m);

  std::shared_ptr<provisioning::registry> reg_;
  store_opener open_;
  std::unique_ptr<delivery_queue> queue_;
  remote_nodes* remote_ = nullptr;
  std::mutex deliver_mu_;          // one delivery pass at a time (the relay, tests, borrow)
  std::mutex state_mu_;            // guards backlog_
  std::set<std::string> backlog_;  // sources with queued rows after their last pass
  std::int64_t registry_version_ = -1;
  std::int64_t partnership_version_ = -1;  // of the last partner pass that completed
  std::atomic<bool> stopping_{false};
  std::thread relay_;
};

}  // namespace samverka::sharing
