// Cluster mode: the sharing relay across store nodes (sharing::remote_nodes for a store node).
//
// Each store node has one Redis Stream, samverka:relay:NODE, read by the consumer group "relay"
// with the node id as consumer. Entries are deliveries (source node -> receiver's node), their
// outcomes (back to the source's node) and audit lines (to the source's node):
//
//   source node A                         Redis                          receiver node B
//   outbox row --send()--> XADD samverka:relay:B {deliver}  --XREADGROUP--> take_delivery:
//   (stays queued, resent after                                           files fetched from A
//    remote_answer_timeout)                                                over internal HTTP,
//   take_outcome <--XREADGROUP-- XADD samverka:relay:A {outcome} <--------  apply, answer, XACK
//
// An entry is acknowledged (XACK) only after it was handled, so a node that dies in between
// finds it pending at restart (XAUTOCLAIM); entries for a node that is down wait in its stream.
// Redis holds nothing the stores cannot rebuild: the source's outbox row stays queued until the
// outcome arrives and is sent again if it does not, so a Redis that lost its data, a trimmed
// stream or a lost answer cost a duplicate delivery (a no-op: apply is idempotent), never a loss.
//
// The synchronous questions — a borrow, the bytes of a file a copy references, a copy's state,
// a partner's catalogue — are internal HTTP calls to the owning node (cluster key required),
// answered by handle_internal there.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "cluster.hpp"
#include "http_types.hpp"
#include "samverka/sharing/remote.hpp"
#include "samverka/sharing/service.hpp"
#include "upstream.hpp"

namespace samverka::gateway {

using namespace std::chrono_literals;

// Key of a node's relay stream: this prefix + node id.
inline constexpr std::string_view relay_stream_prefix = "samverka:relay:";
inline constexpr std::string_view relay_group = "relay";
// How long one XREADGROUP waits for entries: below the client's command timeout
// (cluster::redis_command_timeout), and short enough that stop() is prompt.
inline constexpr auto relay_block = 300ms;
// Entries read per call: one apply is about a millisecond, so a batch stays well under a second.
inline constexpr std::size_t relay_batch = 16;
// An entry read but not acknowledged for this long belongs to a consumer that died mid-way; it
// is claimed again. Far above the time one entry takes (a file fetch is bounded by the upstream
// timeout), so a slow entry is not handled twice.
inline constexpr auto relay_reclaim_idle = 60s;
inline constexpr auto relay_reclaim_interval = 10s;
// Approximate cap of a stream (XADD MAXLEN ~): a node down for long must not fill Redis' memory.
// An entry is one news snapshot (typically a few KiB; at most limits::max_body_bytes of JSON), so
// this is tens of MiB in practice. What trimming drops is sent again from the sources' outboxes
// (remote_answer_timeout), so the cap costs time, never a delivery.
inline constexpr std::size_t relay_stream_max = 10'000;
// After a Redis failure the consumer waits this long before trying again.
inline constexpr auto relay_retry = 500ms;
// Node-to-node questions run on request threads (a catalogue, a borrow, a copy's state): a node
// answers them in milliseconds, so a hung node must not hold a request thread for long.
inline constexpr auto internal_call_timeout = 3000ms;
// A shared file's bytes (up to limits::max_upload_bytes) on the cluster network.
inline constexpr auto internal_file_timeout = 30'000ms;

// The internal paths a store node answers for the sharing relay (cluster key required).
inline constexpr std::string_view sharing_internal_prefix = "/internal/v1/sharing/";

class sharing_link final : public sharing::remote_nodes {
 public:
  sharing_link(const cluster::redis_address& redis_addr, std::string node_id,
               std::string cluster_key);
  ~sharing_link() override;
  sharing_link(const sharing_link&) = delete;
  sharing_link& operator=(const sharing_link&) = delete;

  // Starts consuming this node's stream into `svc` (which must outlive stop()).
  void start(sharing::service& svc);
  void stop();
  // Answers an internal request of another node (the path starts with sharing_internal_prefix).
  http_response handle_internal(const http_request& req, sharing::service& svc);
  // The catalogue of partner `from` on another node, as `caller` sees it: the public JSON.
  result<http_response> catalog(std::string_view caller, std::string_view from);

  // sharing::remote_nodes
  result<void> send(const sharing::remote_delivery& d) override;
  result<void> answer(const sharing::remote_outcome& o) override;
  result<void> record(const sharing::remote_record& r) override;
  result<tenant::share_message> lend(std::string_view from, std::int64_t news_id,
                                     std::string_view borrower) override;
  result<std::filesystem::path> fetch_file(std::string_view source, std::string_view receiver,
                                           const tenant::shared_file& f) override;
  result<std::optional<tenant::shared_copy>> copy_of(std::string_view receiver,
                                                     std::string_view source,
                                                     std::int64_t news_id) override;

 private:
  void consume();
  // Creates the group (and stream) if missing: at start and after Redis lost it.
  void ensure_group();
  // Handles entries this node read earlier but never acknowledged (idle for at least `idle`).
  void reclaim(std::chrono::milliseconds idle);
  // Handles one entry; false when it must stay pending (its answer could not be queued).
  bool handle_entry(const cluster::reply& fields);
  void handle_entries(const cluster::reply& entries);
  // XADDs an entry to the stream of the node owning tenant `slug`.
  result<void> post(std::string_view slug, std::string_view type, std::string body);
  // POSTs JSON to an internal path of the node owning `slug`; errors mapped back from its answer.
  result<http_response> call(std::string_view slug, std::string_view path, std::string body,
                             std::chrono::milliseconds timeout = internal_call_timeout);

  std::string node_id_;
  std::string key_;
  std::string stream_;
  placement_follower follower_;
  cluster::redis_client writer_;    // XADD from request and relay threads
  cluster::redis_client consumer_;  // this node's blocking reads
  upstream_pool upstream_;
  sharing::service* svc_ = nullptr;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace samverka::gateway
