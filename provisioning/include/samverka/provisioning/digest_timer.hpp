// The server's daily digest: once a day, at a configured local time, every active tenant's due
// notification digests are mailed (send_digests in digest.hpp), on a thread of its own so no
// request ever waits for the SMTP relay. `samverka serve --smtp URL --digest-at HH:MM`.
//
// Never twice a day: before a tenant's run the timer claims the local day in the tenant's store
// (store::claim_digest_day, durable), so a restart the same day sends nothing again. A run the
// relay refused gives the day back and is retried after digest_retry; people whose mail was
// accepted are already marked mailed, so a retry never mails them twice.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "samverka/core/error.hpp"
#include "samverka/provisioning/digest.hpp"
#include "samverka/provisioning/registry.hpp"
#include "samverka/tenant/store.hpp"

namespace samverka::provisioning {

// How often the timer looks at the clock: the send time is met within this much.
inline constexpr std::chrono::milliseconds default_digest_poll{30'000};
// After a relay failure, wait this long before trying that tenant again (not hammering it).
inline constexpr std::chrono::milliseconds digest_retry{5 * 60'000};

struct digest_schedule {
  smtp_config smtp;
  int minute_of_day = 6 * 60;  // local time the day's digests go out (default 06:00)
  std::chrono::milliseconds poll = default_digest_poll;
};

// "HH:MM" (24 h) -> minutes after local midnight; invalid_input otherwise.
result<int> parse_time_of_day(std::string_view hh_mm);

class digest_timer {
 public:
  using store_opener =
      std::function<result<std::shared_ptr<tenant::store>>(const tenant_info& tenant)>;
  // Called after each tenant's run (for the server's log); must not throw.
  using run_observer = std::function<void(std::string_view slug, const result<digest_report>&)>;

  digest_timer(std::shared_ptr<registry> reg, store_opener open, digest_schedule schedule,
               run_observer observe = {});
  ~digest_timer();
  digest_timer(const digest_timer&) = delete;
  digest_timer& operator=(const digest_timer&) = delete;

  void start();
  void stop();  // final; joins the thread (a run in progress finishes its current message)

  // One look at the clock: runs every tenant whose day is due and unclaimed. Returns the number
  // of tenants run. Public for tests; the thread calls it every `poll`.
  std::size_t tick();

 private:
  void run();

  std::shared_ptr<registry> reg_;
  store_opener open_;
  digest_schedule schedule_;
  run_observer observe_;
  std::map<std::string, std::chrono::steady_clock::time_point> retry_at_;  // thread only
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace samverka::provisioning
