// The relay's work queue: which source tenants have outbox rows to deliver, now or at a later
// time. It carries only wake-ups, never the changes themselves: the durable truth is each source
// store's sharing_outbox, so losing the queue (a crash) loses nothing; the relay rebuilds it from
// the outboxes at start. In cluster mode too it stays per node (a source's rows are delivered by
// the node owning the source); deliveries to receivers on other nodes travel through
// remote_nodes (remote.hpp). Behind an interface so tests can drive the relay.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace samverka::sharing {

class delivery_queue {
 public:
  using clock = std::chrono::steady_clock;
  virtual ~delivery_queue() = default;

  // Source tenant `slug` has work now (a change was committed).
  virtual void notify(std::string_view slug) = 0;
  // Source tenant `slug` has work at `when` (a retry); the earliest time per slug wins.
  virtual void notify_at(std::string_view slug, clock::time_point when) = 0;
  // The next tenant with work, waiting at most `timeout`; nullopt on time-out or after close().
  virtual std::optional<std::string> next(std::chrono::milliseconds timeout) = 0;
  // Wakes every waiter; next() returns nullopt from then on.
  virtual void close() = 0;
};

// The single-node queue: in memory, guarded by a mutex.
std::unique_ptr<delivery_queue> make_memory_queue();

}  // namespace samverka::sharing
