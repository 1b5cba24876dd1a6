// The server's daily digest timer (see digest_timer.hpp).
#include "samverka/provisioning/digest_timer.hpp"

#include <ctime>

namespace samverka::provisioning {

namespace {

struct local_now {
  std::string day;  // YYYY-MM-DD
  int minute_of_day = 0;
};

local_now now_local() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char day[16];
  std::strftime(day, sizeof day, "%Y-%m-%d", &tm);
  return {day, tm.tm_hour * 60 + tm.tm_min};
}

}  // namespace

result<int> parse_time_of_day(std::string_view s) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (s.size() != 5 || s[2] != ':' || !digit(s[0]) || !digit(s[1]) || !digit(s[3]) || !digit(s[4]))
    return error(errc::invalid_input, "invalid_time", "expected a local time as HH:MM");
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 23 || m > 59)
    return error(errc::invalid_input, "invalid_time", "expected a local time 00:00..23:59");
  return h * 60 + m;
}

digest_timer::digest_timer(std::shared_ptr<registry> reg, store_opener open,
                           digest_schedule schedule, run_observer observe)
    : reg_(std::move(reg)),
      open_(std::move(open)),
      schedule_(std::move(schedule)),
      observe_(std::move(observe)) {}

digest_timer::~digest_timer() {
  stop();
}

void digest_timer::start() {
  std::lock_guard lk(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { run(); });
}

void digest_timer::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void digest_timer::run() {
  for (;;) {
    tick();
    std::unique_lock lk(mu_);
    if (wake_.wait_for(lk, schedule_.poll, [&] { return stopping_; })) return;
  }
}

std::size_t digest_timer::tick() {
  const auto now = now_local();
  if (now.minute_of_day < schedule_.minute_of_day) return 0;
  auto tenants = reg_->list_tenants();
  if (!tenants) return 0;  // the registry is busy: the next tick looks again
  std::size_t ran = 0;
  for (const auto& t : *tenants) {
    {
      std::lock_guard lk(mu_);
      if (stopping_) break;
    }
    if (t.state != tenant_state::active) continue;  // a suspended tenant sends after resume
    if (auto it = retry_at_.find(t.slug);
        it != retry_at_.end() && std::chrono::steady_clock::now() < it->second)
      continue;
    auto store = open_(t);
    if (!store) continue;
    auto claimed = (*store)->claim_digest_day(now.day);
    if (!claimed || !*claimed) continue;
    ++ran;
    auto report = send_digests(**store, t.name, schedule_.smtp);
    if (!report || report->failed > 0) {
      // Give the day back so a later tick retries the rest (design note in the header).
      (void)(*store)->release_digest_day(now.day);
      retry_at_[t.slug] = std::chrono::steady_clock::now() + digest_retry;
    } else {
      retry_at_.erase(t.slug);
    }
    if (observe_) observe_(t.slug, report);
  }
  return ran;
}

}  // namespace samverka::provisioning
